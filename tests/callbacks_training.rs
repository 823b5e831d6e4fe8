//! Callbacks inside real `fit` calls: the book's ModelCheckpoint + EarlyStopping pair, a
//! checkpoint write that fails half-way, warnings for monitored values that don't exist, and
//! values that callbacks add to the logs reaching the History, the CSV file and each other.

mod common;

use std::cell::Cell;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use common::{files_in, rng, scratch, uniform};
use densely::callbacks::{
    CsvLogger, EarlyStopping, LambdaCallback, Mode, ModelCheckpoint, ProgbarLogger,
    ReduceLrOnPlateau, WeightSnapshot,
};
use densely::prelude::*;
use densely::Error;

model! {
    /// Large enough for 24 noisy samples to be overfitted within a few dozen epochs.
    struct Regressor {
        input x: [4];
        hidden = Dense(32, relu);
        output y = Dense(1), loss = mse;
    }
}

type Data = (Batch<Shape1<4>>, Batch<Shape1<1>>);

/// `y = x0 - x1 + noise`: a signal to learn first, and noise to overfit after.
fn noisy(samples: usize, seed: u64) -> Data {
    let mut data = rng(seed);
    let x = Batch::from_vec(uniform(&mut data, samples * 4)).unwrap();
    let noise = uniform(&mut data, samples);
    let y = Batch::from_fn(samples, |s, _| x.sample(s)[0] - x.sample(s)[1] + noise[s]);
    (x, y)
}

fn best(values: &[f64]) -> (usize, f64) {
    values
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
}

