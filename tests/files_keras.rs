//! Reading what Keras wrote: every fixture of `tests/fixtures/keras` (tf-keras 2 and Keras 3,
//! Sequential and Functional, SGD and Adam) loads into its `model!` struct and into the
//! dynamic model, and predicts what Keras predicted to 1e-5, with the optimizer's state.

mod files_common;

use densely::files::{self, FileFormat, SaveOptions};
use densely::prelude::*;
use densely::Error;
use files_common::*;

const TOLERANCE: f32 = 1e-5;

fn mlp_predictions(name: &str) {
    let (x, expected) = mlp_probe(name);
    let mut model = SmallMlp::load(keras_fixture(&format!("{name}.h5"))).unwrap();
    let x = Batch::<Shape1<4>>::from_vec(x).unwrap();
    let probs = model.predict(&x).unwrap();
    assert_close(probs.as_slice(), &expected, TOLERANCE, name);
}

fn wide_deep_predictions(name: &str) {
    let (inputs, expected) = wide_deep_probe(name);
    let mut model = WideAndDeep::load(keras_fixture(&format!("{name}.h5"))).unwrap();
    let wide = Batch::<Shape1<5>>::from_vec(inputs[0].clone()).unwrap();
    let deep = Batch::<Shape1<6>>::from_vec(inputs[1].clone()).unwrap();
    let (main, aux) = model.predict((&wide, &deep)).unwrap();
    assert_close(main.as_slice(), &expected[0], TOLERANCE, "main_output");
    assert_close(aux.as_slice(), &expected[1], TOLERANCE, "aux_output");
}

#[test]
fn keras2_sequential_predicts_what_keras_predicted() {
    mlp_predictions("keras2_small_mlp");
}

#[test]
fn keras3_sequential_predicts_what_keras_predicted() {
    mlp_predictions("keras3_small_mlp");
}

#[test]
fn keras3_functional_predicts_what_keras_predicted() {
    wide_deep_predictions("keras3_wide_deep");
}

#[test]
fn keras2_functional_predicts_what_keras_predicted() {
    wide_deep_predictions("keras2_wide_deep_adam");
}

/// The fixture's SGD (learning rate 0.05, momentum 0.9) and its momentum slots: 64 samples in
/// batches of 16 for 2 epochs are 8 iterations.
#[test]
fn sgd_momentum_state_loads_from_both_keras_versions() {
    for name in ["keras2_small_mlp.h5", "keras3_small_mlp.h5"] {
        let model = SmallMlp::load(keras_fixture(name)).unwrap();
        let optimizer = model.optimizer().expect("the file has a training config");
        assert_eq!(optimizer.keras_class_name(), "SGD", "{name}");
        assert_eq!(optimizer.learning_rate(), 0.05, "{name}");
        assert_eq!(optimizer.config()["momentum"], 0.9f32 as f64, "{name}");
        assert_eq!(optimizer.iterations(), 8, "{name}");
        let slots = optimizer.slots();
        let sizes: Vec<(usize, &str, usize)> =
            slots.iter().map(|(t, n, v)| (*t, *n, v.len())).collect();
        assert_eq!(
            sizes,
            [
                (0, "momentum", 32),
                (1, "momentum", 8),
                (2, "momentum", 24),
                (3, "momentum", 3)
            ],
            "{name}"
        );
        assert!(slots.iter().all(|(_, _, v)| v.iter().any(|&m| m != 0.0)));
        assert_eq!(
            model.training_state().metrics(),
            [Metric::Accuracy],
            "{name}"
        );
    }
}

/// tf-keras's Adam: per tensor its m and v, interleaved; 128 samples in batches of 32 for 2
/// epochs are 8 iterations.
#[test]
fn adam_moments_load_from_tf_keras() {
    let model = WideAndDeep::load(keras_fixture("keras2_wide_deep_adam.h5")).unwrap();
    let optimizer = model.optimizer().unwrap();
    assert_eq!(optimizer.keras_class_name(), "Adam");
    assert_eq!(optimizer.learning_rate(), 1e-3);
    assert_eq!(optimizer.iterations(), 8);
    let slots = optimizer.slots();
    assert_eq!(slots.len(), 16);
    assert_eq!(
        slots
            .iter()
            .map(|(t, n, v)| (*t, *n, v.len()))
            .take(4)
            .collect::<Vec<_>>(),
        [
            (0, "momentum", 180),
            (0, "velocity", 180),
            (1, "momentum", 30),
            (1, "velocity", 30)
        ]
    );
    // Second moments are non-negative; the first are not all zero.
    assert!(slots
        .iter()
        .filter(|(_, n, _)| *n == "velocity")
        .all(|(_, _, v)| v.iter().all(|&x| x >= 0.0)));
}

