//! Keras's callbacks and densely's, fed the same scripted logs, give the same answers.
//!
//! Every expected value below was printed by real Keras 3.15 (tensorflow 2.21) running
//! `tools/keras_callbacks.py`, which drives Keras's callback objects by hand with the
//! sequences below: `on_train_begin`, then per epoch the weights set to a marker (every weight
//! equal to the epoch number), `on_epoch_begin`, `on_epoch_end(epoch, logs)` until
//! `stop_training`, then `on_train_end`. The tests drive densely's callbacks the same way
//! and compare: the epoch at which training was asked to stop, the callback's counters, which
//! epoch's weights are left in the model, the checkpoint files written, the learning rates,
//! the messages printed at verbose=1 and the warnings, byte for byte.

use std::fs;

mod common;

use common::{files_in, scratch};
use densely::callbacks::{
    Callback, CsvLogger, EarlyStopping, LearningRateScheduler, Mode, ModelCheckpoint,
    ReduceLrOnPlateau, SaveFreq, TerminateOnNan,
};
use densely::prelude::*;
use densely::{Error, NonFinite};

model! {
    /// One weight and one bias: enough to tell epochs apart by their weights.
    struct Tiny {
        input x: [1];
        output y = Dense(1), loss = mse;
    }
}

// The scripted sequences of tools/keras_callbacks.py.
const VAL_LOSS: [f64; 12] = [
    1.0, 0.8, 0.85, 0.79, 0.795, 0.80, 0.81, 0.7, 0.9, 0.95, 0.99, 1.0,
];
const VAL_ACCURACY: [f64; 12] = [
    0.5, 0.6, 0.58, 0.61, 0.605, 0.6, 0.59, 0.7, 0.65, 0.66, 0.64, 0.6,
];
const PLATEAU: &[f64] = &[
    1.0, 0.99995, 0.9999, 0.98, 0.98, 0.98, 0.97, 0.97, 0.97, 0.97, 0.5, 0.5, 0.5, 0.5,
];
const LOSS: [f64; 14] = [
    2.0, 1.5, 1.2, 1.1, 1.05, 1.0, 0.98, 0.97, 0.96, 0.955, 0.95, 0.949, 0.948, 0.947,
];

/// A model compiled with SGD(0.1) and accuracy, as the script's.
fn tiny() -> Tiny {
    let mut model = Tiny::new();
    model.compile(Sgd::new(0.1), [Metric::Accuracy]);
    model
}

fn set_marker(model: &mut Tiny, value: usize) {
    model.visit_params_mut(&mut |_, param| param.value.fill(value as f32));
}

fn marker(model: &Tiny) -> usize {
    let mut values = Vec::new();
    model.visit_params(&mut |_, param| values.extend_from_slice(param.value));
    assert!(values.iter().all(|&v| v == values[0]), "{values:?}");
    values[0] as usize
}

/// The logs of one epoch, sorted by name as Keras 3's `fit` hands them over: `loss` and
/// `accuracy` always, the validation values from the scripted lists (`val_loss` from
/// `sequence` when given).
fn epoch_logs(epoch: usize, sequence: Option<&[f64]>) -> Logs {
    let scripted = epoch.min(VAL_LOSS.len() - 1);
    let val_loss = sequence.map_or(VAL_LOSS[scripted], |s| s[epoch]);
    Logs::from_pairs([
        ("accuracy", 0.5),
        ("loss", LOSS[epoch]),
        ("val_accuracy", VAL_ACCURACY[scripted]),
        ("val_loss", val_loss),
    ])
}

/// Runs the epoch hooks as `fit` does (and as the script does); returns the epoch at which
/// training was asked to stop and the logs after each `on_epoch_end`.
fn drive<C: Callback<Tiny>>(
    callback: &mut C,
    model: &mut Tiny,
    epochs: usize,
    sequence: Option<&[f64]>,
) -> (Option<usize>, Vec<Logs>) {
    model.training_state_mut().set_stop_training(false);
    callback.on_train_begin(model, &Logs::default()).unwrap();
    let mut passed = Vec::new();
    let mut stop = None;
    for epoch in 0..epochs {
        set_marker(model, epoch);
        callback
            .on_epoch_begin(model, epoch, &Logs::default())
            .unwrap();
        let mut logs = epoch_logs(epoch, sequence);
        callback.update_epoch_logs(model, epoch, &mut logs).unwrap();
        callback.on_epoch_end(model, epoch, &logs).unwrap();
        passed.push(logs);
        if model.training_state().stop_requested() {
            stop = Some(epoch);
            break;
        }
    }
    callback.on_train_end(model, &Logs::default()).unwrap();
    (stop, passed)
}

/// What a callback printed, as Keras's `print_msg` writes it: each message and a newline.
fn printed(messages: &[String]) -> String {
    messages.iter().map(|m| format!("{m}\n")).collect()
}

struct EsCase {
    name: &'static str,
    monitor: &'static str,
    mode: &'static str,
    min_delta: f64,
    patience: usize,
    baseline: Option<f64>,
    restore: bool,
    start_from_epoch: usize,
    stop: Option<usize>,
    stopped_epoch: usize,
    best_epoch: usize,
    best: Option<f64>,
    wait: usize,
    marker: usize,
    printed: &'static str,
    warnings: usize,
    warning: Option<&'static str>,
}

