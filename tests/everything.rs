//! A Keras model of every layer, merge, rule and loss argument at once
//! (`tests/fixtures/keras/*_everything.*`, from `tools/keras_everything.py`): densely loads
//! it, predicts what Keras predicted, trains it on, and saves it; Keras loads densely's files
//! and predicts what densely predicts (`tests/files_written.rs`).

mod common;

use common::{flat, keras_fixture, keras_record, scratch};
use densely::inspect::Array;
use densely::prelude::*;

/// The declaration `files::declaration` prints for the tf-keras file, which compiles (here)
/// and loads every file of the model.
const PRINTED: &str = include_str!("printed/everything.rs");
include!("printed/everything.rs");

const FILES: [&str; 3] = [
    "keras3_everything.keras",
    "keras3_everything.h5",
    "keras2_everything.h5",
];

fn array(rows: &serde_json::Value) -> Array {
    let values = flat(rows);
    let width = rows[0].as_array().unwrap().len();
    Array::new(vec![values.len() / width, width], values).unwrap()
}

/// Keras's numbers, to 1e-5.
fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    common::assert_near_keras(actual, expected, 1e-5, what);
}

#[test]
fn keras_s_model_of_everything_loads_predicts_trains_and_saves() {
    let dir = scratch("everything");
    for file in FILES {
        let record = keras_record(file);
        let probe = array(&record["inputs"]["features"]);
        let mut model = densely::load_model(keras_fixture(file)).unwrap();
        let predicted = model.predict(&probe).unwrap();
        for (k, output) in ["logits", "value"].into_iter().enumerate() {
            let expected = flat(&record["outputs"][output]);
            assert_close(
                predicted[k].values(),
                &expected,
                &format!("{file}: {output}"),
            );
        }
        let summary = keras_fixture(file).with_extension("summary.txt");
        let summary = std::fs::read_to_string(summary).unwrap();
        assert_eq!(model.summary_string(), summary, "{file}");
        assert_eq!(model.training_state().frozen(), ["base"], "{file}");
        let losses: Vec<String> = model
            .losses()
            .iter()
            .map(|(loss, weight)| format!("{} * {weight}", loss.as_ref().unwrap()))
            .collect();
        assert_eq!(
            losses,
            [
                "categorical_crossentropy(from_logits = true, label_smoothing = 0.1) * 1",
                "log_cosh * 0.5"
            ],
            "{file}"
        );

        // One more epoch, then the files densely writes hold what it trained.
        let train = &record["train"];
        let x = array(&train["x"]["features"]);
        let y = (array(&train["y"]["logits"]), array(&train["y"]["value"]));
        let options = FitOptions::default()
            .epochs(1)
            .batch_size(16)
            .shuffle(false)
            .verbose(0);
        let before = model
            .evaluate(&x, (&y.0, &y.1))
            .unwrap()
            .get("loss")
            .unwrap();
        model.fit(&x, (&y.0, &y.1), options).unwrap();
        let after = model
            .evaluate(&x, (&y.0, &y.1))
            .unwrap()
            .get("loss")
            .unwrap();
        assert!(
            after.is_finite() && after != before,
            "{file}: {before} -> {after}"
        );
        let trained = model.predict(&probe).unwrap();
        for name in ["e.h5", "e.keras", "e.densely"] {
            let path = dir.join(format!("{file}-{name}"));
            model.save(&path).unwrap();
            let mut loaded = densely::load_model(&path).unwrap();
            let again = loaded.predict(&probe).unwrap();
            for k in 0..2 {
                assert_eq!(again[k].values(), trained[k].values(), "{file} {name}");
            }
            assert_eq!(loaded.losses(), model.losses(), "{file} {name}");
            assert_eq!(loaded.graph().nodes, model.graph().nodes, "{file} {name}");
        }
    }
}

#[test]
fn the_printed_declaration_compiles_and_loads_every_file() {
    let printed = densely::files::declaration(keras_fixture("keras2_everything.h5")).unwrap();
    assert_eq!(printed, PRINTED);
    for file in FILES {
        let record = keras_record(file);
        let probe = Batch::<Shape1<12>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
        let mut model = Everything::load(keras_fixture(file)).unwrap();
        let (logits, value) = model.predict(&probe).unwrap();
        assert_close(logits.as_slice(), &flat(&record["outputs"]["logits"]), file);
        assert_close(value.as_slice(), &flat(&record["outputs"]["value"]), file);
    }
}
