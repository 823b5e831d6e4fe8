//! Normalization: raw features straight into a model, its moments learned by `adapt` or
//! given, and undone with `invert`; in both kinds of model and Keras's files both ways
//! (`tests/fixtures/keras/*_preprocessed.*`, from `tools/keras_described_layers.py`).

mod common;

use common::toolbox::{preprocessed, Preprocessed};
use common::{
    assert_near_keras, check_gradients, flat, keras_fixture, keras_record, rng, scratch, uniform,
};
use densely::inspect::Array;
use densely::prelude::*;

const FILES: [&str; 3] = [
    "keras3_preprocessed.keras",
    "keras3_preprocessed.h5",
    "keras2_preprocessed.h5",
];

/// The weights of layer `layer`, by name.
fn weights_of<N: Network>(model: &N, layer: &str) -> Vec<(&'static str, Vec<f32>)> {
    let mut weights = Vec::new();
    model.visit_params(&mut |name, param| {
        if name == layer {
            weights.push((param.name, param.value.to_vec()));
        }
    });
    weights
}

#[test]
fn keras_files_predict_what_keras_predicted_in_both_kinds_of_model() {
    for file in FILES {
        let record = keras_record(file);
        let x = Batch::<Shape1<6>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
        let expected = flat(&record["outputs"]["value"]);
        let mut loaded = densely::load_model(keras_fixture(file)).unwrap();
        assert_near_keras(
            loaded.predict(&x).unwrap()[0].values(),
            &expected,
            1e-5,
            file,
        );
        let mut declared = Preprocessed::load(keras_fixture(file)).unwrap();
        assert_near_keras(
            declared.predict(&x).unwrap().as_slice(),
            &expected,
            1e-5,
            file,
        );
        let summary = keras_fixture(file).with_extension("summary.txt");
        let summary = std::fs::read_to_string(summary).unwrap();
        assert_eq!(loaded.summary_string(), summary, "{file}");
        // tf-keras counts the samples it adapted to; Keras 3 leaves the count at 0.
        let count = &weights_of(&loaded, "normalized")[2];
        let adapted = if file.starts_with("keras2") {
            64.0
        } else {
            0.0
        };
        assert_eq!(count, &("count", vec![adapted]), "{file}");
    }
}

/// `adapt` learns from the raw features the moments Keras learned from them.
#[test]
fn adapt_learns_the_moments_keras_learned() {
    for file in FILES {
        let record = keras_record(file);
        let raw = flat(&record["train"]["x"]);
        let keras = densely::load_model(keras_fixture(file)).unwrap();
        let mut declared = Preprocessed::new();
        declared.adapt("normalized", &raw).unwrap();
        let mut built = preprocessed().build().unwrap();
        built.adapt("normalized", &raw).unwrap();
        let theirs = weights_of(&keras, "normalized");
        for model in [
            weights_of(&declared, "normalized"),
            weights_of(&built, "normalized"),
        ] {
            for ((name, ours), (_, theirs)) in model.iter().zip(&theirs).take(2) {
                assert_near_keras(ours, theirs, 2e-6, &format!("{file}: {name}"));
            }
            assert_eq!(model[2], ("count", vec![64.0]));
        }
    }
}

#[test]
fn adapted_and_given_moments_normalize_and_invert() {
    let normalization = |layer: densely::dynamic::Layer| {
        densely::dynamic::Sequential::new("n")
            .input("x", &[6])
            .add(layer.named("n"))
            .loss("mse")
            .build()
            .unwrap()
    };
    let mut model = normalization(densely::dynamic::layer("Normalization"));
    // Two samples: the mean of each feature is the midpoint, the variance a quarter of the
    // squared gap.
    let raw = [
        0.0, 10.0, 5.0, -1.0, 1.0, 100.0, 2.0, 30.0, 5.0, 1.0, 3.0, 300.0,
    ];
    model.adapt("n", &raw).unwrap();
    let weights = weights_of(&model, "n");
    assert_eq!(weights[0].1, [1.0, 20.0, 5.0, 0.0, 2.0, 200.0]);
    assert_eq!(weights[1].1, [1.0, 100.0, 0.0, 1.0, 1.0, 10000.0]);
    // A constant feature (variance 0) divides by 1e-7, not by zero.
    let x = Array::new(vec![2, 6], raw.to_vec()).unwrap();
    let expected = [
        -1.0, -1.0, 0.0, -1.0, -1.0, -1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0,
    ];
    assert_eq!(model.predict(&x).unwrap()[0].values(), expected);
    // Given moments, one number for every feature, and inverted: x * 2 + 0.5.
    let mut inverted = normalization(
        densely::dynamic::layer("Normalization")
            .with("mean", 0.5)
            .with("variance", 4.0)
            .with("invert", true),
    );
    let doubled: Vec<f32> = raw.iter().map(|x| x * 2.0 + 0.5).collect();
    assert_eq!(inverted.predict(&x).unwrap()[0].values(), doubled);
}

