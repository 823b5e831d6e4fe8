//! Moving a Keras model into typed Rust, and back: load a `.h5` file Keras wrote, look at it
//! without knowing its architecture, print the `model!` declaration that matches it, load it
//! into that typed struct, check its predictions against Keras's, train it a little more and
//! save it back in Keras's layout.
//!
//! ```sh
//! cargo run --release --example keras_interop                    # the Wide & Deep file Keras 3 wrote
//! cargo run --release --example keras_interop -- path/to/model.h5  # any Keras file: steps 1 and 2
//! ```
//!
//! The default file is `keras3_wide_deep.h5`, written by Keras 3.15 with `model.save(...)`,
//! from `tests/fixtures/keras/`; beside it,
//! `keras3_wide_deep.json` holds 8 probe rows and what Keras predicted for them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use common::cli::{self, output_folder, step};
use densely::files::declaration;
use densely::prelude::*;

model! {
    /// The architecture of `keras3_wide_deep.h5`, as `densely::files::declaration` prints it.
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

const DEFAULT_FILE: &str = "keras3_wide_deep.h5";

/// The command line and what the example does, for `--help`.
const USAGE: &str = "cargo run --release --example keras_interop [-- MODEL.h5]

Loads a Keras .h5 file (by default tests/fixtures/keras/keras3_wide_deep.h5), prints the
model! declaration that matches it and, for the default file, loads it typed, checks its
predictions against Keras's, trains it and saves it back. Files go to $DENSELY_OUT (by
default target/book).";

fn main() -> ExitCode {
    cli::run(USAGE, run)
}

fn default_file() -> Result<PathBuf, String> {
    let path = PathBuf::from("tests/fixtures/keras").join(DEFAULT_FILE);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is not there: run from the workspace root, or pass the path of a Keras .h5 file",
            path.display()
        ))
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (path, own_file) = match std::env::args().nth(1) {
        Some(path) => (PathBuf::from(path), true),
        None => (default_file()?, false),
    };
    let out = output_folder()?;

    step(&format!(
        "model = keras.models.load_model({:?})",
        path.display().to_string()
    ));
    let dynamic = densely::load_model(&path)?;
    println!(
        "inputs {:?} {:?}, outputs {:?}, losses {:?}",
        dynamic.input_names(),
        dynamic.input_shapes(),
        dynamic.output_names(),
        dynamic.losses()
    );
    dynamic.summary();

    step("# the model! declaration that matches the file");
    println!("{}", declaration(&path)?);
    if own_file {
        println!("Paste the declaration into your program and load the file with `YourModel::load(path)`.");
        return Ok(());
    }

    step("model = WideAndDeep::load(path)  # typed: every shape checked against the declaration");
    let mut model = WideAndDeep::load(&path)?;
    let probes = path.with_extension("json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&probes)?)?;
    let rows = |section: &str, name: &str| -> Vec<f32> {
        json[section][name]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_f64())
            .map(|v| v as f32)
            .collect()
    };
    let wide = Batch::<Shape1<5>>::from_vec(rows("inputs", "wide_input"))?;
    let deep = Batch::<Shape1<6>>::from_vec(rows("inputs", "deep_input"))?;
    let (main, aux) = model.predict((&wide, &deep))?;
    let largest_difference = |ours: &[f32], theirs: &[f32]| {
        ours.iter()
            .zip(theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max)
    };
    let keras_main = rows("outputs", "main_output");
    let keras_aux = rows("outputs", "aux_output");
    println!("{} probe rows from {}", wide.len(), probes.display());
    for row in 0..3 {
        println!(
            "main_output: densely {:+.6}  Keras {:+.6}   aux_output: densely {:+.6}  Keras {:+.6}",
            main.sample(row)[0],
            keras_main[row],
            aux.sample(row)[0],
            keras_aux[row]
        );
    }
    println!(
        "largest difference from Keras over all {} rows: {:.1e} (main), {:.1e} (aux)",
        wide.len(),
        largest_difference(main.as_slice(), &keras_main),
        largest_difference(aux.as_slice(), &keras_aux)
    );
    if let Some(optimizer) = model.optimizer() {
        println!(
            "compiled from the file's training config: {} after {} iterations",
            optimizer.keras_class_name(),
            optimizer.iterations()
        );
    }

    step("model.fit((X_A, X_B), (y, y), epochs=5)  # a little more training, in Rust");
    let targets = Batch::<Shape1<1>>::from_vec(keras_main.clone())?;
    let before = model
        .evaluate((&wide, &deep), (&targets, &targets))?
        .get("loss")
        .unwrap_or(f64::NAN);
    model.fit(
        (&wide, &deep),
        (&targets, &targets),
        FitOptions::default().epochs(5).batch_size(4).verbose(0),
    )?;
    let after = model
        .evaluate((&wide, &deep), (&targets, &targets))?
        .get("loss")
        .unwrap_or(f64::NAN);
    println!(
        "loss on the probe rows (targets: Keras's own main output): {before:.5} -> {after:.5}"
    );

    let predicted = model.predict((&wide, &deep))?.0;
    for (name, format) in [
        ("wide_deep_from_densely.h5", "Keras's legacy HDF5 layout"),
        ("wide_deep_from_densely.keras", "Keras 3's archive"),
    ] {
        step(&format!("model.save({name:?})  # {format}"));
        let saved = out.join(name);
        model.save(&saved)?;
        println!("saved {}", saved.display());
        let back = WideAndDeep::load(&saved)?;
        println!(
            "loads back in densely with {} parameters, optimizer at iteration {}",
            back.count_params(),
            back.optimizer().map_or(0, |o| o.iterations())
        );
        keras_check(&saved, &wide, &deep, &predicted)?;
    }
    Ok(())
}

