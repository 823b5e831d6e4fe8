//! The noise layers (GaussianNoise, GaussianDropout, AlphaDropout): noise drawn while
//! training only, from seeded generators saved with the model; declared and built at run
//! time they draw the same noise and train to the same bits.

mod common;

use common::toolbox::{noisy, Noisy};
use common::{
    check_gradients_of, flat, keras_fixture, keras_record, rng, training_loss, uniform, weight_bits,
};
use densely::dynamic::{dense, Sequential};
use densely::layers::GeneratorState;
use densely::prelude::*;
use densely::DynamicModel;

fn generators<N: Network>(model: &N) -> Vec<(String, GeneratorState)> {
    let mut all = Vec::new();
    model.visit_generators(&mut |layer, g| all.push((layer.to_owned(), g.state())));
    all
}

fn data(samples: usize, seed: u64) -> (Batch<Shape1<6>>, Batch<Shape1<2>>) {
    let mut data = rng(seed);
    let x = Batch::from_vec(uniform(&mut data, samples * 6)).unwrap();
    let y = Batch::from_fn(samples, |s, j| {
        let row = &x.as_slice()[s * 6..(s + 1) * 6];
        if j == 0 {
            row.iter().sum::<f32>()
        } else {
            row[0] * row[1]
        }
    });
    (x, y)
}

fn options<'a, N: Network>() -> FitOptions<'a, N> {
    FitOptions::default()
        .epochs(3)
        .batch_size(16)
        .seed(2)
        .verbose(0)
}

#[test]
fn declared_and_built_twins_draw_the_same_noise() {
    let mut declared = Noisy::with_seed(3);
    let mut runtime = noisy().build_with_seed(3).unwrap();
    assert_eq!(weight_bits(&declared), weight_bits(&runtime));
    assert_eq!(generators(&declared), generators(&runtime));
    assert_eq!(
        generators(&declared)
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>(),
        ["jittered", "scaled", "dropped"]
    );
    assert_eq!(declared.summary_string(), runtime.summary_string());
    let (x, y) = data(80, 1);
    declared.compile(Adam::new(1e-2), []);
    runtime.compile(Adam::new(1e-2), []);
    let before = generators(&declared);
    let a = declared.fit(&x, &y, options()).unwrap();
    let b = runtime.fit(&x, &y, options()).unwrap();
    assert_eq!(a.history["loss"], b.history["loss"]);
    assert_eq!(weight_bits(&declared), weight_bits(&runtime));
    assert_eq!(generators(&declared), generators(&runtime));
    assert_ne!(generators(&declared), before, "training drew noise");
}

/// Noise is drawn while training only: predicting draws none, and equals the same model
/// without its noise layers.
#[test]
fn inference_is_the_identity() {
    let mut model = Noisy::with_seed(5);
    let (x, _) = data(32, 2);
    let before = generators(&model);
    let predicted = model.predict(&x).unwrap();
    assert_eq!(generators(&model), before);
    let mut plain = Sequential::new("plain")
        .input("features", &[6])
        .add(dense(16).activation("selu").named("hidden"))
        .add(dense(16).activation("selu").named("deep"))
        .add(dense(2).named("value"))
        .loss("mse")
        .build()
        .unwrap();
    plain.set_weights(&model.get_weights()).unwrap();
    assert_eq!(predicted.as_slice(), plain.predict(&x).unwrap()[0].values());
}

/// The loss of one training pass from the generators' states `at`: the same noise each
/// time.
fn loss_from(
    model: &mut DynamicModel,
    at: &[(String, GeneratorState)],
    x: &Batch<Shape1<6>>,
    y: &Batch<Shape1<2>>,
) -> f64 {
    model.visit_generators_mut(&mut |layer, g| {
        let state = at.iter().find(|(name, _)| name == layer).unwrap().1;
        g.set_state(state);
    });
    let targets = densely::network::TargetsOf::<DynamicModel>::into_targets(y);
    training_loss(model, x, targets)
}

/// With the noise held fixed, the gradients through the noise layers match finite
/// differences of the loss.
#[test]
fn gradients_through_the_noise_match_finite_differences() {
    let (x, y) = data(12, 3);
    let mut model = noisy().build_with_seed(9).unwrap();
    let at = generators(&model);
    check_gradients_of(&mut model, 8, 10, |model| loss_from(model, &at, &x, &y));
}

