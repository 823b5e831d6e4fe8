//! The book's next step: fine-tuning a regression MLP's hyperparameters with a randomized
//! search, each candidate architecture built while the program runs.
//!
//! ```sh
//! cargo run --release --example hyperparameter_search              # 10 trials, up to 100 epochs
//! cargo run --release --example hyperparameter_search -- 20 50     # 20 trials, up to 50 epochs
//! ```
//!
//! As the book's `RandomizedSearchCV` over `build_model(n_hidden, n_neurons, learning_rate)`,
//! with `n_hidden` in 0..=3, `n_neurons` in 1..=100 and `learning_rate` from
//! `reciprocal(3e-4, 3e-2)`, each trial trained with `EarlyStopping(patience=10)` on the
//! validation set. The data is scikit-learn's diabetes set, as in the `wide_deep` example
//! (see `examples/common/diabetes.rs` for where it is found). It prints a line per trial, the
//! table of trials (also written as CSV), the best hyperparameters, the best model's test
//! error, and the `model!` declaration that freezes the winner into a typed struct, which
//! loads the saved best model.

mod common;

use std::process::ExitCode;

use common::cli::{self, output_folder, step};
use common::diabetes::{load_diabetes, prepare};
use densely::dynamic::{dense, DynamicModel, Sequential};
use densely::prelude::*;
use densely::search::{Params, RandomSearch, Space};

const USAGE: &str = "cargo run --release --example hyperparameter_search [-- TRIALS [EPOCHS]]

The book's randomized search over n_hidden, n_neurons and learning_rate, TRIALS trials
(10 by default) of up to EPOCHS epochs (100 by default) with early stopping, on scikit-learn's
diabetes data. Files go to $DENSELY_OUT (by default target/book).";

/// The book's `build_model`: `n_hidden` hidden layers of `n_neurons` relu units, one linear
/// output, SGD with `learning_rate`.
fn build_model(params: &Params) -> densely::Result<DynamicModel> {
    let mut model = Sequential::new("regressor").input("features", &[10]);
    for _ in 0..params.count("n_hidden")? {
        model = model.add(dense(params.count("n_neurons")?).activation("relu"));
    }
    let mut model = model
        .add(dense(1))
        .loss("mse")
        .build_with_seed(params.seed())?;
    model.compile(Sgd::new(params.real("learning_rate")? as f32), []);
    Ok(model)
}

fn main() -> ExitCode {
    cli::run(USAGE, run)
}

fn arguments() -> Result<(usize, usize), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize, default: usize| match args.get(index) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("expected a positive number, got {text:?}\n\n{USAGE}")),
    };
    Ok((number(0, 10)?, number(1, 100)?))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (trials, epochs) = arguments()?;
    let out = output_folder()?;

    step("X, y = load_diabetes(return_X_y=True); train_test_split twice; StandardScaler");
    let data = load_diabetes()?;
    let (train, valid, test, y_scaler) = prepare(&data);
    let (x_train, x_valid, x_test) = (
        train.columns::<10>(0..10),
        valid.columns::<10>(0..10),
        test.columns::<10>(0..10),
    );
    let (y_train, y_valid, y_test) = (train.targets(), valid.targets(), test.targets());
    println!(
        "{} training, {} validation and {} test rows from {}",
        x_train.len(),
        x_valid.len(),
        x_test.len(),
        data.folder.display()
    );

    step(
        "param_distribs = {'n_hidden': [0, 1, 2, 3], 'n_neurons': np.arange(1, 100), \
         'learning_rate': reciprocal(3e-4, 3e-2)}",
    );
    let space = Space::new()
        .integer("n_hidden", 0, 3)
        .integer("n_neurons", 1, 100)
        .log_uniform("learning_rate", 3e-4, 3e-2);

    step(&format!(
        "rnd_search = RandomizedSearchCV(keras_reg, param_distribs, n_iter={trials}); \
         rnd_search.fit(X_train, y_train, epochs={epochs}, validation_data=(X_valid, y_valid), \
         callbacks=[EarlyStopping(patience=10)])"
    ));
    let started = std::time::Instant::now();
    let result = RandomSearch::new(space)
        .trials(trials)
        .epochs(epochs)
        .seed(42)
        .early_stopping(EarlyStopping::new().patience(10).restore_best_weights(true))
        .run(build_model, (&x_train, &y_train), (&x_valid, &y_valid))?;
    println!(
        "{trials} trials in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("\n{}", result.table());
    let csv = out.join("hyperparameter_search.csv");
    result.to_csv(&csv)?;
    println!("trials table: {}", csv.display());

    step("rnd_search.best_params_, rnd_search.best_score_");
    println!(
        "best: {}  (val_loss {:.4}, trial {})",
        result.best_params(),
        result.best_score(),
        result.best_trial().index + 1
    );

    step("model = rnd_search.best_estimator_.model; model.evaluate(X_test, y_test)");
    let mut best = result.into_best_model();
    best.summary();
    let mse_test = best
        .evaluate(&x_test, &y_test)?
        .get("loss")
        .unwrap_or(f64::NAN);
    println!(
        "mse_test = {mse_test:.4} of standardized targets; rmse {:.1} in the original units \
         (the target's standard deviation is {:.1})",
        mse_test.sqrt() * f64::from(y_scaler.std(0)),
        y_scaler.std(0)
    );

    step("model.save('search_best.keras')  # then freeze it into a typed struct");
    let saved = out.join("search_best.keras");
    best.save(&saved)?;
    println!(
        "{}",
        densely::files::declaration_of(&best, "BestRegressor")?
    );
    println!(
        "Paste the declaration into a program and `BestRegressor::load({:?})` gives this model, \
         every shape checked when the program compiles.",
        saved.display().to_string()
    );
    Ok(())
}