/// Keras 3's SGD without momentum has no slots, just its iteration count.
#[test]
fn sgd_without_momentum_keeps_its_iteration_count() {
    let model = WideAndDeep::load(keras_fixture("keras3_wide_deep.h5")).unwrap();
    let optimizer = model.optimizer().unwrap();
    assert_eq!(optimizer.keras_class_name(), "SGD");
    assert_eq!(optimizer.iterations(), 8);
    assert!(optimizer.slots().is_empty());
}

#[test]
fn a_loaded_model_keeps_training() {
    let (inputs, _) = wide_deep_probe("keras2_wide_deep_adam");
    let mut model = WideAndDeep::load(keras_fixture("keras2_wide_deep_adam.h5")).unwrap();
    let wide = Batch::<Shape1<5>>::from_vec(inputs[0].clone()).unwrap();
    let deep = Batch::<Shape1<6>>::from_vec(inputs[1].clone()).unwrap();
    let y = Batch::<Shape1<1>>::from_fn(8, |s, _| s as f32 / 8.0);
    let before = model.loss((&wide, &deep), (&y, &y)).unwrap();
    model
        .fit(
            (&wide, &deep),
            (&y, &y),
            FitOptions::default().epochs(20).batch_size(8).verbose(0),
        )
        .unwrap();
    assert_eq!(model.optimizer().unwrap().iterations(), 28);
    assert!(model.loss((&wide, &deep), (&y, &y)).unwrap() < before);
}

#[test]
fn the_dynamic_model_predicts_every_fixture() {
    for name in ["keras2_small_mlp", "keras3_small_mlp"] {
        let mut model = densely::load_model(keras_fixture(&format!("{name}.h5"))).unwrap();
        let (x, expected) = mlp_probe(name);
        let outputs = predict_flat(&mut model, &[&x], 32).unwrap();
        assert_eq!(outputs.len(), 1);
        assert_close(&outputs[0], &expected, TOLERANCE, name);
        assert_eq!(model.count_params(), 4 * 8 + 8 + 8 * 3 + 3);
    }
    for name in ["keras3_wide_deep", "keras2_wide_deep_adam"] {
        let mut model = densely::load_model(keras_fixture(&format!("{name}.h5"))).unwrap();
        assert_eq!(model.input_names(), ["wide_input", "deep_input"]);
        assert_eq!(model.output_names(), ["main_output", "aux_output"]);
        let (inputs, expected) = wide_deep_probe(name);
        let outputs = predict_flat(&mut model, &[&inputs[0], &inputs[1]], 32).unwrap();
        assert_close(&outputs[0], &expected[0], TOLERANCE, name);
        assert_close(&outputs[1], &expected[1], TOLERANCE, name);
        // One sample at a time gives the same numbers.
        let one_by_one = predict_flat(&mut model, &[&inputs[0], &inputs[1]], 1).unwrap();
        assert_close(&one_by_one[0], &expected[0], TOLERANCE, name);
    }
}

#[test]
fn the_dynamic_model_evaluates_with_the_files_losses() {
    let mut model = densely::load_model(keras_fixture("keras3_wide_deep.h5")).unwrap();
    let (inputs, expected) = wide_deep_probe("keras3_wide_deep");
    let y: Vec<f32> = (0..8).map(|i| i as f32 / 4.0).collect();
    let arrays = input_arrays(&model, &[&inputs[0], &inputs[1]]);
    let y = Array::new([8, 1], y).unwrap();
    let logs = model.evaluate((&arrays[0], &arrays[1]), (&y, &y)).unwrap();
    let y = y.values();
    let mse = |p: &[f32]| -> f64 {
        p.iter()
            .zip(y)
            .map(|(p, t)| f64::from(p - t).powi(2))
            .sum::<f64>()
            / 8.0
    };
    let (main, aux) = (mse(&expected[0]), mse(&expected[1]));
    assert!((logs.get("main_output_loss").unwrap() - main).abs() < 1e-4);
    assert!((logs.get("aux_output_loss").unwrap() - aux).abs() < 1e-4);
    assert!((logs.get("loss").unwrap() - (0.9 * main + 0.1 * aux)).abs() < 1e-4);

    let mut mlp = densely::load_model(keras_fixture("keras2_small_mlp.h5")).unwrap();
    let (x, probs) = mlp_probe("keras2_small_mlp");
    let x = input_arrays(&mlp, &[&x]).remove(0);
    let labels: Vec<u32> = (0..8).map(|i| i % 3).collect();
    let logs = mlp.evaluate(&x, &labels).unwrap();
    let expected: f64 = labels
        .iter()
        .enumerate()
        .map(|(s, &l)| -f64::from(probs[s * 3 + l as usize]).ln())
        .sum::<f64>()
        / 8.0;
    assert!(
        (logs.get("loss").unwrap() - expected).abs() < 1e-4,
        "{logs}"
    );
    let wrong = mlp.evaluate(&x, &x).unwrap_err().to_string();
    assert!(
        wrong.contains("output `dense_1`") && wrong.contains("takes class labels"),
        "{wrong}"
    );
}

