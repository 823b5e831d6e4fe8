//! Frozen layers, Keras's `trainable = False`: declared with `trainable = false`, built with
//! `.trainable(false)`, or set on any model with `set_trainable`. Their weights stay as they
//! are while the others train, a frozen BatchNormalization normalizes with its moving
//! statistics, summaries count them as non-trainable, and files keep the flag.

mod common;

use common::toolbox::{transfer, Transfer};
use common::{flat, keras_fixture, keras_record, rng, uniform, weight_bits};
use densely::dynamic::{dense, Functional, Sequential};
use densely::prelude::*;
use densely::DynamicModel;

fn data(samples: usize, seed: u64) -> (Batch<Shape1<6>>, Batch<Shape1<2>>) {
    let mut data = rng(seed);
    let x = Batch::from_vec(uniform(&mut data, samples * 6)).unwrap();
    let y = Batch::from_fn(samples, |s, j| {
        let row = &x.as_slice()[s * 6..(s + 1) * 6];
        if j == 0 {
            row.iter().sum::<f32>()
        } else {
            row[0] - row[5]
        }
    });
    (x, y)
}

fn options<'a, N: Network>() -> FitOptions<'a, N> {
    FitOptions::default()
        .epochs(2)
        .batch_size(16)
        .seed(3)
        .verbose(0)
}

/// The weights of layer `name`, as bits.
fn layer_bits<N: Network>(model: &N, name: &str) -> Vec<(String, Vec<u32>)> {
    weight_bits(model)
        .into_iter()
        .filter(|(tensor, _)| tensor.starts_with(&format!("{name}/")))
        .collect()
}

#[test]
fn frozen_layers_keep_their_weights_while_the_others_train() {
    let mut declared = Transfer::with_seed(2);
    let mut runtime = transfer().build_with_seed(2).unwrap();
    assert_eq!(weight_bits(&declared), weight_bits(&runtime));
    assert_eq!(declared.summary_string(), runtime.summary_string());
    let summary = declared.summary_string();
    // base 56 and the BatchNormalization's 32 don't train; head 36 and value 10 do.
    assert!(
        summary.contains(" Total params: 134 (536.00 B)"),
        "{summary}"
    );
    assert!(
        summary.contains(" Trainable params: 46 (184.00 B)"),
        "{summary}"
    );
    assert!(
        summary.contains(" Non-trainable params: 88 (352.00 B)"),
        "{summary}"
    );
    assert_eq!(declared.trainable_count_params(), 46);
    let before = (
        layer_bits(&declared, "base"),
        layer_bits(&declared, "steadied"),
        layer_bits(&declared, "head"),
    );
    let (x, y) = data(64, 1);
    declared.compile(Adam::new(1e-2), []);
    runtime.compile(Adam::new(1e-2), []);
    let a = declared.fit(&x, &y, options()).unwrap();
    let b = runtime.fit(&x, &y, options()).unwrap();
    assert_eq!(a.history["loss"], b.history["loss"]);
    assert_eq!(weight_bits(&declared), weight_bits(&runtime));
    assert_eq!(
        layer_bits(&declared, "base"),
        before.0,
        "a frozen Dense layer"
    );
    // A frozen BatchNormalization normalizes with its moving statistics and moves them not.
    assert_eq!(
        layer_bits(&declared, "steadied"),
        before.1,
        "a frozen BatchNormalization"
    );
    assert_ne!(layer_bits(&declared, "head"), before.2, "the head trains");
}

