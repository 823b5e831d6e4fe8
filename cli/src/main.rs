//! `densely`: a model file's summary, `model!` declaration, conversion, predictions and plot,
//! whatever its architecture. Reads Keras's `.h5` and `.keras` files and densely's own.
//!
//! ```sh
//! cargo install --path cli
//! densely summary my_keras_model.h5
//! densely declaration my_keras_model.h5 --name FashionMlp > src/model.rs
//! densely convert my_keras_model.h5 my_model.keras
//! densely predict my_keras_model.h5 x_new.npy --output y_new.npy
//! densely plot my_keras_model.h5 model.png --show-shapes
//! ```
//!
//! Exit codes: 0 on success, 1 when the command fails (the error on standard error, naming
//! the file and what is wrong), 2 for a command line clap refuses.

mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let command = commands::Cli::parse();
    match command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("densely: {error}");
            ExitCode::FAILURE
        }
    }
}