/// Keras 3.15's answers (tools/keras_callbacks.py, `early_stopping`).
const EARLY_STOPPING: &[EsCase] = &[
    EsCase { name: "min_patience_0", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 0, baseline: None, restore: false, start_from_epoch: 0, stop: Some(2), stopped_epoch: 2, best_epoch: 1, best: Some(0.8), wait: 1, marker: 2, printed: "Epoch 3: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "min_patience_2", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 2, baseline: None, restore: false, start_from_epoch: 0, stop: Some(5), stopped_epoch: 5, best_epoch: 3, best: Some(0.79), wait: 2, marker: 5, printed: "Epoch 6: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "auto_loss_patience_3", monitor: "val_loss", mode: "auto", min_delta: 0.0, patience: 3, baseline: None, restore: false, start_from_epoch: 0, stop: Some(6), stopped_epoch: 6, best_epoch: 3, best: Some(0.79), wait: 3, marker: 6, printed: "Epoch 7: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "min_delta", monitor: "val_loss", mode: "min", min_delta: 0.02, patience: 2, baseline: None, restore: false, start_from_epoch: 0, stop: Some(3), stopped_epoch: 3, best_epoch: 1, best: Some(0.8), wait: 2, marker: 3, printed: "Epoch 4: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "min_delta_negative", monitor: "val_loss", mode: "min", min_delta: -0.02, patience: 2, baseline: None, restore: false, start_from_epoch: 0, stop: Some(3), stopped_epoch: 3, best_epoch: 1, best: Some(0.8), wait: 2, marker: 3, printed: "Epoch 4: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "max_patience_2", monitor: "val_accuracy", mode: "max", min_delta: 0.0, patience: 2, baseline: None, restore: false, start_from_epoch: 0, stop: Some(5), stopped_epoch: 5, best_epoch: 3, best: Some(0.61), wait: 2, marker: 5, printed: "Epoch 6: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "auto_accuracy_patience_1", monitor: "val_accuracy", mode: "auto", min_delta: 0.0, patience: 1, baseline: None, restore: false, start_from_epoch: 0, stop: Some(2), stopped_epoch: 2, best_epoch: 1, best: Some(0.6), wait: 1, marker: 2, printed: "Epoch 3: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "max_min_delta", monitor: "val_accuracy", mode: "max", min_delta: 0.015, patience: 3, baseline: None, restore: false, start_from_epoch: 0, stop: Some(4), stopped_epoch: 4, best_epoch: 1, best: Some(0.6), wait: 3, marker: 4, printed: "Epoch 5: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "min_on_accuracy", monitor: "val_accuracy", mode: "min", min_delta: 0.0, patience: 1, baseline: None, restore: false, start_from_epoch: 0, stop: Some(1), stopped_epoch: 1, best_epoch: 0, best: Some(0.5), wait: 1, marker: 1, printed: "Epoch 2: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "baseline", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 3, baseline: Some(0.75), restore: false, start_from_epoch: 0, stop: Some(2), stopped_epoch: 2, best_epoch: 1, best: Some(0.8), wait: 3, marker: 2, printed: "Epoch 3: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "baseline_restore", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 3, baseline: Some(0.75), restore: true, start_from_epoch: 0, stop: Some(2), stopped_epoch: 2, best_epoch: 1, best: Some(0.8), wait: 3, marker: 1, printed: "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n", warnings: 0, warning: None },
    EsCase { name: "baseline_met", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 3, baseline: Some(0.95), restore: true, start_from_epoch: 0, stop: Some(6), stopped_epoch: 6, best_epoch: 3, best: Some(0.79), wait: 3, marker: 3, printed: "Epoch 7: early stopping\nRestoring model weights from the end of the best epoch: 4.\n", warnings: 0, warning: None },
    EsCase { name: "max_baseline", monitor: "val_accuracy", mode: "max", min_delta: 0.0, patience: 2, baseline: Some(0.65), restore: true, start_from_epoch: 0, stop: Some(2), stopped_epoch: 2, best_epoch: 1, best: Some(0.6), wait: 3, marker: 1, printed: "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n", warnings: 0, warning: None },
    EsCase { name: "start_from_epoch", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 1, baseline: None, restore: false, start_from_epoch: 3, stop: Some(4), stopped_epoch: 4, best_epoch: 3, best: Some(0.79), wait: 1, marker: 4, printed: "Epoch 5: early stopping\n", warnings: 0, warning: None },
    EsCase { name: "start_from_epoch_restore", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 1, baseline: None, restore: true, start_from_epoch: 5, stop: Some(6), stopped_epoch: 6, best_epoch: 5, best: Some(0.8), wait: 1, marker: 5, printed: "Epoch 7: early stopping\nRestoring model weights from the end of the best epoch: 6.\n", warnings: 0, warning: None },
    EsCase { name: "restore", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 2, baseline: None, restore: true, start_from_epoch: 0, stop: Some(5), stopped_epoch: 5, best_epoch: 3, best: Some(0.79), wait: 2, marker: 3, printed: "Epoch 6: early stopping\nRestoring model weights from the end of the best epoch: 4.\n", warnings: 0, warning: None },
    EsCase { name: "restore_without_stopping", monitor: "val_loss", mode: "min", min_delta: 0.0, patience: 20, baseline: None, restore: true, start_from_epoch: 0, stop: None, stopped_epoch: 0, best_epoch: 7, best: Some(0.7), wait: 4, marker: 7, printed: "Restoring model weights from the end of the best epoch: 8.\n", warnings: 0, warning: None },
    EsCase { name: "restore_min_delta", monitor: "val_loss", mode: "min", min_delta: 0.05, patience: 3, baseline: None, restore: true, start_from_epoch: 0, stop: Some(4), stopped_epoch: 4, best_epoch: 1, best: Some(0.8), wait: 3, marker: 1, printed: "Epoch 5: early stopping\nRestoring model weights from the end of the best epoch: 2.\n", warnings: 0, warning: None },
    EsCase { name: "missing_monitor", monitor: "val_los", mode: "min", min_delta: 0.0, patience: 0, baseline: None, restore: true, start_from_epoch: 0, stop: None, stopped_epoch: 0, best_epoch: 0, best: None, wait: 0, marker: 11, printed: "", warnings: 12, warning: Some("Early stopping conditioned on metric `val_los` which is not available. Available metrics are: accuracy,loss,val_accuracy,val_loss") },
];

