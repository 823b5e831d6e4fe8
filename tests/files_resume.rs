//! Nothing lost: training resumed from a file gives, bit for bit, the weights of training
//! without stopping; saving and loading round-trip every weight, slot and setting.

mod files_common;

use densely::files::{FileFormat, KerasFlavor, SaveOptions};
use std::path::Path;

use densely::layers::{Generator, GeneratorState};
use densely::prelude::*;
use files_common::*;

/// Regression data for Wide & Deep: 96 samples.
fn wide_deep_data() -> (Batch<Shape1<5>>, Batch<Shape1<6>>, Batch<Shape1<1>>) {
    let wide = Batch::<Shape1<5>>::from_fn(96, |s, f| ((s * 7 + f * 3) % 11) as f32 / 11.0 - 0.5);
    let deep = Batch::<Shape1<6>>::from_fn(96, |s, f| ((s * 5 + f * 13) % 17) as f32 / 17.0 - 0.5);
    let y = Batch::<Shape1<1>>::from_fn(96, |s, _| {
        wide.sample(s).iter().sum::<f32>() - deep.sample(s)[..3].iter().sum::<f32>()
    });
    (wide, deep, y)
}

fn options<'a>(epochs: usize) -> FitOptions<'a, WideAndDeep> {
    FitOptions::default()
        .epochs(epochs)
        .batch_size(16)
        .seed(11)
        .verbose(0)
}

fn resume_is_bit_exact(optimizer: impl Optimizer + Clone + 'static, extension: &str) {
    let (wide, deep, y) = wide_deep_data();
    let mut straight = WideAndDeep::with_seed(1);
    straight.compile(optimizer.clone(), [Metric::Mae]);
    straight.fit((&wide, &deep), (&y, &y), options(5)).unwrap();

    let dir = scratch("resume");
    let path = dir.join(format!("checkpoint.{extension}"));
    let mut first = WideAndDeep::with_seed(1);
    first.compile(optimizer, [Metric::Mae]);
    first.fit((&wide, &deep), (&y, &y), options(2)).unwrap();
    first.save(&path).unwrap();
    drop(first);

    let mut resumed = WideAndDeep::load(&path).unwrap();
    assert_eq!(resumed.training_state().metrics(), [Metric::Mae]);
    resumed
        .fit((&wide, &deep), (&y, &y), options(5).initial_epoch(2))
        .unwrap();
    let (a, b) = (weights(&straight), weights(&resumed));
    for (x, y) in a.iter().zip(&b) {
        let same = x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(same, "{extension}: resumed training differs");
    }
    let (o, p) = (straight.optimizer().unwrap(), resumed.optimizer().unwrap());
    assert_eq!(o.iterations(), p.iterations());
    assert_eq!(o.config(), p.config());
}

#[test]
fn resuming_adam_from_a_native_file_is_bit_exact() {
    resume_is_bit_exact(Adam::new(5e-3).amsgrad(true).clipnorm(1.0), "densely");
}

#[test]
fn resuming_sgd_with_nesterov_momentum_from_a_native_file_is_bit_exact() {
    resume_is_bit_exact(Sgd::new(0.02).momentum(0.9).nesterov(true), "densely");
}

#[test]
fn resuming_rmsprop_adagrad_nadam_adamw_from_a_native_file_is_bit_exact() {
    resume_is_bit_exact(RmsProp::new(1e-3).momentum(0.5).centered(true), "densely");
    resume_is_bit_exact(Adagrad::new(0.05), "ckpt");
    resume_is_bit_exact(Nadam::new(2e-3), "densely");
    resume_is_bit_exact(AdamW::new(2e-3).weight_decay(0.01), "densely");
}

