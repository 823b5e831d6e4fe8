//! Keras's losses: their values and gradients against Keras 3's and tf-keras's on fixed data
//! (`tests/fixtures/keras/losses.json`, from `tools/keras_losses.py`), and Keras files whose
//! losses take arguments, read by both kinds of model and written back.

mod common;

use common::objectives::Objectives;
use common::{flat, json, keras_fixture, keras_record, scratch};
use densely::loss::{Loss, LossKind};
use densely::network::TargetView;
use densely::prelude::*;

/// The loss a case of `losses.json` names: Keras's class and its config.
fn case_loss(case: &serde_json::Value) -> Loss {
    let class = case["class"].as_str().unwrap();
    let config = case["config"].as_object().unwrap();
    config
        .iter()
        .fold(Loss::named(class).unwrap(), |loss, (arg, value)| {
            let value = match value {
                serde_json::Value::Bool(b) => densely::spec::Value::Bool(*b),
                other => densely::spec::Value::Float(other.as_f64().unwrap()),
            };
            loss.with(arg, value).unwrap()
        })
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance * expected.abs().max(1.0)
}

#[test]
fn every_loss_computes_what_both_kerases_compute() {
    let cases = json(&keras_fixture("losses.json"));
    let cases = cases.as_array().unwrap();
    let mut kinds = Vec::new();
    for case in cases {
        let loss = case_loss(case);
        let what = format!("{} {}", case["class"], case["config"]);
        let y = flat(&case["y_pred"]);
        let samples = case["y_pred"].as_array().unwrap().len();
        let units = y.len() / samples;
        let labels: Vec<u32>;
        let values: Vec<f32>;
        let target = if loss.sparse_targets() {
            let rows = case["y_true"].as_array().unwrap();
            labels = rows.iter().map(|l| l.as_f64().unwrap() as u32).collect();
            TargetView::Classes(&labels)
        } else {
            values = flat(&case["y_true"]);
            TargetView::Values(&values)
        };
        let weights: Option<Vec<f32>> = case["sample_weight"]
            .as_array()
            .map(|w| w.iter().map(|w| w.as_f64().unwrap() as f32).collect());
        let value = loss.mean_loss(&y, target, units, samples, weights.as_deref());
        for keras in ["keras3", "keras2"] {
            let expected = case[keras].as_f64().unwrap();
            assert!(
                close(value, expected, 1e-5),
                "{what}: densely {value}, {keras} {expected}"
            );
        }
        let mut gradient = vec![f32::NAN; y.len()];
        let scale = 1.0 / samples as f32;
        loss.loss_gradient(
            &y,
            target,
            units,
            scale,
            weights.as_deref(),
            &mut gradient,
            false,
        );
        let expected = flat(&case["gradient"]);
        for (k, (&g, &e)) in gradient.iter().zip(&expected).enumerate() {
            assert!(
                (g - e).abs() <= 1e-5 + 1e-4 * e.abs(),
                "{what}: gradient[{k}] densely {g}, Keras {e}"
            );
        }
        kinds.push(loss.kind());
    }
    // Every loss is among the cases.
    for kind in LossKind::all() {
        assert!(kinds.contains(&kind), "{} has no case", kind.name());
    }
}

/// The targets of `Objectives`' three outputs.
type Targets = (Batch<Shape1<3>>, Batch<Shape1<2>>, Batch<Shape1<2>>);

/// The features and the three outputs' targets of a record's `evaluate` data.
fn evaluate_data(record: &serde_json::Value) -> (Batch<Shape1<6>>, Targets) {
    let data = &record["evaluate"];
    let x = Batch::from_vec(flat(&data["x"])).unwrap();
    let y = &data["y"];
    let targets = (
        Batch::from_vec(flat(&y[0])).unwrap(),
        Batch::from_vec(flat(&y[1])).unwrap(),
        Batch::from_vec(flat(&y[2])).unwrap(),
    );
    (x, targets)
}

const FILES: [&str; 3] = [
    "keras3_objectives.keras",
    "keras3_objectives.h5",
    "keras2_objectives.h5",
];

/// Asserts that `logs` holds Keras's total and per-output losses of `record`.
fn assert_keras_losses(logs: &Logs, record: &serde_json::Value, what: &str) {
    let expected = record["evaluate"]["losses"].as_object().unwrap();
    for name in ["loss", "logits_loss", "margin_loss", "rate_loss"] {
        let (value, keras) = (logs.get(name).unwrap(), expected[name].as_f64().unwrap());
        assert!(
            close(value, keras, 1e-5),
            "{what} {name}: densely {value}, Keras {keras}"
        );
    }
}

#[test]
fn keras_files_with_loss_arguments_evaluate_as_keras_does() {
    for file in FILES {
        let record = keras_record(file);
        let (x, y) = evaluate_data(&record);
        let mut loaded = densely::load_model(keras_fixture(file)).unwrap();
        let losses: Vec<String> = loaded
            .losses()
            .iter()
            .map(|(loss, weight)| format!("{} * {weight}", loss.as_ref().unwrap()))
            .collect();
        assert_eq!(
            losses,
            [
                "categorical_crossentropy(from_logits = true, label_smoothing = 0.1) * 1",
                "squared_hinge * 0.5",
                "poisson * 0.25"
            ],
            "{file}"
        );
        let logs = loaded.evaluate_batched(&x, (&y.0, &y.1, &y.2), 64).unwrap();
        assert_keras_losses(&logs, &record, file);

        let mut declared = Objectives::load(keras_fixture(file)).unwrap();
        let logs = declared
            .evaluate_batched(&x, (&y.0, &y.1, &y.2), 64)
            .unwrap();
        assert_keras_losses(&logs, &record, file);
    }
}

/// A model's losses and their arguments survive every format densely writes.
#[test]
fn loss_arguments_survive_every_format() {
    let dir = scratch("loss_arguments_survive_every_format");
    let record = keras_record("keras3_objectives.keras");
    let (x, y) = evaluate_data(&record);
    let mut model = Objectives::new();
    model.compile(Adam::new(0.01), []);
    model
        .fit(
            &x,
            (&y.0, &y.1, &y.2),
            FitOptions::default().epochs(1).batch_size(16).verbose(0),
        )
        .unwrap();
    let expected = model.evaluate(&x, (&y.0, &y.1, &y.2)).unwrap();
    for name in ["objectives.h5", "objectives.keras", "objectives.densely"] {
        let path = dir.join(name);
        model.save(&path).unwrap();
        let mut loaded = densely::load_model(&path).unwrap();
        assert_eq!(
            loaded.losses(),
            model
                .graph()
                .outputs
                .iter()
                .map(|o| (o.loss.clone(), o.weight))
                .collect::<Vec<_>>(),
            "{name}"
        );
        let logs = loaded.evaluate(&x, (&y.0, &y.1, &y.2)).unwrap();
        assert_eq!(logs.get("loss"), expected.get("loss"), "{name}");
    }
}

/// The declaration printed for a Keras file writes each loss with its arguments.
#[test]
fn printed_declarations_write_the_loss_arguments() {
    for file in FILES {
        let printed = densely::files::declaration(keras_fixture(file)).unwrap();
        for line in [
            "        output logits = Dense(3)(hidden), loss = categorical_crossentropy(from_logits = true, label_smoothing = 0.1);\n",
            "        output margin = Dense(2)(hidden), loss = squared_hinge, weight = 0.5;\n",
            "        output rate = Dense(2, softplus)(hidden), loss = poisson, weight = 0.25;\n",
        ] {
            assert!(printed.contains(line), "{file}: {printed}");
        }
    }
}
