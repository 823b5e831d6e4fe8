//! The book's "Using Callbacks": `ModelCheckpoint` keeps the best model seen on the validation
//! set, `EarlyStopping` ends training once it stops improving and rolls back to the best
//! weights, and a callback of your own prints the ratio of the validation loss to the
//! training loss (to spot overfitting), as the book's `PrintValTrainRatioCallback` does.
//!
//! ```sh
//! cargo run --release --example callbacks          # up to 100 epochs, as the book
//! ```
//!
//! As in the book, the model is a small regression MLP; the data is scikit-learn's diabetes
//! set (see `examples/common/mod.rs` for where it is looked for and how to get it), standing in
//! for California housing, which needs a download.

mod common;

use std::path::Path;
use std::process::ExitCode;

use common::cli::{self, epochs, output_folder, step};
use common::diabetes::{load_diabetes, prepare};
use densely::prelude::*;

model! {
    /// The book's regression MLP: one hidden layer of 30 relu units, one output.
    pub struct RegressionMlp {
        input features: [10];
        hidden = Dense(30, relu);
        output prediction = Dense(1), loss = mse;
    }
}

/// The book's custom callback: prints `val_loss / loss` after every epoch.
struct PrintValTrainRatio;

impl<N: Network> Callback<N> for PrintValTrainRatio {
    fn on_epoch_end(&mut self, _model: &mut N, epoch: usize, logs: &Logs) -> densely::Result<()> {
        if let (Some(loss), Some(val_loss)) = (logs.get("loss"), logs.get("val_loss")) {
            println!(
                "  epoch {:>3}: val/train: {:.2}",
                epoch + 1,
                val_loss / loss
            );
        }
        Ok(())
    }
}

/// The command line and what the example does, for `--help`.
const USAGE: &str = "cargo run --release --example callbacks [-- EPOCHS]

The book's \"Using Callbacks\": ModelCheckpoint, EarlyStopping and a callback of your own on
a regression MLP (EPOCHS epochs at most, 100 by default). Files go to $DENSELY_OUT (by
default target/book).";

fn main() -> ExitCode {
    cli::run(USAGE, run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let epochs = epochs(100)?;
    let out = output_folder()?;

    let data = load_diabetes()?;
    let (train, valid, test, _) = prepare(&data);
    let (x_train, y_train) = (train.columns::<10>(0..10), train.targets());
    let (x_valid, y_valid) = (valid.columns::<10>(0..10), valid.targets());
    let (x_test, y_test) = (test.columns::<10>(0..10), test.targets());
    println!(
        "diabetes: {} training, {} validation, {} test rows (from {})",
        x_train.len(),
        x_valid.len(),
        x_test.len(),
        data.folder.display()
    );

    let mut model = RegressionMlp::new();
    model.compile(Sgd::new(1e-2), []);

    step(
        "checkpoint_cb = keras.callbacks.ModelCheckpoint('callbacks_best_model.h5', save_best_only=True)",
    );
    let best_file = out.join("callbacks_best_model.h5");
    let mut checkpoint = ModelCheckpoint::new(&best_file).save_best_only(true).saver(
        |model: &RegressionMlp, path: &Path, weights_only: bool| {
            if weights_only {
                model.save_weights(path)
            } else {
                model.save(path)
            }
        },
    );

    step(
        "early_stopping_cb = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)",
    );
    let mut early_stopping = EarlyStopping::new().patience(10).restore_best_weights(true);

    step(&format!(
        "history = model.fit(X_train, y_train, epochs={epochs}, validation_data=(X_valid, y_valid), \
         callbacks=[checkpoint_cb, early_stopping_cb, PrintValTrainRatioCallback()])"
    ));
    let history = model.fit(
        &x_train,
        &y_train,
        FitOptions::default()
            .epochs(epochs)
            .validation_data(&x_valid, &y_valid)
            .verbose(0)
            .callback(&mut checkpoint)
            .callback(&mut early_stopping)
            .callback(PrintValTrainRatio),
    )?;
    println!(
        "trained {} of {epochs} epochs; early stopping: stopped at epoch {}, best epoch {} \
         (val_loss {:.4})",
        history.epoch.len(),
        early_stopping
            .stopped_epoch()
            .map_or("none".into(), |e| (e + 1).to_string()),
        early_stopping
            .best_epoch()
            .map_or("none".into(), |e| (e + 1).to_string()),
        early_stopping.best().unwrap_or(f64::NAN)
    );
    let curves = out.join("callbacks_learning_curves.png");
    history.plot(&curves)?;
    println!("learning curves: {}", curves.display());

    step(
        "model = keras.models.load_model('callbacks_best_model.h5')  # roll back to the best model",
    );
    let mut best = RegressionMlp::load(&best_file)?;
    println!("loaded {}", best_file.display());
    let restored = model
        .evaluate(&x_valid, &y_valid)?
        .get("loss")
        .unwrap_or(f64::NAN);
    let loaded = best
        .evaluate(&x_valid, &y_valid)?
        .get("loss")
        .unwrap_or(f64::NAN);
    println!(
        "val_loss of the restored weights: {restored:.4}, of the best checkpoint: {loaded:.4}"
    );

    step("mse_test = model.evaluate(X_test, y_test)");
    let mse_test = best
        .evaluate(&x_test, &y_test)?
        .get("loss")
        .unwrap_or(f64::NAN);
    println!("mse_test = {mse_test:.4} (standardized targets)");
    Ok(())
}
