//! Regularizers and constraints on Dense layers: Keras's files (from `tools/keras_rules.py`)
//! load with them and train in both kinds of model to the losses, penalty included, and the
//! weights, constraints applied, that Keras reached; the penalty's gradient matches finite
//! differences; files keep the rules both ways.

mod common;

use common::{check_gradients, flat, keras_fixture, keras_record, rng, scratch, uniform};
use densely::dynamic::{dense, Sequential};
use densely::prelude::*;
use densely::rules::{l1, l1_l2, l2, max_norm, min_max_norm, non_neg, unit_norm};

model! {
    /// The model of `tools/keras_rules.py`.
    pub struct Ruled {
        input features: [6];
        first = Dense(8, relu, kernel_regularizer = l2(0.01), bias_regularizer = l1(0.02),
            kernel_constraint = max_norm(1.5));
        second = Dense(8, tanh, kernel_regularizer = l1_l2(l1 = 0.001, l2 = 0.005),
            kernel_constraint = unit_norm(), bias_constraint = non_neg());
        output value = Dense(2, kernel_constraint = min_max_norm(0.5, 1.0, rate = 0.8)),
            loss = mse;
    }
}

/// [`Ruled`], built at run time.
fn built() -> Sequential {
    Sequential::new("Ruled")
        .input("features", &[6])
        .add(
            dense(8)
                .activation("relu")
                .kernel_regularizer(l2(0.01))
                .bias_regularizer(l1(0.02))
                .kernel_constraint(max_norm(1.5))
                .named("first"),
        )
        .add(
            dense(8)
                .activation("tanh")
                .kernel_regularizer(l1_l2(0.001, 0.005))
                .kernel_constraint(unit_norm())
                .bias_constraint(non_neg())
                .named("second"),
        )
        .add(
            dense(2)
                .kernel_constraint(min_max_norm(0.5, 1.0, 0.8))
                .named("value"),
        )
        .loss("mse")
}

const FILES: [&str; 3] = [
    "keras3_ruled_start.keras",
    "keras3_ruled_start.h5",
    "keras2_ruled_start.h5",
];

/// Keras's numbers, to 1e-5.
fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    common::assert_near_keras(actual, expected, 1e-5, what);
}

fn options<'a, N: Network>() -> FitOptions<'a, N> {
    FitOptions::default()
        .epochs(2)
        .batch_size(16)
        .shuffle(false)
        .verbose(0)
}

