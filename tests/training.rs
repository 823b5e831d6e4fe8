//! `compile`, `fit` and `evaluate` as Keras has them: history keys, validation, determinism,
//! and an error for every bad argument before any training starts.

mod common;

use common::book::WideAndDeep;
use common::{rng, uniform};
use densely::prelude::*;
use densely::{Error, NonFinite};

model! {
    /// A small classifier.
    struct Classifier {
        input x: [4];
        hidden = Dense(16, relu);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn classification(samples: usize, seed: u64) -> (Batch<Shape1<4>>, Labels<3>) {
    let mut data = rng(seed);
    let x = Batch::from_vec(uniform(&mut data, samples * 4)).unwrap();
    let labels = (0..samples)
        .map(|s| {
            let row = x.sample(s);
            u32::from(row[0] + row[1] > 0.0) + u32::from(row[2] > 0.5)
        })
        .collect();
    (x, Labels::new(labels).unwrap())
}

type Regression = (Batch<Shape1<5>>, Batch<Shape1<6>>, Batch<Shape1<1>>);

fn regression(samples: usize, seed: u64) -> Regression {
    let mut data = rng(seed);
    let wide = Batch::from_vec(uniform(&mut data, samples * 5)).unwrap();
    let deep = Batch::from_vec(uniform(&mut data, samples * 6)).unwrap();
    let y = Batch::from_fn(samples, |s, _| wide.sample(s)[0] - deep.sample(s)[1] * 0.5);
    (wide, deep, y)
}

fn weights<N: Network>(model: &N) -> Vec<f32> {
    let mut all = Vec::new();
    model.visit_params(&mut |_, param| all.extend_from_slice(param.value));
    all
}

#[test]
fn single_output_history_is_keyed_like_keras() {
    let (x, y) = classification(100, 1);
    let mut model = Classifier::new();
    model.compile(Sgd::new(0.1), [Metric::Accuracy]);
    let history = model
        .fit(
            &x,
            &y,
            FitOptions::default()
                .epochs(3)
                .validation_split(0.2)
                .verbose(0),
        )
        .unwrap();
    // Keras 3.15: ['accuracy', 'loss', 'val_accuracy', 'val_loss'], {'verbose': 0, 'epochs': 3, 'steps': 3}
    assert_eq!(
        history.keys(),
        ["accuracy", "loss", "val_accuracy", "val_loss"]
    );
    assert_eq!(
        (
            history.params.verbose,
            history.params.epochs,
            history.params.steps
        ),
        (0, 3, Some(3))
    );
    assert_eq!(history.epoch, [0, 1, 2]);
    assert!(history.history.values().all(|values| values.len() == 3));
    let accuracy = &history.history["accuracy"];
    assert!(accuracy.iter().all(|a| (0.0..=1.0).contains(a)));
}

#[test]
fn multi_output_history_is_keyed_like_keras() {
    let (wide, deep, y) = regression(50, 2);
    let mut model = WideAndDeep::new();
    model.compile(Sgd::default(), [Metric::Mae]);
    let history = model
        .fit(
            (&wide, &deep),
            (&y, &y),
            FitOptions::default()
                .validation_data((&wide, &deep), (&y, &y))
                .verbose(0),
        )
        .unwrap();
    // Keras 3.15, compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], metrics=[["mae"], ["mae"]]).
    let keras = [
        "aux_output_loss",
        "aux_output_mae",
        "loss",
        "main_output_loss",
        "main_output_mae",
        "val_aux_output_loss",
        "val_aux_output_mae",
        "val_loss",
        "val_main_output_loss",
        "val_main_output_mae",
    ];
    assert_eq!(history.keys(), keras);
    let logs = model.evaluate((&wide, &deep), (&y, &y)).unwrap();
    let expected =
        0.9 * logs.get("main_output_loss").unwrap() + 0.1 * logs.get("aux_output_loss").unwrap();
    assert!((logs.get("loss").unwrap() - expected).abs() < 1e-6);
}

#[test]
fn validation_split_holds_out_the_last_samples() {
    let (x, y) = classification(50, 3);
    let mut model = Classifier::new();
    model.compile(Sgd::new(0.05), []);
    let history = model
        .fit(
            &x,
            &y,
            FitOptions::default().validation_split(0.2).verbose(0),
        )
        .unwrap();
    assert_eq!(
        history.params.steps,
        Some(2),
        "40 training samples in batches of 32"
    );
    let (held_out_x, held_out_y) = (x.slice(40..50), y.slice(40..50));
    let logs = model.evaluate(&held_out_x, &held_out_y).unwrap();
    let val_loss = history.history["val_loss"][0];
    assert!(
        (logs.get("loss").unwrap() - val_loss).abs() < 1e-9,
        "{logs} vs {val_loss}"
    );
    let first = model.evaluate(&x.slice(0..10), &y.slice(0..10)).unwrap();
    assert_ne!(first.get("loss"), Some(val_loss));
}

#[test]
fn validation_data_wins_over_validation_split() {
    let (x, y) = classification(40, 4);
    let (vx, vy) = classification(12, 5);
    let mut model = Classifier::new();
    model.compile(Sgd::new(0.05), []);
    let options = FitOptions::default()
        .validation_split(0.5)
        .validation_data(&vx, &vy)
        .verbose(0);
    let history = model.fit(&x, &y, options).unwrap();
    assert_eq!(history.params.steps, Some(2), "all 40 samples train");
    let logs = model.evaluate(&vx, &vy).unwrap();
    assert!((logs.get("loss").unwrap() - history.history["val_loss"][0]).abs() < 1e-9);
}

#[test]
fn the_same_seed_trains_bit_identical_weights() {
    let (x, y) = classification(200, 6);
    let train = |model_seed: u64, shuffle_seed: u64| {
        let mut model = Classifier::with_seed(model_seed);
        model.compile(Adam::default(), [Metric::Accuracy]);
        let options = FitOptions::default()
            .epochs(3)
            .seed(shuffle_seed)
            .verbose(0);
        let history = model.fit(&x, &y, options).unwrap();
        (weights(&model), history.history["loss"].clone())
    };
    let (a, loss_a) = train(7, 1);
    let (b, loss_b) = train(7, 1);
    assert!(a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(loss_a, loss_b);
    assert_ne!(train(8, 1).0, a, "another initialization");
    assert_ne!(train(7, 2).0, a, "another shuffle");
}

#[test]
fn training_learns_and_reports_accuracy() {
    let (x, y) = classification(400, 7);
    let mut model = Classifier::new();
    model.compile(Adam::new(0.01), [Metric::Accuracy]);
    let history = model
        .fit(&x, &y, FitOptions::default().epochs(20).verbose(0))
        .unwrap();
    let losses = &history.history["loss"];
    assert!(losses[19] < losses[0] * 0.5, "{losses:?}");
    let logs = model.evaluate(&x, &y).unwrap();
    assert!(logs.get("accuracy").unwrap() > 0.9, "{logs}");
}

#[test]
fn compiling_again_starts_from_fresh_optimizer_state() {
    let (x, y) = classification(64, 8);
    let mut model = Classifier::new();
    model.compile(Adam::default(), []);
    model.fit(&x, &y, FitOptions::default().verbose(0)).unwrap();
    assert_eq!(model.optimizer().unwrap().iterations(), 2);
    model.compile(Adam::default(), []);
    assert_eq!(model.optimizer().unwrap().iterations(), 0);
    assert!(model.optimizer().unwrap().slots().is_empty());
}

#[test]
fn initial_epoch_resumes_the_epoch_count() {
    let (x, y) = classification(32, 9);
    let mut model = Classifier::new();
    model.compile(Sgd::default(), []);
    let history = model
        .fit(
            &x,
            &y,
            FitOptions::default().epochs(5).initial_epoch(3).verbose(0),
        )
        .unwrap();
    assert_eq!(history.epoch, [3, 4]);
}

fn fit_error(options: FitOptions<'_, Classifier>, x: &Batch<Shape1<4>>, y: &Labels<3>) -> String {
    let mut model = Classifier::new();
    model.compile(Sgd::default(), []);
    let before = weights(&model);
    let error = model.fit(x, y, options).unwrap_err().to_string();
    assert_eq!(weights(&model), before, "nothing trained before the error");
    error
}

#[test]
fn bad_arguments_are_named_before_training() {
    let (x, y) = classification(20, 10);
    let message = fit_error(FitOptions::default().batch_size(0), &x, &y);
    assert!(message.contains("batch_size"), "{message}");
    let message = fit_error(FitOptions::default().validation_split(1.0), &x, &y);
    assert!(message.contains("validation_split"), "{message}");
    let message = fit_error(FitOptions::default().validation_split(-0.5), &x, &y);
    assert!(message.contains("validation_split"), "{message}");
    let (empty_x, empty_y) = classification(0, 10);
    let message = fit_error(FitOptions::default(), &empty_x, &empty_y);
    assert!(message.contains("no samples"), "{message}");
    let message = fit_error(FitOptions::default(), &x, &y.slice(0..19));
    assert!(
        message.contains("20 samples") && message.contains("19 samples"),
        "{message}"
    );
    let (vx, vy) = classification(5, 11);
    let message = fit_error(
        FitOptions::default().validation_data(&vx, &vy.slice(0..4)),
        &x,
        &y,
    );
    assert!(message.contains("validation_data"), "{message}");
}

#[test]
fn inputs_of_different_lengths_name_the_input() {
    let (wide, deep, y) = regression(10, 12);
    let mut model = WideAndDeep::new();
    model.compile(Sgd::default(), []);
    let short_deep = deep.slice(0..9);
    let message = model.fit(
        (&wide, &short_deep),
        (&y, &y),
        FitOptions::default().verbose(0),
    );
    let message = message.unwrap_err().to_string();
    assert!(
        message.contains("deep_input") && message.contains("9 samples"),
        "{message}"
    );
    let message = model
        .evaluate((&wide, &deep), (&y, &y.slice(0..3)))
        .unwrap_err()
        .to_string();
    assert!(message.contains("aux_output"), "{message}");
}

#[test]
fn labels_outside_the_classes_are_refused_when_built() {
    match Labels::<3>::new(vec![0, 1, 3]) {
        Err(Error::Label {
            label: 3,
            index: 2,
            classes: 3,
        }) => {}
        other => panic!("expected a label error, got {other:?}"),
    }
}

#[test]
fn fitting_an_uncompiled_model_says_to_compile() {
    let (x, y) = classification(8, 13);
    let mut model = Classifier::new();
    let message = model
        .fit(&x, &y, FitOptions::default().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(message.contains("compile"), "{message}");
}

/// Keeps the weights as they were after the last finished batch.
#[derive(Default)]
struct LastBatchWeights(Vec<f32>);

impl<N: Network> Callback<N> for LastBatchWeights {
    fn on_train_batch_end(
        &mut self,
        model: &mut N,
        _batch: usize,
        _logs: &Logs,
    ) -> densely::Result<()> {
        self.0 = weights(model);
        Ok(())
    }
}

#[test]
fn a_diverging_run_stops_with_an_error_and_its_history() {
    let (wide, deep, y) = regression(64, 14);
    let mut model = WideAndDeep::new();
    model.compile(Sgd::new(1e12), []);
    let mut last = LastBatchWeights::default();
    let options = FitOptions::default()
        .epochs(5)
        .verbose(0)
        .callback(&mut last);
    let error = model.fit((&wide, &deep), (&y, &y), options).unwrap_err();
    match error {
        Error::NonFinite {
            cause,
            epoch,
            batch,
            ref history,
            ..
        } => {
            assert!(
                matches!(cause, NonFinite::Loss(loss) if !loss.is_finite())
                    || matches!(cause, NonFinite::Gradient { .. } | NonFinite::Update { .. }),
                "{cause}"
            );
            assert!(epoch > 0 || batch > 0, "the first batch had a finite loss");
            assert_eq!(history.as_ref().unwrap().epoch.len(), epoch);
        }
        other => panic!("expected a non-finite loss error, got {other}"),
    }
    let bits = |w: &[f32]| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&weights(&model)),
        bits(&last.0),
        "the update of the bad batch was not applied"
    );
}