/// Keras's warning for the misspelt `val_los` the probes monitor, then densely's addition:
/// the nearest logged name.
fn keras_then_nearest(warning: &str) -> String {
    let stop = if warning.ends_with('.') { "" } else { "." };
    format!("{warning}{stop} Did you mean `val_loss`?")
}

#[test]
fn early_stopping_stops_and_restores_where_keras_does() {
    for case in EARLY_STOPPING {
        let mut model = tiny();
        let mut early_stopping = EarlyStopping::new()
            .monitor(case.monitor)
            .mode(case.mode.parse().unwrap())
            .min_delta(case.min_delta)
            .patience(case.patience)
            .restore_best_weights(case.restore)
            .start_from_epoch(case.start_from_epoch)
            .verbose(1);
        if let Some(baseline) = case.baseline {
            early_stopping = early_stopping.baseline(baseline);
        }
        let (stop, _) = drive(&mut early_stopping, &mut model, VAL_LOSS.len(), None);
        let name = case.name;
        assert_eq!(stop, case.stop, "{name}: stop");
        assert_eq!(
            early_stopping.stopped_epoch().unwrap_or(0),
            case.stopped_epoch,
            "{name}: stopped_epoch"
        );
        assert_eq!(
            early_stopping.best_epoch().unwrap_or(0),
            case.best_epoch,
            "{name}: best_epoch"
        );
        assert_eq!(early_stopping.best(), case.best, "{name}: best");
        assert_eq!(early_stopping.wait(), case.wait, "{name}: wait");
        assert_eq!(marker(&model), case.marker, "{name}: restored weights");
        assert_eq!(printed(early_stopping.messages()), case.printed, "{name}");
        assert_eq!(early_stopping.warnings().len(), case.warnings, "{name}");
        assert_eq!(
            early_stopping.warnings().first().map(String::as_str),
            case.warning.map(keras_then_nearest).as_deref()
        );
    }
}

struct McCase {
    name: &'static str,
    filepath: &'static str,
    monitor: &'static str,
    mode: &'static str,
    save_best_only: bool,
    initial_value_threshold: Option<f64>,
    epochs: usize,
    files: &'static [&'static str],
    marker: Option<usize>,
    printed: &'static str,
    warnings: usize,
    warning: Option<&'static str>,
}