/// Trains `model` as Keras trained the record's model, and checks the losses of each epoch
/// and the predictions after.
fn train_as_keras<N: Network>(mut model: N, record: &serde_json::Value, what: &str)
where
    for<'a> &'a Batch<Shape1<6>>: densely::network::InputsOf<'a, N>,
    for<'a> &'a Batch<Shape1<2>>: densely::network::TargetsOf<'a, N>,
    N::Predictions: AsFlat,
{
    let x = Batch::<Shape1<6>>::from_vec(flat(&record["train"]["x"])).unwrap();
    let y = Batch::<Shape1<2>>::from_vec(flat(&record["train"]["y"])).unwrap();
    let probe = Batch::<Shape1<6>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
    let start = model.predict(&probe).unwrap();
    assert_close(start.flat(), &flat(&record["start"]["value"]), what);
    let history = model.fit(&x, &y, options()).unwrap();
    let keras: Vec<f64> = record["loss"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (epoch, (ours, theirs)) in history.history["loss"].iter().zip(&keras).enumerate() {
        assert!(
            (ours - theirs).abs() <= 1e-5 * theirs.abs().max(1.0),
            "{what}: epoch {epoch} loss densely {ours}, Keras {theirs}"
        );
    }
    let after = model.predict(&probe).unwrap();
    assert_close(after.flat(), &flat(&record["outputs"]["value"]), what);
}

/// Predictions as one slice, whichever kind of model made them.
trait AsFlat {
    fn flat(&self) -> &[f32];
}

impl AsFlat for Batch<Shape1<2>> {
    fn flat(&self) -> &[f32] {
        self.as_slice()
    }
}

impl AsFlat for Vec<densely::inspect::Array> {
    fn flat(&self) -> &[f32] {
        self[0].values()
    }
}

#[test]
fn keras_files_with_rules_train_as_keras_trained_them() {
    for file in FILES {
        let record = keras_record(file);
        train_as_keras(
            densely::load_model(keras_fixture(file)).unwrap(),
            &record,
            file,
        );
        train_as_keras(Ruled::load(keras_fixture(file)).unwrap(), &record, file);
    }
}

#[test]
fn declared_and_built_models_train_to_the_same_bits() {
    let record = keras_record("keras2_ruled_start.h5");
    let x = Batch::<Shape1<6>>::from_vec(flat(&record["train"]["x"])).unwrap();
    let y = Batch::<Shape1<2>>::from_vec(flat(&record["train"]["y"])).unwrap();
    let mut declared = Ruled::with_seed(3);
    let mut runtime = built().build_with_seed(3).unwrap();
    declared.compile(Sgd::new(0.05), []);
    runtime.compile(Sgd::new(0.05), []);
    let a = declared.fit(&x, &y, options()).unwrap();
    let b = runtime.fit(&x, &y, options()).unwrap();
    assert_eq!(a.history["loss"], b.history["loss"]);
    assert_eq!(
        common::weight_bits(&declared),
        common::weight_bits(&runtime)
    );
    // The constraints hold after training: `second`'s kernel has unit columns, its bias no
    // negative entry, `first`'s columns a norm of at most 1.5.
    let weights = declared.get_weights();
    let column_norms = |kernel: &densely::inspect::Array| -> Vec<f32> {
        let (rows, columns) = (kernel.shape()[0], kernel.shape()[1]);
        (0..columns)
            .map(|j| {
                (0..rows)
                    .map(|i| kernel.values()[i * columns + j].powi(2))
                    .sum::<f32>()
                    .sqrt()
            })
            .collect()
    };
    assert!(column_norms(&weights[0]).iter().all(|&n| n <= 1.5 + 1e-5));
    assert!(column_norms(&weights[2])
        .iter()
        .all(|&n| (n - 1.0).abs() < 1e-5));
    assert!(weights[3].values().iter().all(|&b| b >= 0.0));
}

#[test]
fn the_penalty_s_gradient_matches_finite_differences() {
    let mut rng = rng(4);
    let x = Batch::<Shape1<6>>::from_vec(uniform(&mut rng, 6 * 8)).unwrap();
    let y = Batch::<Shape1<2>>::from_vec(uniform(&mut rng, 2 * 8)).unwrap();
    let mut model = Ruled::with_seed(5);
    check_gradients(&mut model, &x, &y, 6);
    // The penalty is part of the loss.
    let loss = model.loss(&x, &y).unwrap();
    let penalty = model.penalty();
    assert!(penalty > 0.0);
    let mut plain = Ruled::with_seed(5);
    plain.set_trainable("first", false).unwrap();
    plain.set_trainable("second", false).unwrap();
    assert!((plain.loss(&x, &y).unwrap() - (loss - penalty)).abs() < 1e-9);
}

#[test]
fn files_keep_the_rules() {
    let dir = scratch("files_keep_the_rules");
    let mut model = Ruled::with_seed(2);
    model.compile(Sgd::new(0.05), []);
    let declared = |path: &std::path::Path| densely::files::declaration(path).unwrap();
    for name in ["r.h5", "r.keras", "r.densely"] {
        let path = dir.join(name);
        model.save(&path).unwrap();
        let printed = declared(&path);
        for line in [
            "first = Dense(8, relu, kernel_regularizer = l2(), bias_regularizer = l1(l1 = 0.02), kernel_constraint = max_norm(max_value = 1.5))",
            "second = Dense(8, tanh, kernel_regularizer = l1_l2(l1 = 0.001, l2 = 0.005), kernel_constraint = unit_norm(), bias_constraint = non_neg())",
            "output value = Dense(2, kernel_constraint = min_max_norm(min_value = 0.5, rate = 0.8)), loss = mse;",
        ] {
            assert!(printed.contains(line), "{name}: {printed}");
        }
        let loaded = densely::load_model(&path).unwrap();
        assert_eq!(loaded.graph().nodes, model.graph().nodes, "{name}");
    }
}

#[test]
fn rule_mistakes_name_the_layer_and_the_argument() {
    let build = |layer: densely::dynamic::Layer| {
        Sequential::new("m")
            .input("x", &[3])
            .add(layer.named("d"))
            .loss("mse")
            .build()
            .unwrap_err()
            .to_string()
    };
    let message = build(dense(2).kernel_regularizer(max_norm(2.0)));
    assert!(
        message.contains("`kernel_regularizer` takes a regularizer, and MaxNorm is a constraint"),
        "{message}"
    );
    let message = build(dense(2).kernel_regularizer(l2(-1.0)));
    assert!(
        message.contains("kernel_regularizer: `l2` is -1"),
        "{message}"
    );
    let message = build(dense(2).use_bias(false).bias_constraint(non_neg()));
    assert!(
        message.contains("has no weight for `bias_constraint`"),
        "{message}"
    );
}
