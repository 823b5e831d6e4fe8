//! Sources of whole batches (Keras's `PyDataset` and generators): `fit_source`,
//! `evaluate_source` and `predict_source` give the numbers of the same batches in memory;
//! `steps_per_epoch` and `validation_steps` cut epochs as Keras's `EpochIterator` does.

use std::cell::RefCell;
use std::rc::Rc;

use densely::callbacks::LambdaCallback;
use densely::prelude::*;
use densely::source::{self, BatchSource, Stage};

model! {
    struct Classifier {
        input x: [3];
        hidden = Dense(6, tanh);
        output y = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

model! {
    struct TwoByTwo {
        input wide: [2];
        input deep: [3];
        hidden = Dense(4, relu)(deep);
        joined = concatenate(wide, hidden);
        output main = Dense(1)(joined), loss = mse;
        output kind = Dense(2, softmax)(hidden), loss = sparse_categorical_crossentropy;
    }
}

const SAMPLES: usize = 40;

fn data() -> (Batch<Shape1<3>>, Labels<3>) {
    let x = Batch::from_fn(SAMPLES, |s, i| ((s * 7 + i * 5) % 13) as f32 / 6.5 - 1.0);
    let y = Labels::new((0..SAMPLES).map(|s| (s % 3) as u32).collect()).unwrap();
    (x, y)
}

/// Batch `b` of 8 samples from `x` and `y`, as owned values.
fn batch(x: &Batch<Shape1<3>>, y: &Labels<3>, b: usize) -> (Batch<Shape1<3>>, Labels<3>) {
    let rows = b * 8..(b + 1) * 8;
    let xs = Batch::from_rows(&rows.clone().map(|r| x.sample(r)).collect::<Vec<_>>()).unwrap();
    let ys = Labels::new(rows.map(|r| y.as_slice()[r]).collect()).unwrap();
    (xs, ys)
}

/// The batches of a pass, in order: a source of known length.
fn in_order<'a>(x: &'a Batch<Shape1<3>>, y: &'a Labels<3>) -> impl BatchSource<Classifier> + 'a {
    source::from_iter(move |_| (0..SAMPLES / 8).map(move |b| batch(x, y, b)))
}

#[test]
fn a_source_trains_evaluates_and_predicts_as_the_same_batches_in_memory() {
    let (x, y) = data();
    let (x_valid, y_valid) = (
        x.split_at(16).0,
        Labels::<3>::new(y.as_slice()[..16].to_vec()).unwrap(),
    );
    let options = || {
        FitOptions::default()
            .epochs(3)
            .batch_size(8)
            .shuffle(false)
            .validation_data(&x_valid, &y_valid)
            .verbose(0)
    };
    let mut from_memory = Classifier::with_seed(3);
    from_memory.compile(Adam::new(0.01), [Metric::Accuracy]);
    let expected = from_memory.fit(&x, &y, options()).unwrap();

    let mut from_source = Classifier::with_seed(3);
    from_source.compile(Adam::new(0.01), [Metric::Accuracy]);
    let history = from_source.fit_source(in_order(&x, &y), options()).unwrap();
    assert_eq!(history.history, expected.history);
    assert_eq!(history.params, expected.params);
    assert_eq!(from_source.get_weights(), from_memory.get_weights());

    let logs = from_source.evaluate_source(in_order(&x, &y), None).unwrap();
    assert_eq!(logs, from_memory.evaluate_batched(&x, &y, 8).unwrap());
    let predictions = from_source.predict_source(in_order(&x, &y), None).unwrap();
    assert_eq!(predictions, from_memory.predict(&x).unwrap());
    // The first two batches alone.
    let first = from_source
        .predict_source(in_order(&x, &y), Some(2))
        .unwrap();
    assert_eq!(first.as_slice(), &predictions.as_slice()[..16 * 3]);
}

#[test]
fn a_source_of_unknown_length_is_counted_by_its_first_pass() {
    let (x, y) = data();
    // `filter` hides the length: its size hint is not exact.
    let unknown =
        source::from_iter(|_| (0..SAMPLES / 8).filter(|_| true).map(|b| batch(&x, &y, b)));
    let (counts, counter) = batch_counter();
    let mut model = Classifier::with_seed(1);
    model.compile(Sgd::new(0.1), []);
    let history = model
        .fit_source(
            unknown,
            FitOptions::default().epochs(2).verbose(0).callback(counter),
        )
        .unwrap();
    assert_eq!(history.params.steps, None);
    assert_eq!(
        history.params.to_string(),
        "{'verbose': 0, 'epochs': 2, 'steps': None}"
    );
    // Every pass is whole: the count of the first bounds nothing.
    assert_eq!(*counts.borrow(), [5, 5]);
}

/// Records how many batches each epoch trained on.
fn batch_counter() -> (Rc<RefCell<Vec<usize>>>, LambdaCallback<'static, Classifier>) {
    let counts = Rc::new(RefCell::new(Vec::new()));
    let seen = counts.clone();
    let callback = LambdaCallback::new()
        .on_epoch_begin({
            let seen = seen.clone();
            move |_, _, _| {
                seen.borrow_mut().push(0);
                Ok(())
            }
        })
        .on_train_batch_end(move |_, _, _| {
            *seen.borrow_mut().last_mut().unwrap() += 1;
            Ok(())
        });
    (counts, callback)
}

#[test]
fn steps_per_epoch_goes_on_where_the_last_epoch_stopped() {
    let (x, y) = data();
    // 5 batches a pass, 2 an epoch: epochs take batches 0-1, 2-3, 4 and (a new pass) 0-1.
    let (counts, counter) = batch_counter();
    let mut model = Classifier::with_seed(5);
    model.compile(Sgd::new(0.1), []);
    let history = model
        .fit(
            &x,
            &y,
            FitOptions::default()
                .epochs(4)
                .batch_size(8)
                .shuffle(false)
                .steps_per_epoch(2)
                .verbose(0)
                .callback(counter),
        )
        .unwrap();
    assert_eq!(*counts.borrow(), [2, 2, 1, 2]);
    assert_eq!(history.params.steps, Some(2));

    // The same seven batches from one source in one epoch move the weights alike.
    let order = [0, 1, 2, 3, 4, 0, 1];
    let mut reference = Classifier::with_seed(5);
    reference.compile(Sgd::new(0.1), []);
    reference
        .fit_source(
            source::from_iter(|_| order.iter().map(|&b| batch(&x, &y, b))),
            FitOptions::default().verbose(0),
        )
        .unwrap();
    assert_eq!(model.get_weights(), reference.get_weights());

    // A source does the same.
    let (counts, counter) = batch_counter();
    let mut model = Classifier::with_seed(5);
    model.compile(Sgd::new(0.1), []);
    model
        .fit_source(
            in_order(&x, &y),
            FitOptions::default()
                .epochs(4)
                .steps_per_epoch(2)
                .verbose(0)
                .callback(counter),
        )
        .unwrap();
    assert_eq!(*counts.borrow(), [2, 2, 1, 2]);
    assert_eq!(model.get_weights(), reference.get_weights());
}

#[test]
fn validation_steps_validate_on_the_first_batches() {
    let (x, y) = data();
    let mut model = Classifier::with_seed(2);
    model.compile(Sgd::new(0.1), [Metric::Accuracy]);
    let history = model
        .fit_source(
            in_order(&x, &y),
            FitOptions::default()
                .validation_source(in_order(&x, &y))
                .validation_steps(2)
                .verbose(0),
        )
        .unwrap();
    let (first, _) = x.split_at(16);
    let labels = Labels::<3>::new(y.as_slice()[..16].to_vec()).unwrap();
    let expected = model.evaluate_batched(&first, &labels, 8).unwrap();
    assert_eq!(history.history["val_loss"], [expected.get("loss").unwrap()]);
    assert_eq!(
        history.history["val_accuracy"],
        [expected.get("accuracy").unwrap()]
    );
}

#[test]
fn several_inputs_and_outputs_come_as_tuples() {
    let wide = Batch::<Shape1<2>>::from_fn(12, |s, i| (s + i) as f32 / 12.0);
    let deep = Batch::<Shape1<3>>::from_fn(12, |s, i| (s * i) as f32 / 24.0);
    let main = Batch::<Shape1<1>>::from_fn(12, |s, _| s as f32 / 12.0);
    let kind = Labels::<2>::new((0..12).map(|s| (s % 2) as u32).collect()).unwrap();
    let halves = |_| {
        (0..2).map(|h| {
            let rows: Vec<usize> = (h * 6..h * 6 + 6).collect();
            let take2 = |b: &Batch<Shape1<2>>| {
                Batch::<Shape1<2>>::from_rows(
                    &rows.iter().map(|&r| b.sample(r)).collect::<Vec<_>>(),
                )
                .unwrap()
            };
            let take3 = |b: &Batch<Shape1<3>>| {
                Batch::<Shape1<3>>::from_rows(
                    &rows.iter().map(|&r| b.sample(r)).collect::<Vec<_>>(),
                )
                .unwrap()
            };
            let take1 = |b: &Batch<Shape1<1>>| {
                Batch::<Shape1<1>>::from_rows(
                    &rows.iter().map(|&r| b.sample(r)).collect::<Vec<_>>(),
                )
                .unwrap()
            };
            let labels =
                Labels::<2>::new(rows.iter().map(|&r| kind.as_slice()[r]).collect()).unwrap();
            ((take2(&wide), take3(&deep)), (take1(&main), labels))
        })
    };
    let mut model = TwoByTwo::with_seed(4);
    model.compile(Sgd::new(0.05), []);
    model
        .fit_source(
            source::from_iter(halves),
            FitOptions::default().epochs(2).verbose(0),
        )
        .unwrap();
    let mut reference = TwoByTwo::with_seed(4);
    reference.compile(Sgd::new(0.05), []);
    reference
        .fit(
            (&wide, &deep),
            (&main, &kind),
            FitOptions::default()
                .epochs(2)
                .batch_size(6)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    assert_eq!(model.get_weights(), reference.get_weights());
}

/// A source that hands over batches whose parts disagree, or none at all.
struct Broken {
    empty: bool,
}

impl BatchSource<Classifier> for Broken {
    fn rewind(&mut self, _pass: usize) -> densely::Result<()> {
        Ok(())
    }

    fn next_batch(&mut self, stage: &mut Stage<'_, Classifier>) -> densely::Result<bool> {
        if self.empty {
            return Ok(false);
        }
        let x = Batch::<Shape1<3>>::zeros(4);
        let y = Labels::<3>::new(vec![0; 3]).unwrap();
        stage.put(&x, &y)?;
        Ok(true)
    }
}

#[test]
fn sources_that_go_wrong_are_errors_that_say_how() {
    let mut model = Classifier::new();
    model.compile(Sgd::default(), []);
    let error = model
        .fit_source(Broken { empty: false }, FitOptions::default().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("4 samples") && error.contains("3 samples"),
        "{error}"
    );
    let error = model
        .fit_source(Broken { empty: true }, FitOptions::default().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("pass 0 over the data held no batch"),
        "{error}"
    );
    let (x, y) = data();
    let error = model
        .fit_source(
            in_order(&x, &y),
            FitOptions::default().validation_split(0.2).verbose(0),
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("validation_split") && error.contains("validation_source"),
        "{error}"
    );
    let error = model
        .fit(&x, &y, FitOptions::default().steps_per_epoch(0).verbose(0))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("steps_per_epoch") && error.contains("at least 1"),
        "{error}"
    );
}

/// A source that hands each batch over with its sample weights.
struct Weighted<'a> {
    x: &'a Batch<Shape1<3>>,
    y: &'a Labels<3>,
    w: &'a [f32],
    next: usize,
}

impl BatchSource<Classifier> for Weighted<'_> {
    fn rewind(&mut self, _pass: usize) -> densely::Result<()> {
        self.next = 0;
        Ok(())
    }

    fn next_batch(&mut self, stage: &mut Stage<'_, Classifier>) -> densely::Result<bool> {
        if self.next * 8 >= SAMPLES {
            return Ok(false);
        }
        let (x, y) = batch(self.x, self.y, self.next);
        stage.put_weighted(&x, &y, &self.w[self.next * 8..self.next * 8 + 8])?;
        self.next += 1;
        Ok(true)
    }
}

#[test]
fn a_source_weighs_its_batches_as_sample_weight_weighs_arrays() {
    let (x, y) = data();
    let w: Vec<f32> = (0..SAMPLES).map(|s| (s % 4) as f32 / 2.0).collect();
    let mut streamed = Classifier::with_seed(7);
    streamed.compile(Sgd::new(0.1), []);
    let source = Weighted {
        x: &x,
        y: &y,
        w: &w,
        next: 0,
    };
    let history = streamed
        .fit_source(source, FitOptions::default().epochs(2).verbose(0))
        .unwrap();
    let mut reference = Classifier::with_seed(7);
    reference.compile(Sgd::new(0.1), []);
    let options = FitOptions::default().epochs(2).batch_size(8).shuffle(false);
    let expected = reference
        .fit(&x, &y, options.sample_weight(&w).verbose(0))
        .unwrap();
    assert_eq!(history.history, expected.history);
    assert_eq!(streamed.get_weights(), reference.get_weights());
    let error = streamed
        .fit_source(
            in_order(&x, &y),
            FitOptions::default().sample_weight(&w).verbose(0),
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("put_weighted"), "{error}");
}