/// Keras 3.15's answers (tools/keras_callbacks.py, `model_checkpoint`); the paths in the
/// messages are relative to the checkpoint folder.
const MODEL_CHECKPOINT: &[McCase] = &[
    McCase { name: "best_min", filepath: "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5", monitor: "val_loss", mode: "auto", save_best_only: true, initial_value_threshold: None, epochs: 12, files: &["ckpt-01-1.00.weights.h5", "ckpt-02-0.80.weights.h5", "ckpt-04-0.79.weights.h5", "ckpt-08-0.70.weights.h5"], marker: None, printed: "\nEpoch 1: val_loss improved from None to 1.00000, saving model to ckpt-01-1.00.weights.h5\n\nEpoch 1: finished saving model to ckpt-01-1.00.weights.h5\n\nEpoch 2: val_loss improved from 1.00000 to 0.80000, saving model to ckpt-02-0.80.weights.h5\n\nEpoch 2: finished saving model to ckpt-02-0.80.weights.h5\n\nEpoch 3: val_loss did not improve from 0.80000\n\nEpoch 4: val_loss improved from 0.80000 to 0.79000, saving model to ckpt-04-0.79.weights.h5\n\nEpoch 4: finished saving model to ckpt-04-0.79.weights.h5\n\nEpoch 5: val_loss did not improve from 0.79000\n\nEpoch 6: val_loss did not improve from 0.79000\n\nEpoch 7: val_loss did not improve from 0.79000\n\nEpoch 8: val_loss improved from 0.79000 to 0.70000, saving model to ckpt-08-0.70.weights.h5\n\nEpoch 8: finished saving model to ckpt-08-0.70.weights.h5\n\nEpoch 9: val_loss did not improve from 0.70000\n\nEpoch 10: val_loss did not improve from 0.70000\n\nEpoch 11: val_loss did not improve from 0.70000\n\nEpoch 12: val_loss did not improve from 0.70000\n", warnings: 0, warning: None },
    McCase { name: "every_epoch", filepath: "e{epoch:03d}.weights.h5", monitor: "val_loss", mode: "auto", save_best_only: false, initial_value_threshold: None, epochs: 4, files: &["e001.weights.h5", "e002.weights.h5", "e003.weights.h5", "e004.weights.h5"], marker: None, printed: "\nEpoch 1: saving model to e001.weights.h5\n\nEpoch 1: finished saving model to e001.weights.h5\n\nEpoch 2: saving model to e002.weights.h5\n\nEpoch 2: finished saving model to e002.weights.h5\n\nEpoch 3: saving model to e003.weights.h5\n\nEpoch 3: finished saving model to e003.weights.h5\n\nEpoch 4: saving model to e004.weights.h5\n\nEpoch 4: finished saving model to e004.weights.h5\n", warnings: 0, warning: None },
    McCase { name: "best_max", filepath: "acc-{epoch:02d}-{val_accuracy:.3f}.weights.h5", monitor: "val_accuracy", mode: "max", save_best_only: true, initial_value_threshold: None, epochs: 12, files: &["acc-01-0.500.weights.h5", "acc-02-0.600.weights.h5", "acc-04-0.610.weights.h5", "acc-08-0.700.weights.h5"], marker: None, printed: "\nEpoch 1: val_accuracy improved from None to 0.50000, saving model to acc-01-0.500.weights.h5\n\nEpoch 1: finished saving model to acc-01-0.500.weights.h5\n\nEpoch 2: val_accuracy improved from 0.50000 to 0.60000, saving model to acc-02-0.600.weights.h5\n\nEpoch 2: finished saving model to acc-02-0.600.weights.h5\n\nEpoch 3: val_accuracy did not improve from 0.60000\n\nEpoch 4: val_accuracy improved from 0.60000 to 0.61000, saving model to acc-04-0.610.weights.h5\n\nEpoch 4: finished saving model to acc-04-0.610.weights.h5\n\nEpoch 5: val_accuracy did not improve from 0.61000\n\nEpoch 6: val_accuracy did not improve from 0.61000\n\nEpoch 7: val_accuracy did not improve from 0.61000\n\nEpoch 8: val_accuracy improved from 0.61000 to 0.70000, saving model to acc-08-0.700.weights.h5\n\nEpoch 8: finished saving model to acc-08-0.700.weights.h5\n\nEpoch 9: val_accuracy did not improve from 0.70000\n\nEpoch 10: val_accuracy did not improve from 0.70000\n\nEpoch 11: val_accuracy did not improve from 0.70000\n\nEpoch 12: val_accuracy did not improve from 0.70000\n", warnings: 0, warning: None },
    McCase { name: "best_auto_accuracy", filepath: "acc-{epoch}.weights.h5", monitor: "val_accuracy", mode: "auto", save_best_only: true, initial_value_threshold: None, epochs: 12, files: &["acc-1.weights.h5", "acc-2.weights.h5", "acc-4.weights.h5", "acc-8.weights.h5"], marker: None, printed: "\nEpoch 1: val_accuracy improved from None to 0.50000, saving model to acc-1.weights.h5\n\nEpoch 1: finished saving model to acc-1.weights.h5\n\nEpoch 2: val_accuracy improved from 0.50000 to 0.60000, saving model to acc-2.weights.h5\n\nEpoch 2: finished saving model to acc-2.weights.h5\n\nEpoch 3: val_accuracy did not improve from 0.60000\n\nEpoch 4: val_accuracy improved from 0.60000 to 0.61000, saving model to acc-4.weights.h5\n\nEpoch 4: finished saving model to acc-4.weights.h5\n\nEpoch 5: val_accuracy did not improve from 0.61000\n\nEpoch 6: val_accuracy did not improve from 0.61000\n\nEpoch 7: val_accuracy did not improve from 0.61000\n\nEpoch 8: val_accuracy improved from 0.61000 to 0.70000, saving model to acc-8.weights.h5\n\nEpoch 8: finished saving model to acc-8.weights.h5\n\nEpoch 9: val_accuracy did not improve from 0.70000\n\nEpoch 10: val_accuracy did not improve from 0.70000\n\nEpoch 11: val_accuracy did not improve from 0.70000\n\nEpoch 12: val_accuracy did not improve from 0.70000\n", warnings: 0, warning: None },
    McCase { name: "threshold", filepath: "t-{epoch:02d}.weights.h5", monitor: "val_loss", mode: "min", save_best_only: true, initial_value_threshold: Some(0.8), epochs: 12, files: &["t-04.weights.h5", "t-08.weights.h5"], marker: None, printed: "\nEpoch 1: val_loss did not improve from 0.80000\n\nEpoch 2: val_loss did not improve from 0.80000\n\nEpoch 3: val_loss did not improve from 0.80000\n\nEpoch 4: val_loss improved from 0.80000 to 0.79000, saving model to t-04.weights.h5\n\nEpoch 4: finished saving model to t-04.weights.h5\n\nEpoch 5: val_loss did not improve from 0.79000\n\nEpoch 6: val_loss did not improve from 0.79000\n\nEpoch 7: val_loss did not improve from 0.79000\n\nEpoch 8: val_loss improved from 0.79000 to 0.70000, saving model to t-08.weights.h5\n\nEpoch 8: finished saving model to t-08.weights.h5\n\nEpoch 9: val_loss did not improve from 0.70000\n\nEpoch 10: val_loss did not improve from 0.70000\n\nEpoch 11: val_loss did not improve from 0.70000\n\nEpoch 12: val_loss did not improve from 0.70000\n", warnings: 0, warning: None },
    McCase { name: "threshold_max", filepath: "t-{epoch:02d}.weights.h5", monitor: "val_accuracy", mode: "max", save_best_only: true, initial_value_threshold: Some(0.6), epochs: 12, files: &["t-04.weights.h5", "t-08.weights.h5"], marker: None, printed: "\nEpoch 1: val_accuracy did not improve from 0.60000\n\nEpoch 2: val_accuracy did not improve from 0.60000\n\nEpoch 3: val_accuracy did not improve from 0.60000\n\nEpoch 4: val_accuracy improved from 0.60000 to 0.61000, saving model to t-04.weights.h5\n\nEpoch 4: finished saving model to t-04.weights.h5\n\nEpoch 5: val_accuracy did not improve from 0.61000\n\nEpoch 6: val_accuracy did not improve from 0.61000\n\nEpoch 7: val_accuracy did not improve from 0.61000\n\nEpoch 8: val_accuracy improved from 0.61000 to 0.70000, saving model to t-08.weights.h5\n\nEpoch 8: finished saving model to t-08.weights.h5\n\nEpoch 9: val_accuracy did not improve from 0.70000\n\nEpoch 10: val_accuracy did not improve from 0.70000\n\nEpoch 11: val_accuracy did not improve from 0.70000\n\nEpoch 12: val_accuracy did not improve from 0.70000\n", warnings: 0, warning: None },
    McCase { name: "single_best_file", filepath: "best.weights.h5", monitor: "val_loss", mode: "min", save_best_only: true, initial_value_threshold: None, epochs: 12, files: &["best.weights.h5"], marker: Some(7), printed: "\nEpoch 1: val_loss improved from None to 1.00000, saving model to best.weights.h5\n\nEpoch 1: finished saving model to best.weights.h5\n\nEpoch 2: val_loss improved from 1.00000 to 0.80000, saving model to best.weights.h5\n\nEpoch 2: finished saving model to best.weights.h5\n\nEpoch 3: val_loss did not improve from 0.80000\n\nEpoch 4: val_loss improved from 0.80000 to 0.79000, saving model to best.weights.h5\n\nEpoch 4: finished saving model to best.weights.h5\n\nEpoch 5: val_loss did not improve from 0.79000\n\nEpoch 6: val_loss did not improve from 0.79000\n\nEpoch 7: val_loss did not improve from 0.79000\n\nEpoch 8: val_loss improved from 0.79000 to 0.70000, saving model to best.weights.h5\n\nEpoch 8: finished saving model to best.weights.h5\n\nEpoch 9: val_loss did not improve from 0.70000\n\nEpoch 10: val_loss did not improve from 0.70000\n\nEpoch 11: val_loss did not improve from 0.70000\n\nEpoch 12: val_loss did not improve from 0.70000\n", warnings: 0, warning: None },
    McCase { name: "single_file_every_epoch", filepath: "last.weights.h5", monitor: "val_loss", mode: "min", save_best_only: false, initial_value_threshold: None, epochs: 5, files: &["last.weights.h5"], marker: Some(4), printed: "\nEpoch 1: saving model to last.weights.h5\n\nEpoch 1: finished saving model to last.weights.h5\n\nEpoch 2: saving model to last.weights.h5\n\nEpoch 2: finished saving model to last.weights.h5\n\nEpoch 3: saving model to last.weights.h5\n\nEpoch 3: finished saving model to last.weights.h5\n\nEpoch 4: saving model to last.weights.h5\n\nEpoch 4: finished saving model to last.weights.h5\n\nEpoch 5: saving model to last.weights.h5\n\nEpoch 5: finished saving model to last.weights.h5\n", warnings: 0, warning: None },
    McCase { name: "missing_monitor", filepath: "m-{epoch}.weights.h5", monitor: "val_los", mode: "min", save_best_only: true, initial_value_threshold: None, epochs: 3, files: &["m-1.weights.h5", "m-2.weights.h5", "m-3.weights.h5"], marker: None, printed: "\nEpoch 1: finished saving model to m-1.weights.h5\n\nEpoch 2: finished saving model to m-2.weights.h5\n\nEpoch 3: finished saving model to m-3.weights.h5\n", warnings: 3, warning: Some("Can save best model only with val_los available.") },
];

