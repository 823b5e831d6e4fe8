//! The book's Wide & Deep model with an auxiliary output: the main output reads the
//! concatenation, the auxiliary one reads the deep path alone (a regularizer, checking that
//! the deep path learns something useful on its own), and the loss weighs them 0.9 / 0.1.
//!
//! ```sh
//! cargo run --release --example multi_output          # 20 epochs, as the book
//! cargo run --release --example multi_output -- 50
//! ```
//!
//! Data: scikit-learn's diabetes data set, as in the `wide_deep` example (see
//! `examples/common/mod.rs` for where it is looked for and how to get it).

mod common;

use std::process::ExitCode;

use common::cli::{self, epochs, output_folder, step};
use common::diabetes::{load_diabetes, prepare};
use densely::prelude::*;

model! {
    /// Wide & Deep with a main and an auxiliary output, weighted 0.9 and 0.1 in the loss.
    pub struct WideAndDeep {
        input wide_input: [5];
        input deep_input: [6];
        hidden1 = Dense(30, relu)(deep_input);
        hidden2 = Dense(30, relu)(hidden1);
        concat = concatenate(wide_input, hidden2);
        output main_output = Dense(1)(concat), loss = mse, weight = 0.9;
        output aux_output = Dense(1)(hidden2), loss = mse, weight = 0.1;
    }
}

/// The command line and what the example does, for `--help`.
const USAGE: &str = "cargo run --release --example multi_output [-- EPOCHS]

Wide & Deep with an auxiliary output, losses weighed 0.9 / 0.1, trained EPOCHS epochs (20
by default) on scikit-learn's diabetes data. Files go to $DENSELY_OUT (by default
target/book).";

fn main() -> ExitCode {
    cli::run(USAGE, run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let epochs = epochs(20)?;
    let out = output_folder()?;

    let data = load_diabetes()?;
    let (train, valid, test, y_scaler) = prepare(&data);
    println!(
        "diabetes: {} training, {} validation, {} test rows (from {})",
        train.x.len(),
        valid.x.len(),
        test.x.len(),
        data.folder.display()
    );
    let (x_train_a, x_train_b) = (train.columns::<5>(0..5), train.columns::<6>(4..10));
    let (x_valid_a, x_valid_b) = (valid.columns::<5>(0..5), valid.columns::<6>(4..10));
    let (x_test_a, x_test_b) = (test.columns::<5>(0..5), test.columns::<6>(4..10));
    let (y_train, y_valid, y_test) = (train.targets(), valid.targets(), test.targets());

    step("model = keras.Model(inputs=[input_A, input_B], outputs=[output, aux_output])");
    let mut model = WideAndDeep::new();
    model.summary();
    let picture = out.join("multi_output.png");
    plot_model::<WideAndDeep>(&picture, PlotOptions::default().show_shapes(true))?;
    println!("model plot: {}", picture.display());

    step("model.compile(loss=['mse', 'mse'], loss_weights=[0.9, 0.1], optimizer='sgd')");
    let weights: Vec<String> = WideAndDeep::GRAPH
        .outputs
        .iter()
        .map(|o| {
            format!(
                "{} ({}, weight {})",
                WideAndDeep::GRAPH.nodes[o.node].name,
                o.loss.as_ref().map_or("none", |loss| loss.name()),
                o.weight
            )
        })
        .collect();
    println!("losses from the declaration: {}", weights.join(", "));
    model.compile(Sgd::new(1e-2), []);

    step(&format!(
        "history = model.fit([X_train_A, X_train_B], [y_train, y_train], epochs={epochs}, \
         validation_data=([X_valid_A, X_valid_B], [y_valid, y_valid]))"
    ));
    let history = model.fit(
        (&x_train_a, &x_train_b),
        (&y_train, &y_train),
        FitOptions::default()
            .epochs(epochs)
            .validation_data((&x_valid_a, &x_valid_b), (&y_valid, &y_valid)),
    )?;
    println!("history.history.keys() = {:?}", history.keys());
    let curves = out.join("multi_output_learning_curves.png");
    history.plot(&curves)?;
    println!("learning curves: {}", curves.display());

    step(
        "total_loss, main_loss, aux_loss = model.evaluate([X_test_A, X_test_B], [y_test, y_test])",
    );
    let logs = model.evaluate((&x_test_a, &x_test_b), (&y_test, &y_test))?;
    let get = |name: &str| logs.get(name).unwrap_or(f64::NAN);
    let (total, main, aux) = (get("loss"), get("main_output_loss"), get("aux_output_loss"));
    println!("total_loss = {total:.4}, main_loss = {main:.4}, aux_loss = {aux:.4}");
    println!(
        "0.9 * main_loss + 0.1 * aux_loss = {:.4}",
        0.9 * main + 0.1 * aux
    );

    step("y_pred_main, y_pred_aux = model.predict([X_new_A, X_new_B])");
    let (x_new_a, x_new_b) = (x_test_a.slice(0..3), x_test_b.slice(0..3));
    let (y_pred_main, y_pred_aux) = model.predict((&x_new_a, &x_new_b))?;
    for row in 0..3 {
        println!(
            "main {:6.1}   aux {:6.1}   actual {:6.1}",
            y_scaler.inverse(0, y_pred_main.sample(row)[0]),
            y_scaler.inverse(0, y_pred_aux.sample(row)[0]),
            y_scaler.inverse(0, y_test.sample(row)[0])
        );
    }
    Ok(())
}