/// Loads `saved` in Keras, when a Python with Keras is at hand, and compares its predictions.
fn keras_check(
    saved: &Path,
    wide: &Batch<Shape1<5>>,
    deep: &Batch<Shape1<6>>,
    ours: &Batch<Shape1<1>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let python = std::env::var("KERAS_PYTHON")
        .ok()
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("HOME")?;
            let candidate = PathBuf::from(home).join("keras-env/bin/python");
            candidate.is_file().then_some(candidate)
        });
    let script = format!(
        "import keras, numpy as np\n\
         path = {:?}\n\
         try:\n    m = keras.models.load_model(path); print('keras.models.load_model: ok')\n\
         except Exception as e:\n    print(f'keras.models.load_model failed: {{type(e).__name__}}: {{e}}')\n    \
         m = keras.models.load_model(path, compile=False); print('keras.models.load_model(compile=False): ok')\n\
         o = m.optimizer\n\
         print(f'keras.optimizer: {{type(o).__name__}}, iteration {{int(o.iterations.numpy())}}' if o else 'keras.optimizer: none')\n\
         x = [np.array({:?}).reshape(-1, 5), np.array({:?}).reshape(-1, 6)]\n\
         print(m.predict(x, verbose=0)[0].ravel().tolist())\n",
        saved.display().to_string(),
        wide.as_slice(),
        deep.as_slice()
    );
    let Some(python) = python else {
        println!("to check it in Keras, run with Python and Keras:\n{script}");
        return Ok(());
    };
    let name = saved.file_name().unwrap_or_default().to_string_lossy();
    step(&format!(
        "keras.models.load_model({name:?}).predict(...)  # in Python"
    ));
    let output = Command::new(&python)
        .args(["-c", &script])
        .env("TF_CPP_MIN_LOG_LEVEL", "3")
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines().filter(|l| l.starts_with("keras.")) {
        println!("{line}");
    }
    let Some(line) = stdout.lines().last().filter(|l| l.starts_with('[')) else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!(
            "{} could not load it: {}",
            python.display(),
            stderr.lines().last().unwrap_or("no output")
        );
        return Ok(());
    };
    let theirs: Vec<f32> = line
        .trim_matches(['[', ']'])
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let difference = ours
        .as_slice()
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!(
        "Keras ({}) loaded it and predicted {} rows; largest difference from densely: {difference:.1e}",
        python.display(),
        theirs.len()
    );
    Ok(())
}