#[test]
fn model_checkpoint_writes_the_files_keras_writes() {
    for case in MODEL_CHECKPOINT {
        let dir = scratch(&format!("keras-ckpt-{}", case.name));
        let mut model = tiny();
        let mut checkpoint = ModelCheckpoint::new(dir.join(case.filepath))
            .monitor(case.monitor)
            .mode(case.mode.parse().unwrap())
            .save_best_only(case.save_best_only)
            .save_weights_only(true)
            .verbose(1);
        if let Some(threshold) = case.initial_value_threshold {
            checkpoint = checkpoint.initial_value_threshold(threshold);
        }
        drive(&mut checkpoint, &mut model, case.epochs, None);
        let name = case.name;
        assert_eq!(files_in(&dir), case.files, "{name}: files");
        if let Some(expected) = case.marker {
            model.load_weights(dir.join(case.files[0])).unwrap();
            assert_eq!(marker(&model), expected, "{name}: weights in the file");
        }
        let folder = format!("{}{}", dir.display(), std::path::MAIN_SEPARATOR);
        let shown = printed(checkpoint.messages()).replace(&folder, "");
        assert_eq!(shown, case.printed, "{name}: messages");
        assert_eq!(checkpoint.warnings().len(), case.warnings, "{name}");
        if let Some(warning) = case.warning {
            // Keras's words, then (densely's addition) the values that do exist.
            let text = &checkpoint.warnings()[0];
            assert!(text.starts_with(warning), "{name}: {text}");
            assert!(
                text.ends_with(
                    "Available metrics are: accuracy,loss,val_accuracy,val_loss. \
                     Did you mean `val_loss`?"
                ),
                "{text}"
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn model_checkpoint_every_three_batches_as_keras() {
    let dir = scratch("keras-ckpt-batches");
    let mut model = tiny();
    let mut checkpoint =
        ModelCheckpoint::new(dir.join("b-{epoch:02d}-{batch:03d}-{loss:.3f}.weights.h5"))
            .monitor("loss")
            .save_weights_only(true)
            .save_freq(SaveFreq::Batches(3))
            .verbose(1);
    checkpoint
        .on_train_begin(&mut model, &Logs::default())
        .unwrap();
    for epoch in 0..2 {
        checkpoint
            .on_epoch_begin(&mut model, epoch, &Logs::default())
            .unwrap();
        for batch in 0..5 {
            let logs = Logs::from_pairs([("loss", 1.0 / (1 + epoch * 5 + batch) as f64)]);
            checkpoint
                .on_train_batch_begin(&mut model, batch, &logs)
                .unwrap();
            checkpoint
                .on_train_batch_end(&mut model, batch, &logs)
                .unwrap();
        }
        checkpoint
            .on_epoch_end(&mut model, epoch, &epoch_logs(epoch, None))
            .unwrap();
    }
    checkpoint
        .on_train_end(&mut model, &Logs::default())
        .unwrap();
    // Keras 3.15, tools/keras_callbacks.py (`model_checkpoint`, save_freq=3).
    assert_eq!(
        files_in(&dir),
        [
            "b-01-003-0.333.weights.h5",
            "b-02-001-0.167.weights.h5",
            "b-02-004-0.111.weights.h5"
        ]
    );
    let folder = format!("{}{}", dir.display(), std::path::MAIN_SEPARATOR);
    assert_eq!(
        printed(checkpoint.messages()).replace(&folder, ""),
        "\nEpoch 1: saving model to b-01-003-0.333.weights.h5\n\nEpoch 1: finished saving model to b-01-003-0.333.weights.h5\n\nEpoch 2: saving model to b-02-001-0.167.weights.h5\n\nEpoch 2: finished saving model to b-02-001-0.167.weights.h5\n\nEpoch 2: saving model to b-02-004-0.111.weights.h5\n\nEpoch 2: finished saving model to b-02-004-0.111.weights.h5\n"
    );
    fs::remove_dir_all(&dir).unwrap();
}

struct RlrCase {
    name: &'static str,
    monitor: &'static str,
    mode: &'static str,
    factor: f64,
    patience: usize,
    min_delta: f64,
    cooldown: usize,
    min_lr: f64,
    sequence: &'static [f64],
    logged: &'static [f64],
    #[allow(dead_code)]
    r#final: f64,
    printed: &'static str,
    warnings: usize,
    warning: Option<&'static str>,
}

/// Keras 3.15's answers (tools/keras_callbacks.py, `reduce_lr`), with SGD(0.1).
const REDUCE_LR: &[RlrCase] = &[
    RlrCase { name: "plateau_patience_2", monitor: "val_loss", mode: "auto", factor: 0.5, patience: 2, min_delta: 0.0001, cooldown: 0, min_lr: 0.0, sequence: PLATEAU, logged: &[0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.05000000074505806, 0.05000000074505806, 0.05000000074505806, 0.02500000037252903, 0.02500000037252903, 0.02500000037252903, 0.012500000186264515, 0.012500000186264515, 0.012500000186264515, 0.012500000186264515, 0.0062500000931322575], r#final: 0.0062500000931322575, printed: "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.02500000037252903.\n\nEpoch 9: ReduceLROnPlateau reducing learning rate to 0.012500000186264515.\n\nEpoch 13: ReduceLROnPlateau reducing learning rate to 0.0062500000931322575.\n", warnings: 0, warning: None },
    RlrCase { name: "cooldown_min_lr", monitor: "val_loss", mode: "min", factor: 0.5, patience: 1, min_delta: 0.0001, cooldown: 2, min_lr: 0.02, sequence: PLATEAU, logged: &[0.10000000149011612, 0.10000000149011612, 0.05000000074505806, 0.05000000074505806, 0.05000000074505806, 0.02500000037252903, 0.02500000037252903, 0.02500000037252903, 0.019999999552965164, 0.019999999552965164, 0.019999999552965164, 0.019999999552965164, 0.019999999552965164, 0.019999999552965164], r#final: 0.019999999552965164, printed: "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n\nEpoch 5: ReduceLROnPlateau reducing learning rate to 0.02500000037252903.\n\nEpoch 8: ReduceLROnPlateau reducing learning rate to 0.02.\n", warnings: 0, warning: None },
    RlrCase { name: "min_delta_0", monitor: "val_loss", mode: "min", factor: 0.1, patience: 2, min_delta: 0.0, cooldown: 0, min_lr: 0.0, sequence: PLATEAU, logged: &[0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.009999999776482582, 0.009999999776482582, 0.009999999776482582, 0.0009999999310821295, 0.0009999999310821295, 0.0009999999310821295, 0.0009999999310821295, 9.99999901978299e-05], r#final: 9.99999901978299e-05, printed: "\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.010000000149011612.\n\nEpoch 9: ReduceLROnPlateau reducing learning rate to 0.0009999999776482583.\n\nEpoch 13: ReduceLROnPlateau reducing learning rate to 9.999999310821295e-05.\n", warnings: 0, warning: None },
    RlrCase { name: "defaults_on_val_loss", monitor: "val_loss", mode: "auto", factor: 0.1, patience: 10, min_delta: 0.0001, cooldown: 0, min_lr: 0.0, sequence: &VAL_LOSS, logged: &[0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612], r#final: 0.10000000149011612, printed: "", warnings: 0, warning: None },
    RlrCase { name: "max_accuracy", monitor: "val_accuracy", mode: "max", factor: 0.2, patience: 1, min_delta: 0.0001, cooldown: 1, min_lr: 0.0, sequence: &VAL_LOSS, logged: &[0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.019999999552965164, 0.019999999552965164, 0.003999999724328518, 0.0007999999215826392, 0.0001599999814061448, 0.0001599999814061448, 3.199999628122896e-05, 6.399999165296322e-06, 1.2799998785339994e-06], r#final: 2.559999643381161e-07, printed: "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.020000000298023225.\n\nEpoch 5: ReduceLROnPlateau reducing learning rate to 0.003999999910593033.\n\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.0007999999448657036.\n\nEpoch 7: ReduceLROnPlateau reducing learning rate to 0.00015999998431652786.\n\nEpoch 9: ReduceLROnPlateau reducing learning rate to 3.199999628122896e-05.\n\nEpoch 10: ReduceLROnPlateau reducing learning rate to 6.399999256245792e-06.\n\nEpoch 11: ReduceLROnPlateau reducing learning rate to 1.2799998330592645e-06.\n\nEpoch 12: ReduceLROnPlateau reducing learning rate to 2.559999757067999e-07.\n", warnings: 0, warning: None },
    RlrCase { name: "missing_monitor", monitor: "val_los", mode: "min", factor: 0.5, patience: 0, min_delta: 0.0001, cooldown: 0, min_lr: 0.0, sequence: &VAL_LOSS, logged: &[0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612], r#final: 0.10000000149011612, printed: "", warnings: 12, warning: Some("Learning rate reduction is conditioned on metric `val_los` which is not available. Available metrics are: accuracy,loss,val_accuracy,val_loss,learning_rate.") },
];

#[test]
fn reduce_lr_on_plateau_reduces_when_keras_does() {
    for case in REDUCE_LR {
        let mut model = tiny();
        let mut reduce = ReduceLrOnPlateau::new()
            .monitor(case.monitor)
            .mode(case.mode.parse().unwrap())
            .factor(case.factor)
            .patience(case.patience)
            .min_delta(case.min_delta)
            .cooldown(case.cooldown)
            .min_lr(case.min_lr)
            .verbose(1);
        let sequence = (case.sequence.len() != VAL_LOSS.len()).then_some(case.sequence);
        let (_, passed) = drive(&mut reduce, &mut model, case.sequence.len(), sequence);
        let name = case.name;
        let logged: Vec<f64> = passed
            .iter()
            .map(|l| l.get("learning_rate").unwrap())
            .collect();
        assert_eq!(logged, case.logged, "{name}: learning_rate logged");
        let rate = f64::from(model.optimizer().unwrap().learning_rate());
        assert_eq!(rate, case.r#final, "{name}: final rate");
        assert_eq!(printed(reduce.messages()), case.printed, "{name}: messages");
        assert_eq!(reduce.warnings().len(), case.warnings, "{name}");
        assert_eq!(
            reduce.warnings().first().map(String::as_str),
            case.warning.map(keras_then_nearest).as_deref()
        );
    }
}

#[test]
fn learning_rate_scheduler_sets_and_logs_the_rates_keras_does() {
    let mut model = tiny();
    let mut scheduler =
        LearningRateScheduler::new(|epoch, rate| if epoch < 2 { rate } else { rate * 0.5 })
            .verbose(1);
    let (_, passed) = drive(&mut scheduler, &mut model, 4, None);
    let logged: Vec<f64> = passed
        .iter()
        .map(|l| l.get("learning_rate").unwrap())
        .collect();
    // Keras 3.15, tools/keras_callbacks.py (`learning_rate_scheduler`).
    assert_eq!(
        logged,
        [
            0.10000000149011612,
            0.10000000149011612,
            0.05000000074505806,
            0.02500000037252903
        ]
    );
    assert_eq!(
        printed(scheduler.messages()),
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.10000000149011612.\n\nEpoch 2: LearningRateScheduler setting learning rate to 0.10000000149011612.\n\nEpoch 3: LearningRateScheduler setting learning rate to 0.05000000074505806.\n\nEpoch 4: LearningRateScheduler setting learning rate to 0.02500000037252903.\n"
    );
}

/// Runs a CSV logger over these epochs' logs, as the script does.
fn csv_run(mut logger: CsvLogger, rows: &[Logs]) {
    let mut model = tiny();
    Callback::<Tiny>::on_train_begin(&mut logger, &mut model, &Logs::default()).unwrap();
    for (epoch, logs) in rows.iter().enumerate() {
        logger.on_epoch_end(&mut model, epoch, logs).unwrap();
    }
    Callback::<Tiny>::on_train_end(&mut logger, &mut model, &Logs::default()).unwrap();
}

#[test]
fn csv_logger_writes_the_bytes_keras_writes() {
    let dir = scratch("keras-csv");
    let path = dir.join("log.csv");
    let with_val = [
        Logs::from_pairs([
            ("loss", 0.5),
            ("accuracy", 0.25),
            ("val_loss", 0.75),
            ("val_accuracy", 1e-05),
        ]),
        Logs::from_pairs([
            ("loss", 0.1 + 0.2),
            ("accuracy", 1e16),
            ("val_loss", 123456.789),
            ("val_accuracy", -0.0),
        ]),
    ];
    let without_val = [
        Logs::from_pairs([("loss", 0.5), ("accuracy", 0.125)]),
        Logs::from_pairs([("loss", f64::NAN), ("accuracy", f64::INFINITY)]),
    ];
    let read = || fs::read_to_string(&path).unwrap();
    // Keras 3.15, tools/keras_callbacks.py (`csv_logger`).
    csv_run(CsvLogger::new(&path), &with_val);
    assert_eq!(read(), "epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.25,0.5,1e-05,0.75\r\n1,1e+16,0.30000000000000004,-0.0,123456.789\r\n");
    csv_run(CsvLogger::new(&path).append(true), &with_val[..1]);
    assert_eq!(read(), "epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.25,0.5,1e-05,0.75\r\n1,1e+16,0.30000000000000004,-0.0,123456.789\r\n0,0.25,0.5,1e-05,0.75\r\n");
    fs::remove_file(&path).unwrap();
    csv_run(CsvLogger::new(&path).append(true), &without_val);
    assert_eq!(
        read(),
        "epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.125,0.5,NA,NA\r\n1,inf,nan,NA,NA\r\n"
    );
    csv_run(CsvLogger::new(&path).separator(';'), &with_val[..1]);
    assert_eq!(
        read(),
        "epoch;accuracy;loss;val_accuracy;val_loss\r\n0;0.25;0.5;1e-05;0.75\r\n"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn terminate_on_nan_stops_as_keras_does() {
    let mut model = tiny();
    let mut terminate = TerminateOnNan::new();
    for (batch, loss) in [0.5, 0.4, f64::NAN].into_iter().enumerate() {
        let logs = Logs::from_pairs([("loss", loss)]);
        terminate
            .on_train_batch_end(&mut model, batch, &logs)
            .unwrap();
    }
    // Keras 3.15, tools/keras_callbacks.py (`terminate_on_nan`): stop_training True, and
    // "Batch 2: Invalid loss, terminating training\n".
    assert!(model.training_state().stop_requested());
    assert_eq!(
        printed(terminate.messages()),
        "Batch 2: Invalid loss, terminating training\n"
    );
    // With raise_error Keras raises "NaN or Inf loss encountered at batch 4. Loss value: inf.
    // Terminating training immediately."; densely returns its own error for a loss that is
    // not finite, which names the same batch and value.
    let mut raising = TerminateOnNan::new().raise_error(true);
    let logs = Logs::from_pairs([("loss", f64::INFINITY)]);
    let error = raising
        .on_train_batch_end(&mut model, 4, &logs)
        .unwrap_err();
    assert!(
        matches!(error, Error::NonFinite { cause: NonFinite::Loss(loss), batch: 4, epoch: 0, history: None, .. } if loss == f64::INFINITY)
    );
}

#[test]
fn reduce_lr_on_plateau_adds_learning_rate_to_the_history_as_keras_does() {
    let x = Batch::<Shape1<1>>::from_vec((0..8).map(|i| i as f32 / 7.0).collect()).unwrap();
    let y = Batch::<Shape1<1>>::from_fn(8, |s, _| 2.0 * x.sample(s)[0]);
    let mut model = tiny();
    let options = FitOptions::default()
        .epochs(2)
        .verbose(0)
        .validation_split(0.25)
        .callback(ReduceLrOnPlateau::new());
    let history = model.fit(&x, &y, options).unwrap();
    let keys: Vec<&str> = history.history.keys().map(String::as_str).collect();
    // Keras 3.15, tools/keras_callbacks.py (`fit_history`).
    assert_eq!(
        keys,
        [
            "accuracy",
            "learning_rate",
            "loss",
            "val_accuracy",
            "val_loss"
        ]
    );
    assert_eq!(history.history["learning_rate"], [0.10000000149011612; 2]);
}

#[test]
fn modes_that_keras_cannot_infer_are_refused_when_training_starts() {
    let mut model = tiny();
    let mut early_stopping = EarlyStopping::new().monitor("val_acc");
    let error = Callback::<Tiny>::on_train_begin(&mut early_stopping, &mut model, &Logs::default())
        .unwrap_err()
        .to_string();
    // Keras 3.15: "EarlyStopping callback received monitor=val_acc, but Keras isn't able to
    // automatically determine whether that metric should be maximized or minimized. ..."
    assert!(
        error.contains("EarlyStopping callback received monitor=val_acc"),
        "{error}"
    );
    let mut explicit = EarlyStopping::new().monitor("val_acc").mode(Mode::Max);
    Callback::<Tiny>::on_train_begin(&mut explicit, &mut model, &Logs::default()).unwrap();
}