model! {
    /// A classifier with dropout before and after its hidden layer: resuming it needs the
    /// generators' states as well as the weights.
    struct DroppingMlp {
        input features: [6];
        dropped_input = Dropout(0.2);
        hidden = Dense(16, relu);
        dropped_hidden = Dropout(0.5);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

/// 120 samples of 6 features and 3 classes.
fn classes_data() -> (Batch<Shape1<6>>, Labels<3>) {
    let x = Batch::<Shape1<6>>::from_fn(120, |s, f| ((s * 11 + f * 7) % 13) as f32 / 13.0 - 0.5);
    let y = Labels::<3>::new(
        (0..120)
            .map(|s| (x.sample(s)[0] + x.sample(s)[1] > 0.0) as u32 + (s % 5 == 0) as u32)
            .collect(),
    )
    .unwrap();
    (x, y)
}

fn dropout_options<'a>(epochs: usize) -> FitOptions<'a, DroppingMlp> {
    FitOptions::default()
        .epochs(epochs)
        .batch_size(16)
        .seed(5)
        .verbose(0)
}

fn generator_states<N: Network>(model: &N) -> Vec<(String, GeneratorState)> {
    let mut states = Vec::new();
    model.visit_generators(&mut |layer, generator| {
        states.push((layer.to_owned(), generator.state()))
    });
    states
}

fn bits(model: &DroppingMlp) -> Vec<Vec<u32>> {
    weights(model)
        .iter()
        .map(|w| w.iter().map(|v| v.to_bits()).collect())
        .collect()
}

/// Trains 2 epochs, saves to `extension`, loads, calls `tamper` on the loaded model, trains 2
/// more; returns the weights and generator states of both runs (uninterrupted first).
fn resume_with_dropout(extension: &str, tamper: impl Fn(&mut DroppingMlp)) -> [DroppingMlp; 2] {
    let (x, y) = classes_data();
    let mut straight = DroppingMlp::with_seed(8);
    straight.compile(Adam::new(1e-2), [Metric::Accuracy]);
    straight.fit(&x, &y, dropout_options(4)).unwrap();

    let path = scratch("resume-dropout").join(format!("dropping.{extension}"));
    let mut first = DroppingMlp::with_seed(8);
    first.compile(Adam::new(1e-2), [Metric::Accuracy]);
    first.fit(&x, &y, dropout_options(2)).unwrap();
    first.save(&path).unwrap();
    drop(first);

    let mut resumed = DroppingMlp::load(&path).unwrap();
    tamper(&mut resumed);
    resumed
        .fit(&x, &y, dropout_options(4).initial_epoch(2))
        .unwrap();
    [straight, resumed]
}

#[test]
fn resuming_a_model_with_dropout_is_bit_exact_in_both_formats() {
    for extension in ["densely", "h5"] {
        let [straight, resumed] = resume_with_dropout(extension, |_| {});
        assert_eq!(
            bits(&resumed),
            bits(&straight),
            "{extension}: weights differ"
        );
        let states = generator_states(&straight);
        assert_eq!(states.len(), 2);
        assert_eq!(generator_states(&resumed), states, "{extension}");
    }
}

/// The control: the same resume with the generators put back to their seeds instead of
/// where the file left them draws other masks and ends elsewhere.
#[test]
fn resuming_with_fresh_generators_would_differ() {
    let [straight, resumed] = resume_with_dropout("densely", |model| {
        model.visit_generators_mut(&mut |_, generator| *generator = Generator::new(8));
    });
    assert_ne!(bits(&resumed), bits(&straight));
}

/// A file Keras wrote has no generator states: the model keeps its own.
#[test]
fn a_file_without_generator_states_keeps_the_seeded_generators() {
    let path = scratch("keras-dropout").join("with_states.h5");
    let mut model = DroppingMlp::with_seed(8);
    model.compile(Adam::new(1e-2), []);
    let (x, y) = classes_data();
    model.fit(&x, &y, dropout_options(1)).unwrap();
    model
        .save_with(
            &path,
            SaveOptions::default().keras_flavor(KerasFlavor::Keras3),
        )
        .unwrap();
    let loaded = DroppingMlp::load(&path).unwrap();
    assert_eq!(generator_states(&loaded), generator_states(&model));
    let fresh = DroppingMlp::new();
    let stripped = scratch("keras-dropout").join("stripped.h5");
    strip_generators(&path, &stripped);
    let loaded = DroppingMlp::load(&stripped).unwrap();
    assert_eq!(generator_states(&loaded), generator_states(&fresh));
    assert_eq!(bits(&loaded), bits(&model));
}

/// A copy of the HDF5 file at `from` without its `densely_generators` attribute, as Keras
/// writes it.
fn strip_generators(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    let file = hdf5_pure::File::open_rw(to).unwrap();
    assert!(file
        .root()
        .attrs()
        .unwrap()
        .contains_key("densely_generators"));
    file.root().remove_attr("densely_generators").unwrap();
    file.root().remove_attr("densely_attribute_crc32").unwrap();
    file.commit().unwrap();
}

/// Replaces the `densely_generators` attribute of the HDF5 file at `path` with `json`, and
/// unless `keep_checksums`, drops the checksums of the root's attributes (as another program
/// that edits the file would).
fn rewrite_generators(path: &Path, json: &str, keep_checksums: bool) {
    let file = hdf5_pure::File::open_rw(path).unwrap();
    let root = file.root();
    root.set_attr(
        "densely_generators",
        hdf5_pure::AttrValue::VarLenString(json.to_owned()),
    )
    .unwrap();
    if !keep_checksums
        && root
            .attrs()
            .unwrap()
            .contains_key("densely_attribute_crc32")
    {
        root.remove_attr("densely_attribute_crc32").unwrap();
    }
    file.commit().unwrap();
}

#[test]
fn generator_states_for_other_layers_or_garbled_are_refused() {
    let path = scratch("bad-generators").join("model.h5");
    let mut model = DroppingMlp::with_seed(8);
    model.compile(Sgd::default(), []);
    model.save(&path).unwrap();
    let state = generator_states(&model)[0].1;
    let entry = |layer: &str| {
        serde_json::json!([{ "layer": layer, "state": serde_json::to_value(state).unwrap() }])
            .to_string()
    };
    // The checksum of the root's attributes finds any change to them.
    rewrite_generators(&path, &entry("hidden"), true);
    let err = DroppingMlp::load(&path).err().unwrap().to_string();
    assert!(
        err.contains("`densely_generators` fails its checksum"),
        "{err}"
    );
    rewrite_generators(&path, &entry("dropped_hidden"), false);
    assert!(DroppingMlp::load(&path).is_ok());
    rewrite_generators(&path, &entry("hidden"), false);
    let err = DroppingMlp::load(&path).err().unwrap().to_string();
    assert!(
        err.contains("`hidden`") && err.contains("not a Dropout layer") && err.contains("model.h5"),
        "{err}"
    );
    rewrite_generators(&path, "[{\"layer\": 3}]", false);
    let err = DroppingMlp::load(&path).err().unwrap().to_string();
    assert!(err.contains("densely_generators"), "{err}");
}

/// The `.h5` file holds f32 weights and slots and the config in JSON, which round-trip
/// exactly too, in either Keras layout.
#[test]
fn resuming_from_a_keras_file_is_bit_exact_too() {
    resume_is_bit_exact(Adam::new(5e-3), "h5");
    resume_is_bit_exact(RmsProp::new(1e-3).momentum(0.5).centered(true), "hdf5");
    resume_is_bit_exact(Nadam::new(2e-3), "h5");
    let (wide, deep, y) = wide_deep_data();
    let dir = scratch("resume-keras3");
    let mut model = WideAndDeep::with_seed(2);
    model.compile(Sgd::new(0.01).momentum(0.8), []);
    model.fit((&wide, &deep), (&y, &y), options(1)).unwrap();
    let path = dir.join("k3.h5");
    model
        .save_with(
            &path,
            SaveOptions::default().keras_flavor(KerasFlavor::Keras3),
        )
        .unwrap();
    let back = WideAndDeep::load(&path).unwrap();
    let slots = |m: &WideAndDeep| -> Vec<Vec<f32>> {
        m.optimizer()
            .unwrap()
            .slots()
            .into_iter()
            .map(|(_, _, v)| v.to_vec())
            .collect()
    };
    assert_eq!(slots(&back), slots(&model));
    assert_eq!(back.optimizer().unwrap().iterations(), 6);
}

#[test]
fn weights_files_hold_weights_alone() {
    let dir = scratch("weights");
    let mut model = SmallMlp::with_seed(3);
    model.compile(Sgd::default(), []);
    for name in ["w.h5", "w.densely"] {
        let path = dir.join(name);
        model.save_weights(&path).unwrap();
        let mut other = SmallMlp::with_seed(4);
        other.load_weights(&path).unwrap();
        assert_eq!(weights(&other), weights(&model));
        let err = SmallMlp::load(&path).err().unwrap().to_string();
        assert!(err.contains("load_weights"), "{err}");
    }
    // An uncompiled model saves without a training config and loads uncompiled.
    let path = dir.join("plain.densely");
    SmallMlp::with_seed(5).save(&path).unwrap();
    assert!(SmallMlp::load(&path).unwrap().optimizer().is_none());
    let options = SaveOptions::default()
        .include_optimizer(false)
        .format(FileFormat::Native);
    model.save_with(dir.join("x.h5"), options).unwrap();
    assert!(SmallMlp::load(dir.join("x.h5"))
        .unwrap()
        .optimizer()
        .is_none());
}

/// Keras 3 writes `.weights.h5` files in another layout (`layers/<name>/vars/<i>`): this one
/// was written by Keras 3.15 from `keras3_wide_deep.h5`.
#[test]
fn keras_3_weights_files_load() {
    let path = keras_fixture("keras3_wide_deep.weights.h5");
    let (inputs, expected) = wide_deep_probe("keras3_wide_deep");
    let mut model = WideAndDeep::new();
    model.load_weights(&path).unwrap();
    let wide = Batch::<Shape1<5>>::from_vec(inputs[0].clone()).unwrap();
    let deep = Batch::<Shape1<6>>::from_vec(inputs[1].clone()).unwrap();
    let (main, aux) = model.predict((&wide, &deep)).unwrap();
    assert_close(main.as_slice(), &expected[0], 1e-5, "main_output");
    assert_close(aux.as_slice(), &expected[1], 1e-5, "aux_output");
}

/// Every metric comes back from each format, those Keras builds from arguments (PR AUC, F1)
/// included: they are written as Keras's class and arguments.
#[test]
fn every_metric_round_trips_through_every_format() {
    let metrics = [
        Metric::Mae,
        Metric::Auc,
        Metric::PrAuc,
        Metric::F1Score,
        Metric::Precision,
        Metric::RootMeanSquaredError,
    ];
    let dir = scratch("metrics_round_trip");
    for extension in ["h5", "keras", "densely"] {
        let mut model = WideAndDeep::with_seed(1);
        model.compile(Sgd::default(), metrics);
        let path = dir.join(format!("metrics.{extension}"));
        model.save(&path).unwrap();
        let loaded = WideAndDeep::load(&path).unwrap();
        assert_eq!(loaded.training_state().metrics(), metrics, "{extension}");
    }
}
