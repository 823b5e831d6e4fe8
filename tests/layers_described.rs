//! The layer kinds described in `densely::spec` (LeakyReLU, ReLU, ELU, Softmax, Rescaling,
//! Reshape and the merges multiply, subtract, average, maximum, minimum): declared and built
//! at run time they compute the same bits, their gradients match finite differences, and
//! mistakes are errors naming the layer.

mod common;

use common::toolbox::{built, Toolbox};
use common::{check_gradients, rng, uniform};
use std::path::{Path, PathBuf};

use densely::dynamic::{dense, layer, Functional};
use densely::network::TargetsOf;
use densely::prelude::*;
use densely::DynamicModel;

fn weight_bits<N: Network>(model: &N) -> Vec<(String, Vec<u32>)> {
    let mut all = Vec::new();
    model.visit_params(&mut |layer, param| {
        all.push((
            format!("{layer}/{}", param.name),
            param.value.iter().map(|v| v.to_bits()).collect(),
        ))
    });
    all
}

fn data(samples: usize, seed: u64) -> (Batch<Shape1<12>>, Batch<Shape1<2>>) {
    let mut data = rng(seed);
    let x = Batch::from_vec(
        uniform(&mut data, samples * 12)
            .iter()
            .map(|v| 3.0 * v)
            .collect(),
    )
    .unwrap();
    let y = Batch::from_fn(samples, |s, j| {
        let row = &x.as_slice()[s * 12..(s + 1) * 12];
        if j == 0 {
            row[..6].iter().sum::<f32>() / 6.0
        } else {
            row[6..].iter().map(|v| v * v).sum::<f32>() / 12.0
        }
    });
    (x, y)
}

fn options<'a, N: Network>() -> FitOptions<'a, N> {
    FitOptions::default()
        .epochs(3)
        .batch_size(16)
        .seed(2)
        .verbose(0)
}

#[test]
fn declared_and_built_twins_train_to_the_same_bits() {
    let mut declared = Toolbox::with_seed(3);
    let mut runtime = built().build_with_seed(3).unwrap();
    assert_eq!(weight_bits(&declared), weight_bits(&runtime));
    assert_eq!(declared.summary_string(), runtime.summary_string());
    let (x, y) = data(96, 1);
    declared.compile(Adam::new(1e-2), []);
    runtime.compile(Adam::new(1e-2), []);
    let a = declared.fit(&x, &y, options()).unwrap();
    let b = runtime.fit(&x, &y, options()).unwrap();
    assert_eq!(a.history["loss"], b.history["loss"]);
    assert!(
        a.history["loss"][2] < a.history["loss"][0],
        "{:?}",
        a.history
    );
    assert_eq!(weight_bits(&declared), weight_bits(&runtime));
    let p = declared.predict(&x).unwrap();
    let q = runtime.predict(&x).unwrap();
    assert_eq!(p.as_slice(), q[0].values());
}

#[test]
fn gradients_through_every_described_kind_match_finite_differences() {
    let (x, y) = data(10, 5);
    let mut declared = Toolbox::with_seed(7);
    check_gradients(&mut declared, &x, &y, 12);
    let mut runtime = built().build_with_seed(7).unwrap();
    let targets = TargetsOf::<DynamicModel>::into_targets(&y);
    check_gradients(&mut runtime, &x, targets, 12);
}

/// The files real Keras wrote of [`Toolbox`] (`tools/keras_described_layers.py`).
const KERAS_FILES: [&str; 3] = [
    "keras3_toolbox.keras",
    "keras3_toolbox.h5",
    "keras2_toolbox.h5",
];

fn keras_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keras")
        .join(name)
}

fn record(file: &str) -> serde_json::Value {
    let path = keras_fixture(file).with_extension("json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rows(value: &serde_json::Value) -> Vec<f32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() <= 1e-5, "{what}[{i}]: densely {a}, Keras {e}");
    }
}

#[test]
fn keras_files_of_every_described_kind_predict_what_keras_predicted() {
    for file in KERAS_FILES {
        let record = record(file);
        let x = Batch::<Shape1<12>>::from_vec(rows(&record["inputs"]["features"])).unwrap();
        let expected = rows(&record["outputs"]["value"]);
        let mut loaded = densely::load_model(keras_fixture(file)).unwrap();
        let predicted = loaded.predict(&x).unwrap();
        assert_close(predicted[0].values(), &expected, file);
        let mut declared = Toolbox::load(keras_fixture(file)).unwrap();
        assert_close(declared.predict(&x).unwrap().as_slice(), &expected, file);
        let summary = keras_fixture(file).with_extension("summary.txt");
        let expected = std::fs::read_to_string(summary).unwrap();
        assert_eq!(loaded.summary_string(), expected, "{file}");
    }
}