model! {
    /// Normalization between two trained layers, so that its backward pass carries the
    /// gradient of the first.
    pub struct Between {
        input x: [4];
        a = Dense(3, tanh);
        scaled = Normalization();
        inverted = Normalization(mean = 0.5, variance = 2.0, invert = true);
        output y = Dense(2), loss = mse;
    }
}

#[test]
fn gradients_through_normalization_match_finite_differences() {
    let mut rng = rng(3);
    let x = Batch::<Shape1<4>>::from_vec(uniform(&mut rng, 4 * 8)).unwrap();
    let y = Batch::<Shape1<2>>::from_vec(uniform(&mut rng, 2 * 8)).unwrap();
    let mut model = Between::new();
    model
        .adapt("scaled", &[0.1, -0.2, 0.3, 0.5, 0.4, 0.9, -0.7, -0.1, 0.2])
        .unwrap();
    check_gradients(&mut model, &x, &y, 6);
}

/// Files keep the adapted moments and the count, which Keras's files hold as `int64`.
#[test]
fn files_keep_the_moments_and_the_count() {
    let dir = scratch("files_keep_the_moments_and_the_count");
    let mut model = Preprocessed::new();
    let record = keras_record("keras2_preprocessed.h5");
    model
        .adapt("normalized", &flat(&record["train"]["x"]))
        .unwrap();
    for name in ["p.h5", "p.keras", "p.densely"] {
        let path = dir.join(name);
        model.save(&path).unwrap();
        let loaded = densely::load_model(&path).unwrap();
        assert_eq!(
            weights_of(&loaded, "normalized"),
            weights_of(&model, "normalized"),
            "{name}"
        );
        assert!(weights_of(&loaded, "value").is_empty(), "{name}");
    }
    let file = hdf5_pure::File::open(dir.join("p.h5")).unwrap();
    let count = file
        .dataset("model_weights/normalized/normalized/count:0")
        .unwrap();
    assert_eq!(count.read_i64().unwrap(), [64]);
    assert_eq!(count.shape().unwrap(), Vec::<u64>::new());
}

#[test]
fn normalization_mistakes_name_the_layer() {
    let mut model = Preprocessed::new();
    let message = |result: densely::Result<()>| result.unwrap_err().to_string();
    assert!(message(model.adapt("value", &[1.0, 2.0]))
        .contains("layer `value` is given its mean and variance, so it has nothing to adapt"));
    assert!(message(model.adapt("hidden", &[1.0; 6]))
        .contains("layer `hidden` is a Dense; only a Normalization adapts to data"));
    assert!(message(model.adapt("normalized", &[1.0; 7])).contains(
        "layer `normalized` adapts to samples of shape [6] (6 values each), and it is given 7 values"
    ));
    assert!(message(model.adapt("normalised", &[1.0; 6])).contains("Did you mean `normalized`?"));
    let mut nan = [1.0; 6];
    nan[4] = f32::NAN;
    assert!(message(model.adapt("normalized", &nan)).contains("at position 4"));

    let build = |layer: densely::dynamic::Layer| {
        densely::dynamic::Sequential::new("m")
            .input("x", &[3])
            .add(layer.named("n"))
            .loss("mse")
            .build()
            .unwrap_err()
            .to_string()
    };
    let message = build(densely::dynamic::layer("Normalization").with("mean", 0.5));
    assert!(
        message.contains("is given `mean` without `variance`: give both"),
        "{message}"
    );
    let message = build(
        densely::dynamic::layer("Normalization")
            .with("mean", [1.0, 2.0])
            .with("variance", [1.0, 2.0]),
    );
    assert!(
        message.contains("`mean` has 2 values, and layer `n` (Normalization) has 3 features"),
        "{message}"
    );
    let message = build(
        densely::dynamic::layer("Normalization")
            .with("mean", 1.0)
            .with("variance", -1.0),
    );
    assert!(message.contains("a variance is not negative"), "{message}");
}

/// The declaration printed for a Keras file writes the moments it was given (which compile:
/// `Preprocessed` declares the same).
#[test]
fn printed_declarations_write_the_given_moments() {
    let printed = densely::files::declaration(keras_fixture("keras2_preprocessed.h5")).unwrap();
    assert!(
        printed.contains("        normalized = Normalization()(features);\n"),
        "{printed}"
    );
    assert!(
        printed.contains(
            "        output value = Normalization(mean = [1.0, -2.0], variance = [4.0, 0.25], invert = true)(raw), loss = mse;\n"
        ),
        "{printed}"
    );
}