/// `load_model(...).summary()` is what Keras 3.15 printed for the same file
/// (`tools/keras_fixture_summaries.py`), character for character: Sequential files without
/// their input, Functional ones in Keras's order with `Connected to`.
#[test]
fn the_dynamic_summary_is_keras_3s_table() {
    for name in [
        "keras2_small_mlp",
        "keras2_wide_deep_adam",
        "keras3_small_mlp",
        "keras3_wide_deep",
    ] {
        let model = densely::load_model(keras_fixture(&format!("{name}.h5"))).unwrap();
        let expected =
            std::fs::read_to_string(keras_fixture(&format!("{name}.summary.txt"))).unwrap();
        let actual = model.summary_string();
        for (number, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
            assert_eq!(a, e, "{name}: line {} differs\n{actual}", number + 1);
        }
        assert_eq!(actual, expected, "{name}");
    }
}

const SMALL_MLP_KERAS2: &str = "model! {
    /// The Sequential model `sequential` of `keras2_small_mlp.h5` (Keras 2.21.0).
    pub struct KerasSequential {
        input input_1: [4];
        dense = Dense(8, relu);
        output dense_1 = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}
";

const WIDE_DEEP_KERAS3: &str = "model! {
    /// The Functional model `functional_1` of `keras3_wide_deep.h5` (Keras 3.15.1).
    pub struct Functional1 {
        input wide_input: [5];
        input deep_input: [6];
        dense_2 = Dense(30, relu)(deep_input);
        dense_3 = Dense(30, relu)(dense_2);
        concatenate = concatenate(wide_input, dense_3);
        output main_output = Dense(1)(concatenate), loss = mse, weight = 0.9;
        output aux_output = Dense(1)(dense_3), loss = mse, weight = 0.1;
    }
}
";

#[test]
fn declarations_match_the_files() {
    let printed = files::declaration(keras_fixture("keras2_small_mlp.h5")).unwrap();
    assert_eq!(printed, SMALL_MLP_KERAS2);
    let printed = files::declaration(keras_fixture("keras3_small_mlp.h5")).unwrap();
    assert_eq!(
        printed,
        SMALL_MLP_KERAS2.replace("input_1", "input_layer").replace(
            "keras2_small_mlp.h5` (Keras 2.21.0)",
            "keras3_small_mlp.h5` (Keras 3.15.1)"
        )
    );
    let printed = files::declaration(keras_fixture("keras3_wide_deep.h5")).unwrap();
    assert_eq!(printed, WIDE_DEEP_KERAS3);
    // tf-keras calls its functional models `model`: the struct is named to shadow nothing.
    let printed = files::declaration(keras_fixture("keras2_wide_deep_adam.h5")).unwrap();
    assert!(printed.contains("pub struct KerasModel {"), "{printed}");
    let printed =
        files::declaration_as(keras_fixture("keras2_wide_deep_adam.h5"), "WideDeep").unwrap();
    assert_eq!(
        printed,
        WIDE_DEEP_KERAS3.replace("Functional1", "WideDeep").replace(
            "`functional_1` of `keras3_wide_deep.h5` (Keras 3.15.1)",
            "`model` of `keras2_wide_deep_adam.h5` (Keras 2.21.0)"
        )
    );
}