#[test]
fn the_books_checkpoint_and_early_stopping_keep_the_best_model() {
    let dir = scratch("book-callbacks");
    let path = dir.join("my_keras_model.h5");
    let (x_train, y_train) = noisy(24, 1);
    let (x_valid, y_valid) = noisy(24, 2);
    let mut model = Regressor::new();
    model.compile(Adam::new(0.03), []);
    let mut checkpoint = ModelCheckpoint::new(&path).save_best_only(true);
    let mut early_stopping = EarlyStopping::new().patience(5).restore_best_weights(true);
    let history = model
        .fit(
            &x_train,
            &y_train,
            FitOptions::default()
                .epochs(300)
                .batch_size(8)
                .verbose(0)
                .validation_data(&x_valid, &y_valid)
                .callback(&mut checkpoint)
                .callback(&mut early_stopping),
        )
        .unwrap();

    let val_loss = &history.history["val_loss"];
    let (best_epoch, best_loss) = best(val_loss);
    let stopped = early_stopping
        .stopped_epoch()
        .expect("the noisy data is overfitted long before 300 epochs");
    assert_eq!(history.epoch.len(), stopped + 1);
    assert_eq!(
        stopped,
        best_epoch + 5,
        "stops `patience` epochs after the best"
    );
    assert_eq!(early_stopping.best_epoch(), Some(best_epoch));
    assert_eq!(checkpoint.best(), Some(best_loss));

    // The checkpoint holds the best epoch's model: its validation loss is the best one.
    let mut loaded = Regressor::load(&path).unwrap();
    let logs = loaded.evaluate_batched(&x_valid, &y_valid, 8).unwrap();
    assert_eq!(logs.get("loss"), Some(best_loss));
    // And EarlyStopping put the same weights back into the trained model.
    assert_eq!(WeightSnapshot::of(&model), WeightSnapshot::of(&loaded));
    assert_eq!(
        files_in(&dir),
        ["my_keras_model.h5"],
        "no temporary file left"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn restore_best_weights_applies_when_training_runs_to_the_end() {
    let (x_train, y_train) = noisy(24, 3);
    let (x_valid, y_valid) = noisy(24, 4);
    let mut model = Regressor::new();
    model.compile(Adam::new(0.03), []);
    let mut early_stopping = EarlyStopping::new()
        .patience(1000)
        .restore_best_weights(true);
    let history = model
        .fit(
            &x_train,
            &y_train,
            FitOptions::default()
                .epochs(40)
                .batch_size(8)
                .verbose(0)
                .validation_data(&x_valid, &y_valid)
                .callback(&mut early_stopping),
        )
        .unwrap();
    assert_eq!(early_stopping.stopped_epoch(), None);
    let (best_epoch, best_loss) = best(&history.history["val_loss"]);
    assert!(
        best_epoch < 39,
        "the last epoch should not be the best here"
    );
    let logs = model.evaluate_batched(&x_valid, &y_valid, 8).unwrap();
    assert_eq!(logs.get("loss"), Some(best_loss));
}

#[test]
fn a_checkpoint_write_failing_half_way_leaves_the_previous_checkpoint() {
    let dir = scratch("crash-checkpoint");
    let path = dir.join("last.weights.h5");
    let (x, y) = noisy(16, 5);
    let mut model = Regressor::new();
    model.compile(Sgd::new(0.05), []);
    let calls = Cell::new(0);
    let mut saved = WeightSnapshot::default();
    // Writes good checkpoints twice, then dies in the middle of the third: half a file, then
    // an error (a full disk, a killed process).
    let saver = |model: &Regressor, path: &Path, _weights_only: bool| {
        calls.set(calls.get() + 1);
        if calls.get() < 3 {
            saved.capture(model);
            return model.save_weights(path);
        }
        model.save_weights(path)?;
        let bytes = fs::read(path).unwrap();
        fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
        Err(Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::other("No space left on device"),
        })
    };
    let checkpoint = ModelCheckpoint::new(&path).monitor("loss").saver(saver);
    let options = FitOptions::default()
        .epochs(5)
        .verbose(0)
        .callback(checkpoint);
    let error = model.fit(&x, &y, options).unwrap_err();
    assert!(
        error.to_string().contains("No space left on device"),
        "{error}"
    );
    assert_eq!(calls.get(), 3);

    let mut loaded = Regressor::new();
    loaded.load_weights(&path).unwrap();
    assert_eq!(
        WeightSnapshot::of(&loaded),
        saved,
        "the second epoch's checkpoint"
    );
    assert_eq!(
        files_in(&dir),
        ["last.weights.h5"],
        "the half-written file is gone"
    );

    // A saver that panics half-way (the process dying) leaves the good file in place too.
    let panicking = |model: &Regressor, path: &Path, _: bool| -> densely::Result<()> {
        model.save_weights(path)?;
        fs::write(path, b"half").unwrap();
        panic!("killed while writing");
    };
    let checkpoint = ModelCheckpoint::new(&path).monitor("loss").saver(panicking);
    let options = FitOptions::default().verbose(0).callback(checkpoint);
    let outcome = catch_unwind(AssertUnwindSafe(|| model.fit(&x, &y, options)));
    assert!(outcome.is_err());
    loaded.load_weights(&path).unwrap();
    assert_eq!(WeightSnapshot::of(&loaded), saved);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_monitored_value_that_does_not_exist_gets_a_warning_not_a_panic() {
    let (x, y) = noisy(16, 6);
    let mut model = Regressor::new();
    model.compile(Sgd::default(), []);
    // No validation data, so there is no `val_loss`.
    let mut early_stopping = EarlyStopping::new();
    let mut reduce = ReduceLrOnPlateau::new();
    let history = model
        .fit(
            &x,
            &y,
            FitOptions::default()
                .epochs(3)
                .verbose(0)
                .callback(&mut early_stopping)
                .callback(&mut reduce),
        )
        .unwrap();
    assert_eq!(history.epoch, [0, 1, 2], "training is not stopped");
    // `learning_rate` is there for EarlyStopping too, although ReduceLROnPlateau comes after
    // it: values added at the end of an epoch reach every callback's `on_epoch_end`.
    assert_eq!(
        early_stopping.warnings(),
        ["Early stopping conditioned on metric `val_loss` which is not available. \
          Available metrics are: loss,learning_rate"; 3]
    );
    assert_eq!(
        reduce.warnings(),
        ["Learning rate reduction is conditioned on metric `val_loss` which is not \
          available. Available metrics are: loss,learning_rate."; 3]
    );
}

#[test]
fn a_file_name_with_an_unknown_value_fails_naming_the_values_there_are() {
    let dir = scratch("bad-filepath");
    let (x, y) = noisy(16, 7);
    let mut model = Regressor::new();
    model.compile(Sgd::default(), []);
    let checkpoint = ModelCheckpoint::new(dir.join("{epoch:02d}-{val_loss:.2f}.weights"));
    let options = FitOptions::default().verbose(0).callback(checkpoint);
    let error = model.fit(&x, &y, options).unwrap_err().to_string();
    assert!(
        error.contains("Failed to format this callback filepath"),
        "{error}"
    );
    assert!(
        error.contains("`val_loss`") && error.contains("logs: loss"),
        "{error}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn values_added_to_the_logs_reach_every_callback_the_history_and_the_csv() {
    let dir = scratch("logs-flow");
    let csv = dir.join("training.csv");
    let (x, y) = noisy(16, 8);
    let (x_valid, y_valid) = noisy(8, 9);
    let mut model = Regressor::new();
    model.compile(Sgd::new(0.05), []);
    let mut seen = Vec::new();
    // Monitoring the loss in `max` mode: it goes down, so every epoch after the first is a
    // plateau and halves the rate.
    let reduce = ReduceLrOnPlateau::new()
        .patience(0)
        .factor(0.5)
        .monitor("loss")
        .mode(Mode::Max);
    let gap = LambdaCallback::<Regressor>::new()
        .update_epoch_logs(|_, _, logs| {
            logs.set(
                "gap",
                logs.get("val_loss").unwrap() - logs.get("loss").unwrap(),
            );
        })
        .on_epoch_end(|_, _, logs| seen.push((logs.get("learning_rate"), logs.get("gap"))));
    // The CSV logger comes first, and still sees what the callbacks after it add.
    let options = FitOptions::default()
        .epochs(3)
        .verbose(0)
        .validation_data(&x_valid, &y_valid)
        .callback(CsvLogger::new(&csv))
        .callback(reduce)
        .callback(gap)
        .callback(ProgbarLogger::new().verbose(0));
    let history = model.fit(&x, &y, options).unwrap();
    let rates: Vec<f32> = history.history["learning_rate"]
        .iter()
        .map(|&r| r as f32)
        .collect();
    assert_eq!(rates, [0.05, 0.05, 0.025]);
    let logged: Vec<_> = (0..3)
        .map(|e| {
            (
                Some(history.history["learning_rate"][e]),
                Some(history.history["gap"][e]),
            )
        })
        .collect();
    assert_eq!(seen, logged);
    assert_eq!(history.keys(), ["loss", "val_loss", "learning_rate", "gap"]);
    let text = fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "epoch,gap,learning_rate,loss,val_loss");
    assert_eq!(lines.len(), 5, "{text:?}");
    assert!(lines[3].starts_with("2,"), "{text:?}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lambda_callbacks_see_every_hook_in_order_and_can_stop_training() {
    let (x, y) = noisy(16, 10);
    let (x_valid, y_valid) = noisy(8, 11);
    let mut model = Regressor::new();
    model.compile(Sgd::default(), []);
    let events = std::cell::RefCell::new(Vec::new());
    let log = |event: String| events.borrow_mut().push(event);
    let callback = LambdaCallback::<Regressor>::new()
        .on_train_begin(|_, _| log("train_begin".into()))
        .on_epoch_begin(|_, epoch, _| log(format!("epoch_begin {epoch}")))
        .on_train_batch_begin(|_, batch, _| log(format!("batch_begin {batch}")))
        .on_train_batch_end(|_, batch, _| log(format!("batch_end {batch}")))
        .on_test_begin(|_, _| log("test_begin".into()))
        .on_test_end(|_, logs| log(format!("test_end {}", logs.get("val_loss").is_some())))
        .on_epoch_end(|model, epoch, _| {
            log(format!("epoch_end {epoch}"));
            if epoch == 1 {
                model.stop_training();
            }
        })
        .on_train_end(|_, logs| {
            log(format!("train_end {}", logs.get("val_loss").is_some()));
            Ok(())
        });
    let options = FitOptions::default()
        .epochs(10)
        .batch_size(8)
        .verbose(0)
        .validation_data(&x_valid, &y_valid)
        .callback(callback);
    let history = model.fit(&x, &y, options).unwrap();
    assert_eq!(history.epoch, [0, 1]);
    let epoch = |e: usize| {
        vec![
            format!("epoch_begin {e}"),
            "batch_begin 0".into(),
            "batch_end 0".into(),
            "batch_begin 1".into(),
            "batch_end 1".into(),
            "test_begin".into(),
            "test_end true".into(),
            format!("epoch_end {e}"),
        ]
    };
    let mut expected = vec!["train_begin".to_string()];
    expected.extend(epoch(0));
    expected.extend(epoch(1));
    expected.push("train_end true".into());
    assert_eq!(*events.borrow(), expected);
}

#[test]
fn a_failing_callback_ends_fit_with_its_error() {
    let (x, y) = noisy(16, 12);
    let mut model = Regressor::new();
    model.compile(Sgd::default(), []);
    let callback = LambdaCallback::<Regressor>::new().on_epoch_begin(|_, epoch, _| {
        if epoch == 2 {
            return Err(Error::Argument {
                argument: "callback",
                reason: "refused epoch 2".into(),
            });
        }
        Ok(())
    });
    let options = FitOptions::default()
        .epochs(5)
        .verbose(0)
        .callback(callback);
    let error = model.fit(&x, &y, options).unwrap_err().to_string();
    assert!(error.contains("refused epoch 2"), "{error}");
}

#[test]
fn checkpoints_every_n_batches_during_fit() {
    let dir = scratch("batch-checkpoints");
    let (x, y) = noisy(40, 13);
    let mut model = Regressor::new();
    model.compile(Sgd::default(), []);
    let checkpoint = ModelCheckpoint::new(dir.join("e{epoch}-b{batch}.weights"))
        .save_freq(densely::callbacks::SaveFreq::Batches(2));
    // 40 samples in batches of 16: 3 batches per epoch, so batches 2, 5 (epoch 2, batch 2) ...
    let options = FitOptions::default()
        .epochs(2)
        .batch_size(16)
        .verbose(0)
        .callback(checkpoint);
    model.fit(&x, &y, options).unwrap();
    assert_eq!(
        files_in(&dir),
        ["e1-b2.weights", "e2-b1.weights", "e2-b3.weights"]
    );
    fs::remove_dir_all(&dir).unwrap();
}
