//! The book's first Functional model, "Wide & Deep" with two inputs: a wide path straight to
//! the output and a deep path through two hidden layers, joined by a concatenation.
//!
//! ```sh
//! cargo run --release --example wide_deep          # 20 epochs, as the book
//! cargo run --release --example wide_deep -- 50    # more epochs
//! ```
//!
//! The book uses California housing, which needs a download; this example uses the real
//! regression data set that scikit-learn ships in its package, the diabetes data (442 patients,
//! 10 features, disease progression after a year): see `examples/common/mod.rs` for where it is
//! looked for and how to get it (`apt-get install python3-sklearn`, `pip install scikit-learn`,
//! or two files unzipped from scikit-learn's wheel). As the book splits California's 8 features
//! into `X[:, :5]` (wide) and `X[:, 2:]` (deep), this splits diabetes' 10 into the first 5
//! (age, sex, bmi, bp, s1) and the last 6 (s1 to s6).

mod common;

use std::process::ExitCode;

use common::cli::{self, epochs, output_folder, step};
use common::diabetes::{load_diabetes, prepare, FEATURE_NAMES};
use densely::prelude::*;

model! {
    /// Wide & Deep: `input_A` goes straight to the output, `input_B` through the deep path.
    pub struct WideAndDeep {
        input wide_input: [5];
        input deep_input: [6];
        hidden1 = Dense(30, relu)(deep_input);
        hidden2 = Dense(30, relu)(hidden1);
        concat = concatenate(wide_input, hidden2);
        output output = Dense(1)(concat), loss = mse;
    }
}

/// The command line and what the example does, for `--help`.
const USAGE: &str = "cargo run --release --example wide_deep [-- EPOCHS]

The book's Wide & Deep model with two inputs, trained EPOCHS epochs (20 by default) on
scikit-learn's diabetes data. Files go to $DENSELY_OUT (by default target/book).";

fn main() -> ExitCode {
    cli::run(USAGE, run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let epochs = epochs(20)?;
    let out = output_folder()?;

    step("data = load_diabetes(); train_test_split twice; StandardScaler");
    let data = load_diabetes()?;
    println!(
        "{} patients x {} features {:?} from {}",
        data.features.len(),
        FEATURE_NAMES.len(),
        FEATURE_NAMES,
        data.folder.display()
    );
    let (train, valid, test, y_scaler) = prepare(&data);
    println!(
        "{} training, {} validation and {} test rows, standardized (targets too)",
        train.x.len(),
        valid.x.len(),
        test.x.len()
    );

    step("X_train_A, X_train_B = X_train[:, :5], X_train[:, 4:]");
    let (x_train_a, x_train_b) = (train.columns::<5>(0..5), train.columns::<6>(4..10));
    let (x_valid_a, x_valid_b) = (valid.columns::<5>(0..5), valid.columns::<6>(4..10));
    let (x_test_a, x_test_b) = (test.columns::<5>(0..5), test.columns::<6>(4..10));
    let (y_train, y_valid, y_test) = (train.targets(), valid.targets(), test.targets());
    println!(
        "wide: {:?}, deep: {:?}",
        &FEATURE_NAMES[..5],
        &FEATURE_NAMES[4..]
    );

    step("model = keras.Model(inputs=[input_A, input_B], outputs=[output]); model.summary()");
    let mut model = WideAndDeep::new();
    model.summary();
    let picture = out.join("wide_deep.png");
    plot_model::<WideAndDeep>(&picture, PlotOptions::default().show_shapes(true))?;
    println!("model plot: {}", picture.display());

    step("model.compile(loss='mse', optimizer=keras.optimizers.SGD(learning_rate=1e-2))");
    // The book's 1e-3 suits California's 11,610 training rows (363 steps an epoch); with 248
    // rows (8 steps an epoch) SGD's default 1e-2 learns in the same 20 epochs.
    model.compile(Sgd::new(1e-2), []);

    step(&format!(
        "history = model.fit((X_train_A, X_train_B), y_train, epochs={epochs}, \
         validation_data=((X_valid_A, X_valid_B), y_valid))"
    ));
    let history = model.fit(
        (&x_train_a, &x_train_b),
        &y_train,
        FitOptions::default()
            .epochs(epochs)
            .validation_data((&x_valid_a, &x_valid_b), &y_valid),
    )?;
    let curves = out.join("wide_deep_learning_curves.png");
    history.plot(&curves)?;
    println!("learning curves: {}", curves.display());

    step("mse_test = model.evaluate((X_test_A, X_test_B), y_test)");
    let mse_test = model
        .evaluate((&x_test_a, &x_test_b), &y_test)?
        .get("loss")
        .unwrap_or(f64::NAN);
    println!(
        "mse_test = {mse_test:.4}  (of standardized targets: R^2 = 1 - mse = {:.2})",
        1.0 - mse_test
    );
    println!(
        "rmse in the original units: {:.1} (the target's standard deviation is {:.1})",
        mse_test.sqrt() * f64::from(y_scaler.std(0)),
        y_scaler.std(0)
    );

    step(
        "X_new_A, X_new_B = X_test_A[:3], X_test_B[:3]; y_pred = model.predict((X_new_A, X_new_B))",
    );
    let (x_new_a, x_new_b) = (x_test_a.slice(0..3), x_test_b.slice(0..3));
    let y_pred = model.predict((&x_new_a, &x_new_b))?;
    for row in 0..y_pred.len() {
        println!(
            "predicted {:6.1}   actual {:6.1}",
            y_scaler.inverse(0, y_pred.sample(row)[0]),
            y_scaler.inverse(0, y_test.sample(row)[0])
        );
    }
    Ok(())
}