// The declarations printed above, compiled: the files load into them by name.
model! {
    /// The Sequential model `sequential` of `keras2_small_mlp.h5` (Keras 2.21.0).
    pub struct KerasSequential {
        input input_1: [4];
        dense = Dense(8, relu);
        output dense_1 = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

model! {
    /// The Functional model `functional_1` of `keras3_wide_deep.h5` (Keras 3.15.1).
    pub struct Functional1 {
        input wide_input: [5];
        input deep_input: [6];
        dense_2 = Dense(30, relu)(deep_input);
        dense_3 = Dense(30, relu)(dense_2);
        concatenate = concatenate(wide_input, dense_3);
        output main_output = Dense(1)(concatenate), loss = mse, weight = 0.9;
        output aux_output = Dense(1)(dense_3), loss = mse, weight = 0.1;
    }
}

#[test]
fn the_printed_declarations_compile_and_load_their_files() {
    let (x, expected) = mlp_probe("keras2_small_mlp");
    let mut model = KerasSequential::load(keras_fixture("keras2_small_mlp.h5")).unwrap();
    let probs = model.predict(&Batch::from_vec(x).unwrap()).unwrap();
    assert_close(probs.as_slice(), &expected, TOLERANCE, "Sequential");
    for name in ["keras3_wide_deep", "keras2_wide_deep_adam"] {
        let (inputs, expected) = wide_deep_probe(name);
        let mut model = Functional1::load(keras_fixture(&format!("{name}.h5"))).unwrap();
        let wide = Batch::from_vec(inputs[0].clone()).unwrap();
        let deep = Batch::from_vec(inputs[1].clone()).unwrap();
        let (main, aux) = model.predict((&wide, &deep)).unwrap();
        assert_close(main.as_slice(), &expected[0], TOLERANCE, name);
        assert_close(aux.as_slice(), &expected[1], TOLERANCE, name);
    }
}

model! {
    /// The small MLP with a hidden layer of another width.
    struct WiderMlp {
        input features: [4];
        hidden = Dense(16, relu);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

model! {
    /// The small MLP with another activation.
    struct TanhMlp {
        input features: [4];
        hidden = Dense(8, tanh);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

model! {
    /// One more layer than the file.
    struct DeeperMlp {
        input features: [4];
        hidden = Dense(8, relu);
        more = Dense(3, relu);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

#[test]
fn another_architecture_is_an_error_naming_the_layer_and_both_shapes() {
    let path = keras_fixture("keras2_small_mlp.h5");
    let err = WiderMlp::load(&path).err().unwrap();
    assert!(matches!(err, Error::Shape { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: layer `hidden` (`dense` in the file) kernel: expected (4, 16), got (4, 8)",
            path.display()
        )
    );
    let err = TanhMlp::load(&path).err().unwrap().to_string();
    assert!(
        err.contains("layer `hidden` is Dense(8, tanh) in the model but `dense` is Dense(8, relu) in the file"),
        "{err}"
    );
    let err = DeeperMlp::load(&path).err().unwrap().to_string();
    assert!(
        err.ends_with("the model has 3 layers with weights (hidden, more, probs), the file 2 (dense, dense_1)"),
        "{err}"
    );
    let err = SmallMlp::load(keras_fixture("keras3_wide_deep.h5"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("layer `hidden`"), "{err}");
    // load_weights checks shapes but not activations, as Keras's does.
    let mut tanh = TanhMlp::new();
    tanh.load_weights(&path).unwrap();
    let mut wider = WiderMlp::new();
    let before = weights(&wider);
    let err = wider.load_weights(&path).unwrap_err().to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert_eq!(weights(&wider), before, "a failed load changes nothing");
}

#[test]
fn weights_load_from_whole_model_files_by_position() {
    let mut model = SmallMlp::new();
    model
        .load_weights(keras_fixture("keras3_small_mlp.h5"))
        .unwrap();
    let (x, expected) = mlp_probe("keras3_small_mlp");
    let probs = model.predict(&Batch::from_vec(x).unwrap()).unwrap();
    assert_close(probs.as_slice(), &expected, TOLERANCE, "load_weights");
    assert!(
        model.optimizer().is_none(),
        "load_weights leaves the model uncompiled"
    );
}

#[test]
fn formats_follow_the_extension_and_unknown_extensions_are_native() {
    assert_eq!(
        FileFormat::from_path("a.KERAS").unwrap(),
        FileFormat::KerasArchive
    );
    assert_eq!(
        FileFormat::from_path("a.HDF5").unwrap(),
        FileFormat::KerasH5
    );
    assert_eq!(FileFormat::from_path("a.ckpt").unwrap(), FileFormat::Native);
    assert_eq!(FileFormat::from_path("a").unwrap(), FileFormat::Native);
    // Loading goes by the first bytes: an archive named `.ckpt` is still an archive.
    let dir = scratch("formats");
    let mut model = SmallMlp::with_seed(2);
    model.compile(Sgd::new(0.1).momentum(0.5), []);
    let path = dir.join("archive.ckpt");
    model
        .save_with(
            &path,
            SaveOptions::default().format(FileFormat::KerasArchive),
        )
        .unwrap();
    assert!(std::fs::read(&path).unwrap().starts_with(b"PK\x03\x04"));
    let back = SmallMlp::load(&path).unwrap();
    assert_eq!(weights(&back), weights(&model));
    assert_eq!(
        back.optimizer().unwrap().config(),
        model.optimizer().unwrap().config()
    );
}