/// The noise has the moments Keras gives it: GaussianNoise adds noise of deviation
/// `stddev`, GaussianDropout multiplies by noise of mean 1 and deviation
/// `sqrt(rate / (1 - rate))`, and AlphaDropout keeps the mean and variance of standard
/// normal inputs.
#[test]
fn the_noise_has_keras_s_moments() {
    use densely::layers::OpLayer;
    use densely::spec::{OpKind, Value};
    let moments = |values: &[f32]| {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    };
    let samples = 20_000;
    let mut seeds = densely::network::seeded_rng(7);
    let mut draw = |kind: OpKind, arg: f64, x: &[f32]| {
        let mut layer = OpLayer::new(kind, vec![Value::Float(arg)].into(), &[1], &mut seeds);
        let mut y = vec![0.0; samples];
        layer.forward(&[x], &mut y, 1, samples, true);
        y
    };
    let ones = vec![1.0f32; samples];
    let (mean, deviation) = moments(&draw(OpKind::GaussianNoise, 0.5, &ones));
    assert!(
        (mean - 1.0).abs() < 0.02 && (deviation - 0.5).abs() < 0.02,
        "{mean} {deviation}"
    );
    let (mean, deviation) = moments(&draw(OpKind::GaussianDropout, 0.2, &ones));
    assert!(
        (mean - 1.0).abs() < 0.02 && (deviation - 0.5).abs() < 0.02,
        "{mean} {deviation}"
    );
    let mut normal = densely::layers::Generator::new(1);
    let inputs: Vec<f32> = (0..samples).map(|_| normal.normal()).collect();
    let (mean, deviation) = moments(&draw(OpKind::AlphaDropout, 0.3, &inputs));
    assert!(
        mean.abs() < 0.03 && (deviation - 1.0).abs() < 0.03,
        "{mean} {deviation}"
    );
    // A dropped value becomes SELU's negative saturation, scaled and shifted: one value.
    let dropped = draw(OpKind::AlphaDropout, 0.3, &inputs);
    let alpha_p = -1.673_263_2f32 * 1.050_701;
    let a = (0.7 * (1.0 + 0.3 * alpha_p * alpha_p)).powf(-0.5);
    let saturation = a * alpha_p - a * alpha_p * 0.3;
    let share = dropped
        .iter()
        .filter(|&&v| (v - saturation).abs() < 1e-6)
        .count() as f64
        / samples as f64;
    assert!((share - 0.3).abs() < 0.015, "{share}");
}

/// Training resumed from each format goes on with the generators' saved states: the same
/// noise, the same weights as training that did not stop.
#[test]
fn training_resumes_bit_for_bit_with_the_same_noise() {
    let (x, y) = data(64, 4);
    let mut whole = Noisy::with_seed(4);
    whole.compile(Nadam::default(), []);
    whole.fit(&x, &y, options().epochs(2)).unwrap();
    let mut first = Noisy::with_seed(4);
    first.compile(Nadam::default(), []);
    first.fit(&x, &y, options().epochs(1)).unwrap();
    let dir = common::scratch("layers-noise-resume");
    for file in ["noisy.h5", "noisy.keras", "noisy.densely"] {
        let path = dir.join(file);
        first.save(&path).unwrap();
        let mut declared = Noisy::load(&path).unwrap();
        assert_eq!(generators(&declared), generators(&first), "{file}");
        declared
            .fit(&x, &y, options().epochs(2).initial_epoch(1))
            .unwrap();
        assert_eq!(weight_bits(&declared), weight_bits(&whole), "{file}");
        let mut loaded = densely::load_model(&path).unwrap();
        loaded
            .fit(&x, &y, options().epochs(2).initial_epoch(1))
            .unwrap();
        assert_eq!(weight_bits(&loaded), weight_bits(&whole), "{file}");
    }
}

/// The files real Keras wrote of [`Noisy`] (`tools/keras_described_layers.py`) predict what
/// Keras predicted, in `load_model` and in the declared struct, and summarise as Keras did.
#[test]
fn keras_files_with_noise_layers_predict_what_keras_predicted() {
    for file in ["keras3_noisy.keras", "keras3_noisy.h5", "keras2_noisy.h5"] {
        let record = keras_record(file);
        let x = Batch::<Shape1<6>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
        let expected = flat(&record["outputs"]["value"]);
        let mut loaded = densely::load_model(keras_fixture(file)).unwrap();
        let mut declared = Noisy::load(keras_fixture(file)).unwrap();
        let predicted = loaded.predict(&x).unwrap();
        let declared_predicted = declared.predict(&x).unwrap();
        for (i, e) in expected.iter().enumerate() {
            assert!((predicted[0].values()[i] - e).abs() <= 1e-5, "{file}[{i}]");
            assert!(
                (declared_predicted.as_slice()[i] - e).abs() <= 1e-5,
                "{file}[{i}]"
            );
        }
        let summary = std::fs::read_to_string(keras_fixture(file).with_extension("summary.txt"));
        assert_eq!(loaded.summary_string(), summary.unwrap(), "{file}");
    }
}
