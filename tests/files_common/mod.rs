//! Helpers shared by the `files_*` tests: the fixtures, scratch folders, the models the Keras
//! fixtures hold, and comparisons.

// Each test uses some of these.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};

use densely::prelude::*;
use serde_json::Value;

#[path = "../common/mod.rs"]
mod common;

/// Wide & Deep of the Keras fixtures, with densely's names for the hidden layers (Keras
/// calls them dense_2 and dense_3).
pub use common::book::{built, WideAndDeep};
pub use common::objectives::Objectives;
pub use common::toolbox::{Noisy, Preprocessed, Toolbox, Transfer};
pub use common::{flat, json, keras_fixture, keras_fixtures, scratch};

model! {
    /// The small MLP of the Keras fixtures (Keras calls its layers dense and dense_1).
    pub struct SmallMlp {
        input features: [4];
        hidden = Dense(8, relu);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

/// What a Keras fixture's JSON says: the inputs and outputs, flattened, in the order of
/// `inputs` and `outputs` (by name; a single one is taken whatever its name).
pub fn probe(name: &str, inputs: &[&str], outputs: &[&str]) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let record = json(&keras_fixture(&format!("{name}.json")));
    let values = |key: &str, names: &[&str]| -> Vec<Vec<f32>> {
        let map = record[key].as_object().unwrap();
        if map.len() == 1 {
            return map.values().map(flat).collect();
        }
        names.iter().map(|n| flat(&map[*n])).collect()
    };
    (values("inputs", inputs), values("outputs", outputs))
}

/// The inputs and outputs of a small-MLP fixture.
pub fn mlp_probe(name: &str) -> (Vec<f32>, Vec<f32>) {
    let (mut inputs, mut outputs) = probe(name, &[], &[]);
    (inputs.remove(0), outputs.remove(0))
}

/// The inputs (wide, deep) and outputs (main, aux) of a wide & deep fixture.
pub fn wide_deep_probe(name: &str) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    probe(
        name,
        &["wide_input", "deep_input"],
        &["main_output", "aux_output"],
    )
}

/// Asserts that `actual` is `expected` to `tolerance`, value by value.
pub fn assert_close(actual: &[f32], expected: &[f32], tolerance: f32, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance,
            "{what}[{i}]: {a} vs {e} (difference {})",
            (a - e).abs()
        );
    }
}

/// Every weight of a model, in order.
pub fn weights<N: Network>(model: &N) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    model.visit_params(&mut |_, param| out.push(param.value.to_vec()));
    out
}

/// Flat values per input, sample after sample, as arrays of the model's input shapes.
pub fn input_arrays(model: &densely::dynamic::DynamicModel, flat: &[&[f32]]) -> Vec<Array> {
    model
        .input_shapes()
        .iter()
        .zip(flat)
        .map(|(shape, values)| {
            let width: usize = shape.iter().product();
            let mut full = vec![values.len() / width];
            full.extend_from_slice(shape);
            Array::new(full, values.to_vec()).unwrap()
        })
        .collect()
}

/// What a loaded model predicts for flat values per input, flat per output.
pub fn predict_flat(
    model: &mut densely::dynamic::DynamicModel,
    flat: &[&[f32]],
    batch_size: usize,
) -> densely::Result<Vec<Vec<f32>>> {
    let arrays = input_arrays(model, flat);
    let parts: Vec<&dyn densely::dynamic::AnySamples> = arrays
        .iter()
        .map(|a| a as &dyn densely::dynamic::AnySamples)
        .collect();
    let predictions =
        model.predict_batched(densely::dynamic::Parts::from_slice(&parts), batch_size)?;
    Ok(predictions.into_iter().map(Array::into_values).collect())
}