/// As in Keras, changing which layers train takes effect at the next compile: a compiled
/// model asks for `compile` again; unfreezing then trains the layer.
#[test]
fn unfreezing_asks_for_compile_again_then_trains_the_layer() {
    let mut model = Transfer::with_seed(4);
    let (x, y) = data(32, 2);
    model.compile(Sgd::new(1e-2), []);
    model.fit(&x, &y, options()).unwrap();
    model.set_trainable("base", true).unwrap();
    let error = model.fit(&x, &y, options()).unwrap_err().to_string();
    assert!(error.contains("call compile"), "{error}");
    let before = layer_bits(&model, "base");
    model.compile(Sgd::new(1e-2), []);
    model.fit(&x, &y, options()).unwrap();
    assert_ne!(layer_bits(&model, "base"), before);
    let error = model.set_trainable("bsae", false).unwrap_err().to_string();
    assert!(
        error.contains("`bsae` is no layer of the model. Did you mean `base`?"),
        "{error}"
    );
}

/// Keras's transfer-learning recipe: load a trained model, keep its first layers with their
/// weights, frozen, put a new head on them, train; the frozen layers don't move.
#[test]
fn a_loaded_model_s_layers_train_a_new_head_frozen() {
    let (x, y) = data(64, 3);
    let mut first = Sequential::new("first")
        .input("features", &[6])
        .add(dense(8).activation("relu").named("base"))
        .add(dense(2).named("old_head"))
        .loss("mse")
        .build_with_seed(5)
        .unwrap();
    first.compile(Adam::new(1e-2), []);
    first.fit(&x, &y, options()).unwrap();
    let path = common::scratch("frozen-recipe").join("first.keras");
    first.save(&path).unwrap();
    let loaded = densely::load_model(&path).unwrap();

    let mut f = Functional::new("second");
    let input = f.input("features", &[6]);
    let base = f.apply(
        dense(8).activation("relu").named("base").trainable(false),
        &[input],
    );
    let head = f.apply(dense(3).activation("relu").named("new_hidden"), &[base]);
    let out = f.apply(dense(2).named("new_head"), &[head]);
    f.output(out, "mse", 1.0);
    let mut second = f.build_with_seed(6).unwrap();
    let weights = loaded.layer("base").unwrap().get_weights();
    second
        .layer_mut("base")
        .unwrap()
        .set_weights(&weights)
        .unwrap();
    let before = layer_bits(&second, "base");
    second.compile(Adam::new(1e-2), []);
    second.fit(&x, &y, options()).unwrap();
    assert_eq!(layer_bits(&second, "base"), before);
    assert_eq!(layer_bits(&second, "base"), layer_bits(&loaded, "base"));
}

/// Files keep which layers are frozen, and the optimizer's state covers the trainable
/// weights alone, as Keras writes it: training resumed from any format ends where training
/// that did not stop ends.
#[test]
fn files_keep_the_frozen_layers_and_training_resumes_to_the_bit() {
    let (x, y) = data(64, 4);
    let mut whole = Transfer::with_seed(7);
    whole.compile(Nadam::default(), []);
    whole.fit(&x, &y, options().epochs(3)).unwrap();
    let mut first = Transfer::with_seed(7);
    first.compile(Nadam::default(), []);
    first.fit(&x, &y, options()).unwrap();
    let dir = common::scratch("frozen-resume");
    for file in ["transfer.h5", "transfer.keras", "transfer.densely"] {
        let path = dir.join(file);
        first.save(&path).unwrap();
        let mut loaded: DynamicModel = densely::load_model(&path).unwrap();
        assert_eq!(
            loaded.training_state().frozen(),
            ["base", "steadied"],
            "{file}"
        );
        // The same table; Keras's files name the model in snake case.
        let table = |text: String| text.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(
            table(loaded.summary_string()),
            table(first.summary_string()),
            "{file}"
        );
        loaded
            .fit(&x, &y, options().epochs(3).initial_epoch(2))
            .unwrap();
        assert_eq!(weight_bits(&loaded), weight_bits(&whole), "{file}");
        let mut declared = Transfer::load(&path).unwrap();
        declared
            .fit(&x, &y, options().epochs(3).initial_epoch(2))
            .unwrap();
        assert_eq!(weight_bits(&declared), weight_bits(&whole), "{file}");
    }
}

