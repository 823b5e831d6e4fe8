//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod book;
pub mod objectives;
pub mod toolbox;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use densely::Network;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A fresh, empty scratch folder for one test.
pub fn scratch(test: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "densely-{test}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names of the files in `dir`, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// The folder of the Keras fixtures copied into the project.
pub fn keras_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras")
}

/// A Keras fixture file, written by real Keras with a script of `tools/`.
pub fn keras_fixture(name: &str) -> PathBuf {
    keras_fixtures().join(name)
}

/// The JSON record beside Keras fixture `name` (`NAME.json`): probe inputs, Keras's
/// predictions, training data.
pub fn keras_record(name: &str) -> serde_json::Value {
    json(&keras_fixture(name).with_extension("json"))
}

/// A JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Rows of numbers (`[[1.0, 2.0], ...]`), flattened.
pub fn flat(rows: &serde_json::Value) -> Vec<f32> {
    rows.as_array()
        .unwrap()
        .iter()
        .flat_map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
        })
        .collect()
}

/// The loss of one training pass (dropout and noise drawn, BatchNormalization on the
/// batch's statistics) over all of `inputs`, leaving its gradients in the model.
pub fn training_loss<'i, 't, M: Network>(
    model: &mut M,
    inputs: impl densely::network::InputsOf<'i, M>,
    targets: impl densely::network::TargetsOf<'t, M>,
) -> f64 {
    let (inputs, targets) = (inputs.into_inputs(), targets.into_targets());
    let samples = M::input_samples(inputs).unwrap();
    let rows: Vec<usize> = (0..samples).collect();
    let mut workspace = model.new_workspace();
    M::stage_inputs(&mut workspace, inputs, &rows).unwrap();
    M::stage_targets(&mut workspace, targets, &rows).unwrap();
    model.forward(&mut workspace, samples, true);
    let mut losses = vec![0.0; model.graph().outputs.len()];
    model.backward(
        &mut workspace,
        samples,
        &densely::weights::BatchWeights::NONE,
        &mut losses,
    );
    model.total_loss(&losses)
}

/// A generator for test data.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// `len` values uniform in `[-1, 1)`.
pub fn uniform(rng: &mut StdRng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
}

/// Checks the gradients of `model`'s trainable weights on `inputs` and `targets` (inference
/// mode, as `loss_and_gradients` computes them) against central differences of the loss.
///
/// The passes run in f32, so the difference steps are 1e-3 and 1e-4 and an entry passes when
/// `|analytic - numeric| <= 2e-2 * max(|analytic|, |numeric|) + 3e-4`. An entry whose
/// differences at the two steps disagree sits near a kink of relu (or selu, leaky_relu, mae),
/// where the loss has no derivative to check: it is skipped, and at most a tenth may be.
pub fn check_gradients<'i, M: Network>(
    model: &mut M,
    inputs: impl densely::network::InputsOf<'i, M>,
    targets: M::Targets<'_>,
    per_tensor: usize,
) {
    let inputs = inputs.into_inputs();
    check_gradients_of(model, per_tensor, 10, |model| {
        model.loss_and_gradients(inputs, targets).unwrap()
    });
}

/// [`check_gradients`] for a loss computed by `loss`, which runs a forward and a backward
/// pass and returns the loss (a training pass, say); at most one entry in `kink_ratio` may
/// sit on a kink.
pub fn check_gradients_of<M: Network>(
    model: &mut M,
    per_tensor: usize,
    kink_ratio: usize,
    mut loss: impl FnMut(&mut M) -> f64,
) {
    loss(model);
    let mut tensors: Vec<(String, &'static str, Vec<f32>)> = Vec::new();
    model.visit_params(&mut |layer, param| {
        if param.trainable {
            tensors.push((layer.to_owned(), param.name, param.grad.to_vec()))
        }
    });
    assert!(!tensors.is_empty(), "the model has no parameters to check");
    let (mut checked, mut kinks) = (0, 0);
    for (layer, name, grads) in &tensors {
        let largest = grads.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        assert!(largest > 0.0, "{layer}.{name}: every gradient is zero");
        for index in picks(grads, per_tensor) {
            let analytic = grads[index];
            let Some(numeric) = numeric_gradient(model, &mut loss, layer, name, index) else {
                kinks += 1;
                continue;
            };
            let tolerance = 2e-2 * analytic.abs().max(numeric.abs()) + 3e-4;
            assert!(
                (analytic - numeric).abs() <= tolerance,
                "{layer}.{name}[{index}]: backward gives {analytic}, finite differences {numeric}"
            );
            checked += 1;
        }
    }
    assert!(
        kinks * kink_ratio <= checked,
        "{kinks} entries on kinks, {checked} checked"
    );
}

/// Every weight of a model, as bits, by layer and name.
pub fn weight_bits<N: Network>(model: &N) -> Vec<(String, Vec<u32>)> {
    let mut all = Vec::new();
    model.visit_params(&mut |layer, param| {
        all.push((
            format!("{layer}/{}", param.name),
            param.value.iter().map(|v| v.to_bits()).collect(),
        ))
    });
    all
}

/// The entries to check: the largest gradients and a spread of the rest.
fn picks(grads: &[f32], per_tensor: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..grads.len()).collect();
    order.sort_by(|&a, &b| grads[b].abs().total_cmp(&grads[a].abs()));
    let stride = (grads.len() / per_tensor).max(1);
    let mut picks: Vec<usize> = order.iter().take(per_tensor / 2).copied().collect();
    picks.extend(
        (0..grads.len())
            .step_by(stride)
            .take(per_tensor - picks.len()),
    );
    picks.sort_unstable();
    picks.dedup();
    picks
}

/// The central difference of `loss` in one parameter, or `None` on a kink: there the
/// differences at two steps disagree, since one of them crosses it.
fn numeric_gradient<M: Network>(
    model: &mut M,
    loss: &mut impl FnMut(&mut M) -> f64,
    layer: &str,
    name: &str,
    index: usize,
) -> Option<f32> {
    let mut loss_at = |delta: f32| {
        let mut original = 0.0;
        nudge(model, layer, name, index, |v| {
            original = *v;
            *v += delta;
        });
        let value = loss(model);
        nudge(model, layer, name, index, |v| *v = original);
        value
    };
    let mut central = |step: f32| ((loss_at(step) - loss_at(-step)) / f64::from(2.0 * step)) as f32;
    let (wide, narrow) = (central(1e-3), central(1e-4));
    let smooth = (wide - narrow).abs() <= 2e-2 * wide.abs().max(narrow.abs()) + 5e-4;
    smooth.then_some(wide)
}

fn nudge<M: Network>(
    model: &mut M,
    layer: &str,
    name: &str,
    index: usize,
    mut f: impl FnMut(&mut f32),
) {
    model.visit_params_mut(&mut |l, param| {
        if l == layer && param.name == name {
            f(&mut param.value[index]);
        }
    });
}

/// Asserts that densely's `actual` values are Keras's `expected` ones to `tolerance`, relative
/// to values above 1 and absolute below.
pub fn assert_near_keras(actual: &[f32], expected: &[f32], tolerance: f32, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * e.abs().max(1.0),
            "{what}[{i}]: densely {a}, Keras {e}"
        );
    }
}
