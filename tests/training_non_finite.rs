//! Training never hides a NaN and never costs the model: NaN inputs give NaN predictions, a
//! step that isn't finite is never applied, and the History and the callbacks' endings reach
//! the caller.

mod common;

use common::{rng, scratch, uniform};
use densely::callbacks::{
    Callback, CsvLogger, EarlyStopping, LearningRateScheduler, TerminateOnNan,
};
use densely::prelude::*;
use densely::{Error, NonFinite};

model! {
    /// The book's classifier, smaller: relu layers wide enough for the fused kernels.
    struct ReluMlp {
        input image: [28, 28];
        flatten = Flatten;
        hidden1 = Dense(64, relu);
        hidden2 = Dense(32, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

model! {
    /// A regression that a growing learning rate drives to overflow.
    struct Regressor {
        input x: [4];
        hidden = Dense(16, relu);
        output y = Dense(1), loss = mse;
    }
}

const SAMPLES: usize = 48;

fn images(seed: u64) -> (Batch<Shape2<28, 28>>, Labels<10>) {
    let mut data = rng(seed);
    let pixels = uniform(&mut data, SAMPLES * 784)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    let labels = (0..SAMPLES).map(|s| (s % 10) as u32).collect();
    (
        Batch::from_vec(pixels).unwrap(),
        Labels::new(labels).unwrap(),
    )
}

fn with_nan_pixel(x: &Batch<Shape2<28, 28>>, sample: usize) -> Batch<Shape2<28, 28>> {
    let mut values = x.as_slice().to_vec();
    values[sample * 784 + 400] = f32::NAN;
    Batch::from_vec(values).unwrap()
}

fn regression(seed: u64) -> (Batch<Shape1<4>>, Batch<Shape1<1>>) {
    let mut data = rng(seed);
    let x = Batch::from_vec(uniform(&mut data, 64 * 4)).unwrap();
    let y = Batch::from_fn(64, |s, _| 3.0 * x.sample(s)[0] - x.sample(s)[2]);
    (x, y)
}

fn weights<N: Network>(model: &N) -> Vec<u32> {
    let mut all = Vec::new();
    model.visit_params(&mut |_, param| all.extend(param.value.iter().map(|v| v.to_bits())));
    all
}

fn all_finite<N: Network>(model: &N) -> bool {
    weights(model)
        .into_iter()
        .all(|bits| f32::from_bits(bits).is_finite())
}

/// Keeps the weights after every batch and every epoch.
#[derive(Default)]
struct Snapshots {
    after_batch: Vec<u32>,
    after_epoch: Vec<Vec<u32>>,
    batch_log_names: Vec<Vec<String>>,
    epoch_log_names: Vec<Vec<String>>,
    train_ended: bool,
}

impl<N: Network> Callback<N> for Snapshots {
    fn on_train_batch_end(
        &mut self,
        model: &mut N,
        _batch: usize,
        logs: &Logs,
    ) -> densely::Result<()> {
        self.after_batch = weights(model);
        self.batch_log_names.push(logs.names().to_vec());
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut N, _epoch: usize, logs: &Logs) -> densely::Result<()> {
        self.after_epoch.push(weights(model));
        self.epoch_log_names.push(logs.names().to_vec());
        Ok(())
    }

    fn on_train_end(&mut self, _model: &mut N, _logs: &Logs) -> densely::Result<()> {
        self.train_ended = true;
        Ok(())
    }
}

#[test]
fn a_nan_pixel_gives_a_nan_prediction_for_its_sample_alone() {
    let (x, _) = images(1);
    let damaged = with_nan_pixel(&x, 5);
    let mut model = ReluMlp::new();
    let predictions = model.predict(&damaged).unwrap();
    for sample in 0..SAMPLES {
        let row = predictions.sample(sample);
        if sample == 5 {
            assert!(row.iter().all(|p| p.is_nan()), "sample 5: {row:?}");
        } else {
            assert!(
                row.iter().all(|p| p.is_finite()),
                "sample {sample}: {row:?}"
            );
        }
    }

    // The same through a model read from a file.
    let dir = scratch("nan-predict");
    let path = dir.join("mlp.keras");
    model.save(&path).unwrap();
    let mut loaded = densely::load_model(&path).unwrap();
    let dynamic = loaded.predict(&damaged).unwrap();
    for sample in 0..SAMPLES {
        let row = &dynamic[0].values()[sample * 10..(sample + 1) * 10];
        assert_eq!(
            row.iter().all(|p| p.is_nan()),
            sample == 5,
            "sample {sample}: {row:?}"
        );
    }
}

#[test]
fn every_activation_keeps_nan() {
    use densely::activation::*;
    fn check<A: Activation>() {
        let z = [f32::NAN, 1.0, -1.0, 0.5];
        let mut y = [0.0; 4];
        A::forward(&z, &mut y, 4);
        assert!(y[0].is_nan(), "{} turned NaN into {}", A::NAME, y[0]);
        let mut in_place = z;
        if A::FROM_OUTPUT {
            A::forward_in_place(&mut in_place, 4);
            assert!(
                in_place[0].is_nan(),
                "{} in place turned NaN into {}",
                A::NAME,
                in_place[0]
            );
        }
    }
    check::<Linear>();
    check::<Relu>();
    check::<Sigmoid>();
    check::<Tanh>();
    check::<Softmax>();
    check::<Elu>();
    check::<Selu>();
    check::<LeakyRelu>();
    check::<Gelu>();
    check::<Swish>();
    check::<Softplus>();
}

#[test]
fn a_nan_in_the_data_stops_fit_with_its_history_and_the_weights_before_it() {
    let (x, y) = images(2);
    let damaged = with_nan_pixel(&x, 40);
    let mut model = ReluMlp::new();
    model.compile(Sgd::new(0.01), [Metric::Accuracy]);
    // One clean epoch, then the damaged data: the first batch holding sample 40 fails.
    model
        .fit(&x, &y, FitOptions::default().epochs(1).verbose(0))
        .unwrap();
    let mut snapshots = Snapshots::default();
    let options = FitOptions::default()
        .epochs(3)
        .shuffle(false)
        .batch_size(16)
        .verbose(0)
        .callback(&mut snapshots);
    let error = model.fit(&damaged, &y, options).unwrap_err();
    let Error::NonFinite {
        cause: NonFinite::Loss(loss),
        epoch: 0,
        batch: 2,
        ..
    } = &error
    else {
        panic!("expected a NaN loss at epoch 0, batch 2: {error}");
    };
    assert!(loss.is_nan());
    assert!(
        error
            .to_string()
            .contains("the loss became NaN at epoch 0, batch 2"),
        "{error}"
    );
    assert_eq!(
        error.history().unwrap().epoch,
        Vec::<usize>::new(),
        "no epoch finished"
    );
    assert!(snapshots.train_ended, "on_train_end ran");
    assert_eq!(
        weights(&model),
        snapshots.after_batch,
        "the failed batch changed nothing"
    );
    assert!(all_finite(&model));
}

#[test]
fn terminate_on_nan_ends_fit_normally_as_in_keras() {
    let (x, y) = images(3);
    let damaged = with_nan_pixel(&x, 40);
    let mut model = ReluMlp::new();
    model.compile(Sgd::new(0.01), []);
    let mut terminate = TerminateOnNan::new();
    let mut snapshots = Snapshots::default();
    let options = FitOptions::default()
        .epochs(3)
        .shuffle(false)
        .batch_size(16)
        .verbose(0)
        .callback(&mut terminate)
        .callback(&mut snapshots);
    let history = model.fit(&damaged, &y, options).unwrap();
    // Keras records the stopped epoch, its mean loss NaN, and stops there.
    assert_eq!(history.epoch, [0]);
    assert!(history.history["loss"][0].is_nan());
    assert_eq!(
        terminate.messages(),
        ["Batch 2: Invalid loss, terminating training"]
    );
    assert_eq!(weights(&model), snapshots.after_batch);
    assert!(all_finite(&model));
}

/// Sets the learning rate to NaN from this epoch on.
struct NanRateFrom(usize);

impl<N: Network> Callback<N> for NanRateFrom {
    fn on_epoch_begin(&mut self, model: &mut N, epoch: usize, _logs: &Logs) -> densely::Result<()> {
        if epoch >= self.0 {
            model.optimizer_mut().unwrap().set_learning_rate(f32::NAN);
        }
        Ok(())
    }
}

#[test]
fn a_nan_learning_rate_leaves_the_weights_untouched() {
    let (x, y) = regression(4);
    let mut model = Regressor::new();
    model.compile(Sgd::new(0.01), []);
    // Two good epochs, then a callback of the user's sets a NaN rate.
    let mut snapshots = Snapshots::default();
    let options = FitOptions::default()
        .epochs(5)
        .verbose(0)
        .callback(NanRateFrom(2))
        .callback(&mut snapshots);
    let error = model.fit(&x, &y, options).unwrap_err();
    assert!(
        matches!(
            error,
            Error::NonFinite {
                cause: NonFinite::Setting {
                    name: "learning_rate",
                    ..
                },
                epoch: 2,
                batch: 0,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("learning_rate is NaN"),
        "{error}"
    );
    assert_eq!(error.history().unwrap().epoch, [0, 1]);
    assert_eq!(weights(&model), snapshots.after_epoch[1]);
}

#[test]
fn divergence_restores_the_best_weights_and_completes_the_csv() {
    let (x, y) = regression(5);
    let mut model = Regressor::new();
    model.compile(Sgd::new(0.01), []);
    let dir = scratch("diverge");
    let csv = dir.join("log.csv");
    // The rate grows tenfold each epoch until the weights overflow.
    let scheduler =
        LearningRateScheduler::new(|epoch, rate| if epoch < 2 { rate } else { rate * 10.0 });
    let mut early = EarlyStopping::new()
        .monitor("loss")
        .patience(100)
        .restore_best_weights(true);
    let mut snapshots = Snapshots::default();
    let options = FitOptions::default()
        .epochs(60)
        .verbose(0)
        .callback(scheduler)
        .callback(&mut snapshots)
        .callback(&mut early)
        .callback(CsvLogger::new(&csv));
    let error = model.fit(&x, &y, options).unwrap_err();
    assert!(matches!(error, Error::NonFinite { .. }), "{error}");
    println!("{error}");
    let history = error.history().expect("the History reaches the caller");
    let losses = history.get("loss").unwrap();
    assert!(losses.len() >= 3, "{losses:?}");
    let best = (0..losses.len())
        .min_by(|&a, &b| losses[a].total_cmp(&losses[b]))
        .unwrap();
    assert!(all_finite(&model));
    assert_eq!(
        weights(&model),
        snapshots.after_epoch[best],
        "the best epoch's weights"
    );
    let written = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(written.lines().count(), 1 + losses.len(), "{written}");
    assert!(written.starts_with("epoch,"), "{written}");
}

#[test]
fn an_update_that_overflows_is_undone() {
    let (x, y) = regression(6);
    let y = y.map(|v| v * 1000.0);
    let mut model = Regressor::new();
    // Far past any sane rate: gradients in the thousands make the first step overflow.
    model.compile(Sgd::new(1e37), []);
    let before = weights(&model);
    let error = model
        .fit(&x, &y, FitOptions::default().epochs(1).verbose(0))
        .unwrap_err();
    match &error {
        Error::NonFinite {
            cause: NonFinite::Update { .. },
            weight: Some(weight),
            ..
        } => {
            assert!(
                weight.starts_with("hidden/") || weight.starts_with("y/"),
                "{weight}"
            );
        }
        other => panic!("expected an overflowing update: {other}"),
    }
    assert_eq!(weights(&model), before);
    assert_eq!(model.optimizer().unwrap().iterations(), 0);
}

#[test]
fn batch_logs_carry_training_metrics_alone() {
    let (x, y) = images(7);
    let mut model = ReluMlp::new();
    model.compile(Sgd::new(0.01), [Metric::Accuracy]);
    let mut snapshots = Snapshots::default();
    let options = FitOptions::default()
        .epochs(2)
        .validation_split(0.25)
        .verbose(0)
        .callback(&mut snapshots);
    model.fit(&x, &y, options).unwrap();
    // Keras 3: batch logs hold ['accuracy', 'loss'], epoch logs add the val_ ones.
    for names in &snapshots.batch_log_names {
        assert_eq!(names, &["accuracy", "loss"]);
    }
    for names in &snapshots.epoch_log_names {
        assert_eq!(names, &["accuracy", "loss", "val_accuracy", "val_loss"]);
    }
}

#[test]
fn slicing_past_the_end_is_cut_as_numpy_cuts() {
    let (x, y) = images(8);
    assert_eq!(x.slice(40..100).len(), 8);
    assert_eq!(y.slice(40..100).len(), 8);
    assert!(x.slice(60..100).is_empty());
    assert!(y.slice(60..100).is_empty());
    let set = densely::datasets::ImageSet::from_pixels(vec![0u8; 3 * 784]).unwrap();
    assert_eq!(set.slice(1..9).len(), 2);
    assert!(set.slice(5..9).is_empty());
}
