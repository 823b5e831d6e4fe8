//! Keras 3's `.keras` archives: the fixtures Keras 3.15.1 wrote
//! (`tools/make_keras_archive_fixtures.py`) load into their `model!` structs and the dynamic
//! model, predict what Keras predicted, and bring the optimizer back slot for slot; archives
//! densely writes round-trip, resume bit for bit, and damaged ones are errors.

mod files_common;

use densely::files::FileFormat;
use densely::prelude::*;
use files_common::*;
use serde_json::Value;

model! {
    /// `keras3_residual_rmsprop.keras`: flatten, a residual branch with dropout, an
    /// activation layer.
    pub struct Residual {
        input grid: [2, 3];
        flat = Flatten;
        stem = Dense(8, tanh);
        branch = Dense(8, relu);
        dropped = Dropout(0.3);
        sum = add(stem, dropped);
        activated = Activation(relu);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

const TOLERANCE: f32 = 1e-5;

fn record(name: &str) -> Value {
    json(&keras_fixture(&format!("{name}.json")))
}

/// Every number of nested rows, in order.
fn deep_flat(value: &Value) -> Vec<f32> {
    match value {
        Value::Array(items) => items.iter().flat_map(deep_flat).collect(),
        other => vec![other.as_f64().unwrap() as f32],
    }
}

/// The record's inputs and outputs by name, flattened.
fn deep_probe(name: &str, inputs: &[&str], outputs: &[&str]) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let record = record(name);
    let values = |key: &str, names: &[&str]| -> Vec<Vec<f32>> {
        names.iter().map(|n| deep_flat(&record[key][*n])).collect()
    };
    (values("inputs", inputs), values("outputs", outputs))
}

/// Checks the optimizer against the record's variables: the iteration count, then every slot
/// (Keras names them `<optimizer>/<scope><layer>_<kernel|bias>_<slot>`) by its sum.
fn assert_optimizer_matches<N: Network>(model: &N, name: &str) {
    let record = record(name)["optimizer"].clone();
    let optimizer = model.optimizer().expect("the archive compiles the model");
    assert_eq!(optimizer.keras_class_name(), record["class_name"], "{name}");
    assert_eq!(
        optimizer.iterations(),
        record["iterations"].as_u64().unwrap(),
        "{name}"
    );
    // Keras's names of the weights, in the typed model's order (its own names may differ).
    let dynamic = densely::load_model(keras_fixture(&format!("{name}.keras"))).unwrap();
    let mut params = Vec::new();
    dynamic.visit_params(&mut |layer, param| params.push(format!("{layer}_{}", param.name)));
    let mut count = 0;
    model.visit_params(&mut |_, _| count += 1);
    assert_eq!(params.len(), count, "{name}");
    let names = |path: &str, index: usize, slot: &str| {
        let key = format!("{}_{slot}", params[index]);
        path.strip_suffix(&key)
            .is_some_and(|rest| rest.ends_with('/') || rest.ends_with('_'))
    };
    let slots = optimizer.slots();
    let variables = record["variables"].as_array().unwrap();
    let mut compared = 0;
    for variable in &variables[2..] {
        let path = variable[0].as_str().unwrap();
        let expected = variable[2].as_f64().unwrap();
        let (index, slot, values) = slots
            .iter()
            .find(|(index, slot, _)| names(path, *index, slot))
            .unwrap_or_else(|| panic!("{name}: no slot for Keras's `{path}`"));
        let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
        assert!(
            (sum - expected).abs() <= 1e-5 * (1.0 + expected.abs()),
            "{name}: {slot} of {}: {sum} against Keras's {expected}",
            params[*index]
        );
        compared += 1;
    }
    assert_eq!(compared, slots.len(), "{name}: every slot compared");
}

#[test]
fn a_keras_3_sequential_archive_predicts_and_resumes_sgd() {
    let name = "keras3_small_mlp_sgd";
    let (x, expected) = mlp_probe(name);
    let mut model = SmallMlp::load(keras_fixture(&format!("{name}.keras"))).unwrap();
    let x = Batch::<Shape1<4>>::from_vec(x).unwrap();
    assert_close(
        model.predict(&x).unwrap().as_slice(),
        &expected,
        TOLERANCE,
        name,
    );
    assert_optimizer_matches(&model, name);
    assert_eq!(model.training_state().metrics(), [Metric::Accuracy]);
}

#[test]
fn a_keras_3_functional_archive_predicts_and_resumes_adam() {
    let name = "keras3_wide_deep_adam";
    let (inputs, expected) = wide_deep_probe(name);
    let mut model = WideAndDeep::load(keras_fixture(&format!("{name}.keras"))).unwrap();
    let wide = Batch::<Shape1<5>>::from_vec(inputs[0].clone()).unwrap();
    let deep = Batch::<Shape1<6>>::from_vec(inputs[1].clone()).unwrap();
    let (main, aux) = model.predict((&wide, &deep)).unwrap();
    assert_close(main.as_slice(), &expected[0], TOLERANCE, "main_output");
    assert_close(aux.as_slice(), &expected[1], TOLERANCE, "aux_output");
    assert_optimizer_matches(&model, name);
}

#[test]
fn a_keras_3_residual_archive_predicts_and_resumes_centered_rmsprop() {
    let name = "keras3_residual_rmsprop";
    let (inputs, expected) = deep_probe(name, &["grid"], &["probs"]);
    let mut model = Residual::load(keras_fixture(&format!("{name}.keras"))).unwrap();
    let grid = Batch::<Shape2<2, 3>>::from_vec(inputs[0].clone()).unwrap();
    let probs = model.predict(&grid).unwrap();
    assert_close(probs.as_slice(), &expected[0], TOLERANCE, name);
    assert_optimizer_matches(&model, name);
}

/// The dynamic model reads every archive: Keras 3's summary character for character, and
/// Keras's predictions.
#[test]
fn the_dynamic_model_reads_every_archive() {
    let cases: [(&str, &[&str], &[&str]); 3] = [
        ("keras3_small_mlp_sgd", &["input_layer"], &["dense_1"]),
        (
            "keras3_wide_deep_adam",
            &["wide_input", "deep_input"],
            &["main_output", "aux_output"],
        ),
        ("keras3_residual_rmsprop", &["grid"], &["probs"]),
    ];
    for (name, inputs, outputs) in cases {
        let mut model = densely::load_model(keras_fixture(&format!("{name}.keras"))).unwrap();
        let expected =
            std::fs::read_to_string(keras_fixture(&format!("{name}.summary.txt"))).unwrap();
        assert_eq!(model.summary_string(), expected, "{name}");
        let (values, expected) = deep_probe(name, inputs, outputs);
        let feeds: Vec<&[f32]> = model
            .input_names()
            .iter()
            .map(|input| {
                let at = inputs.iter().position(|n| n == input).unwrap_or(0);
                values[at].as_slice()
            })
            .collect();
        let predictions = predict_flat(&mut model, &feeds, 32).unwrap();
        for (actual, expected) in predictions.iter().zip(&expected) {
            assert_close(actual, expected, TOLERANCE, name);
        }
    }
}

#[test]
fn the_declaration_of_an_archive_is_its_model() {
    let text = densely::files::declaration(keras_fixture("keras3_wide_deep_adam.keras")).unwrap();
    for line in [
        "(Keras 3.15.1)",
        "input deep_input: [6];",
        "dense_2 = Dense(30, relu)(deep_input);",
        "concatenate = concatenate(wide_input, dense_3);",
        "output main_output = Dense(1)(concatenate), loss = mse, weight = 0.9;",
        "output aux_output = Dense(1)(dense_3), loss = mse, weight = 0.1;",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
}

/// A densely archive holds what a native file holds: training resumed from one is bit for
/// bit the training that did not stop, dropout generators included.
#[test]
fn resuming_from_an_archive_is_bit_exact() {
    let x = Batch::<Shape2<2, 3>>::from_fn(48, |s, f| ((s * 7 + f * 3) % 11) as f32 / 11.0);
    let y = Labels::<3>::new((0..48).map(|s| (s % 3) as u32).collect()).unwrap();
    let options = |epochs| {
        FitOptions::default()
            .epochs(epochs)
            .batch_size(8)
            .seed(2)
            .verbose(0)
    };
    let optimizer = || RmsProp::new(1e-2).momentum(0.5).centered(true);
    let mut straight = Residual::with_seed(4);
    straight.compile(optimizer(), [Metric::Accuracy]);
    straight.fit(&x, &y, options(4)).unwrap();

    let path = scratch("archive-resume").join("residual.keras");
    assert_eq!(
        FileFormat::from_path(&path).unwrap(),
        FileFormat::KerasArchive
    );
    let mut first = Residual::with_seed(4);
    first.compile(optimizer(), [Metric::Accuracy]);
    first.fit(&x, &y, options(2)).unwrap();
    first.save(&path).unwrap();
    let mut resumed = Residual::load(&path).unwrap();
    assert_eq!(resumed.training_state().metrics(), [Metric::Accuracy]);
    resumed.fit(&x, &y, options(4).initial_epoch(2)).unwrap();
    let bits =
        |m: &Residual| -> Vec<u32> { weights(m).concat().iter().map(|v| v.to_bits()).collect() };
    assert_eq!(bits(&resumed), bits(&straight));
}

#[test]
fn weights_alone_are_not_an_archive() {
    let path = scratch("archive-weights").join("w.keras");
    let err = SmallMlp::new().save_weights(&path).unwrap_err().to_string();
    assert!(
        err.contains("whole model") && err.contains("w.keras"),
        "{err}"
    );
    assert!(!path.exists());
    // An archive's weights load alone, into a model of the same shapes.
    let mut model = SmallMlp::new();
    model
        .load_weights(keras_fixture("keras3_small_mlp_sgd.keras"))
        .unwrap();
    let loaded = SmallMlp::load(keras_fixture("keras3_small_mlp_sgd.keras")).unwrap();
    assert_eq!(weights(&model), weights(&loaded));
}

/// Truncated and damaged archives, and archives missing a part, are errors naming the file.
#[test]
fn damaged_archives_are_errors_never_panics() {
    let dir = scratch("archive-damage");
    let bytes = std::fs::read(keras_fixture("keras3_small_mlp_sgd.keras")).unwrap();
    let damaged = dir.join("damaged.keras");
    for len in (0..bytes.len()).step_by(389).chain([bytes.len() - 1]) {
        std::fs::write(&damaged, &bytes[..len]).unwrap();
        let err = SmallMlp::load(&damaged).err();
        assert!(err.is_some(), "truncated to {len} bytes loaded");
        let _ = densely::load_model(&damaged);
    }
    let mut failures = 0;
    for at in (0..bytes.len()).step_by(97) {
        let mut copy = bytes.clone();
        copy[at] ^= 0x41;
        std::fs::write(&damaged, &copy).unwrap();
        failures += usize::from(SmallMlp::load(&damaged).is_err());
        let _ = densely::load_model(&damaged);
        let _ = densely::files::declaration(&damaged);
    }
    assert!(failures > 0);
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let err = SmallMlp::load(&damaged).err().unwrap().to_string();
    assert!(err.contains("damaged.keras"), "{err}");
}

#[test]
fn an_archive_without_weights_names_what_is_missing() {
    let dir = scratch("archive-missing");
    let path = dir.join("config_only.keras");
    let source = std::fs::File::open(keras_fixture("keras3_small_mlp_sgd.keras")).unwrap();
    let mut archive = zip_reader(source);
    let config = archive_entry(&mut archive, "config.json");
    write_archive(&path, &[("config.json", &config)]);
    let err = SmallMlp::load(&path).err().unwrap().to_string();
    assert!(
        err.contains("model.weights.h5") && err.contains("config_only.keras"),
        "{err}"
    );
    write_archive(&path, &[("config.json", b"{not json")]);
    let err = SmallMlp::load(&path).err().unwrap().to_string();
    assert!(
        err.contains("config.json") && err.contains("not JSON"),
        "{err}"
    );
}

fn zip_reader(file: std::fs::File) -> zip::ZipArchive<std::fs::File> {
    zip::ZipArchive::new(file).unwrap()
}

fn archive_entry(archive: &mut zip::ZipArchive<std::fs::File>, name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut bytes = Vec::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

fn write_archive(path: &std::path::Path, entries: &[(&str, &[u8])]) {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();
}