/// Keras's files of a model with frozen layers (`tools/keras_described_layers.py`) load
/// with those layers frozen, summarise as Keras does, predict what Keras predicted, and
/// train on from their optimizer's state (slots for the trainable weights alone) without
/// moving the frozen weights.
#[test]
fn keras_files_with_frozen_layers_load_frozen_and_train_on() {
    for file in [
        "keras3_transfer.keras",
        "keras3_transfer.h5",
        "keras2_transfer.h5",
    ] {
        let record = keras_record(file);
        let x = Batch::<Shape1<6>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
        let expected = flat(&record["outputs"]["value"]);
        let mut loaded = densely::load_model(keras_fixture(file)).unwrap();
        assert_eq!(
            loaded.training_state().frozen(),
            ["base", "steadied"],
            "{file}"
        );
        let summary = std::fs::read_to_string(keras_fixture(file).with_extension("summary.txt"));
        assert_eq!(loaded.summary_string(), summary.unwrap(), "{file}");
        let mut declared = Transfer::load(keras_fixture(file)).unwrap();
        assert_eq!(
            declared.training_state().frozen(),
            ["base", "steadied"],
            "{file}"
        );
        let predicted = loaded.predict(&x).unwrap();
        let declared_predicted = declared.predict(&x).unwrap();
        for (i, e) in expected.iter().enumerate() {
            assert!((predicted[0].values()[i] - e).abs() <= 1e-5, "{file}[{i}]");
            assert!(
                (declared_predicted.as_slice()[i] - e).abs() <= 1e-5,
                "{file}[{i}]"
            );
        }
        let optimizer = declared.optimizer().expect("the file's Adam");
        assert!(optimizer.iterations() > 0, "{file}");
        let before = (
            layer_bits(&declared, "base"),
            layer_bits(&declared, "steadied"),
        );
        let train_x = Batch::<Shape1<6>>::from_vec(flat(&record["train"]["x"])).unwrap();
        let train_y = Batch::<Shape1<2>>::from_vec(flat(&record["train"]["y"])).unwrap();
        declared
            .fit(&train_x, &train_y, options().epochs(1))
            .unwrap();
        let after = (
            layer_bits(&declared, "base"),
            layer_bits(&declared, "steadied"),
        );
        assert_eq!(after, before, "{file}");
    }
}

model! {
    /// The Functional model `transfer` of `keras3_transfer.keras` (Keras 3.15.1).
    pub struct TransferPrinted {
        input features: [6];
        base = Dense(8, relu)(features), trainable = false;
        steadied = BatchNormalization()(base), trainable = false;
        head = Dense(4, relu)(steadied);
        output value = Dense(2)(head), loss = mse;
    }
}

/// The declaration printed for a file with frozen layers freezes them, as the file does,
/// and compiles (above) into a struct that loads the file.
#[test]
fn printed_declarations_freeze_what_the_file_froze() {
    let printed =
        densely::files::declaration_as(keras_fixture("keras3_transfer.keras"), "Transfer").unwrap();
    assert_eq!(
        printed,
        "model! {
    /// The Functional model `transfer` of `keras3_transfer.keras` (Keras 3.15.1).
    pub struct Transfer {
        input features: [6];
        base = Dense(8, relu)(features), trainable = false;
        steadied = BatchNormalization()(base), trainable = false;
        head = Dense(4, relu)(steadied);
        output value = Dense(2)(head), loss = mse;
    }
}
"
    );
    let loaded = TransferPrinted::load(keras_fixture("keras3_transfer.keras")).unwrap();
    assert_eq!(loaded.training_state().frozen(), ["base", "steadied"]);
    assert_eq!(
        TransferPrinted::new().training_state().frozen(),
        ["base", "steadied"]
    );
    let model = transfer().build().unwrap();
    let text = densely::files::declaration_of(&model, "Transfer").unwrap();
    assert!(
        text.contains("        base = Dense(8, relu), trainable = false;\n"),
        "{text}"
    );
}
