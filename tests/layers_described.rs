//! The layer kinds described in `densely::spec` (LeakyReLU, ReLU, ELU, Softmax, Rescaling,
//! Reshape and the merges multiply, subtract, average, maximum, minimum): declared and built
//! at run time they compute the same bits, their gradients match finite differences, and
//! mistakes are errors naming the layer.

mod common;

use common::toolbox::{built, Toolbox};
use common::{
    check_gradients, check_gradients_of, flat, keras_fixture, keras_record, rng, training_loss,
    uniform, weight_bits,
};
use densely::dynamic::{dense, layer, Functional};
use densely::network::TargetsOf;
use densely::prelude::*;
use densely::DynamicModel;

fn data(samples: usize, seed: u64) -> (Batch<Shape1<12>>, Batch<Shape1<2>>) {
    let mut data = rng(seed);
    let x = Batch::from_vec(
        uniform(&mut data, samples * 12)
            .iter()
            .map(|v| 3.0 * v)
            .collect(),
    )
    .unwrap();
    let y = Batch::from_fn(samples, |s, j| {
        let row = &x.as_slice()[s * 12..(s + 1) * 12];
        if j == 0 {
            row[..6].iter().sum::<f32>() / 6.0
        } else {
            row[6..].iter().map(|v| v * v).sum::<f32>() / 12.0
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
fn declared_and_built_twins_train_to_the_same_bits() {
    let mut declared = Toolbox::with_seed(3);
    let mut runtime = built().build_with_seed(3).unwrap();
    assert_eq!(weight_bits(&declared), weight_bits(&runtime));
    assert_eq!(declared.summary_string(), runtime.summary_string());
    let (x, y) = data(96, 1);
    declared.compile(Adam::new(1e-2), []);
    runtime.compile(Adam::new(1e-2), []);
    let a = declared.fit(&x, &y, options()).unwrap();
    let b = runtime.fit(&x, &y, options()).unwrap();
    assert_eq!(a.history["loss"], b.history["loss"]);
    assert!(
        a.history["loss"][2] < a.history["loss"][0],
        "{:?}",
        a.history
    );
    assert_eq!(weight_bits(&declared), weight_bits(&runtime));
    let p = declared.predict(&x).unwrap();
    let q = runtime.predict(&x).unwrap();
    assert_eq!(p.as_slice(), q[0].values());
}

/// Gives PReLU's slopes, which start at zero, values of both signs.
fn slopes<N: Network>(model: &mut N) {
    model.visit_params_mut(&mut |_, param| {
        if param.name == "alpha" {
            for (i, v) in param.value.iter_mut().enumerate() {
                *v = [0.25, -0.125, 0.5][i % 3];
            }
        }
    });
}

#[test]
fn gradients_through_every_described_kind_match_finite_differences() {
    let (x, y) = data(10, 5);
    let mut declared = Toolbox::with_seed(7);
    slopes(&mut declared);
    check_gradients(&mut declared, &x, &y, 12);
    let mut runtime = built().build_with_seed(7).unwrap();
    slopes(&mut runtime);
    let targets = TargetsOf::<DynamicModel>::into_targets(&y);
    check_gradients(&mut runtime, &x, targets, 12);
}

/// The files real Keras wrote of [`Toolbox`] (`tools/keras_described_layers.py`).
const KERAS_FILES: [&str; 3] = [
    "keras3_toolbox.keras",
    "keras3_toolbox.h5",
    "keras2_toolbox.h5",
];

fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() <= 1e-5, "{what}[{i}]: densely {a}, Keras {e}");
    }
}

#[test]
fn keras_files_of_every_described_kind_predict_what_keras_predicted() {
    for file in KERAS_FILES {
        let record = keras_record(file);
        let x = Batch::<Shape1<12>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
        let expected = flat(&record["outputs"]["value"]);
        let mut loaded = densely::load_model(keras_fixture(file)).unwrap();
        let predicted = loaded.predict(&x).unwrap();
        assert_close(predicted[0].values(), &expected, file);
        let mut declared = Toolbox::load(keras_fixture(file)).unwrap();
        assert_close(declared.predict(&x).unwrap().as_slice(), &expected, file);
        let summary = keras_fixture(file).with_extension("summary.txt");
        let expected = std::fs::read_to_string(summary).unwrap();
        assert_eq!(loaded.summary_string(), expected, "{file}");
    }
}

/// The declaration `files::declaration` prints for a file of either Keras, which compiles
/// (below) and loads the file.
const PRINTED: &str = "model! {
    /// The Functional model `toolbox` of `keras2_toolbox.h5` (Keras 2.21.0).
    pub struct Toolbox {
        input features: [12];
        scaled = Rescaling(scale = 0.5, offset = -0.25)(features);
        grid = Reshape(target_shape = (3, -1))(scaled);
        sloped = PReLU(shared_axes = (1,))(grid);
        normed = LayerNormalization(center = false)(sloped);
        rows = Softmax()(normed);
        a = Dense(8)(scaled);
        flat = Flatten()(rows);
        c = Dense(8)(scaled);
        steadied = BatchNormalization(momentum = 0.9)(a);
        b = Dense(8)(flat);
        learned = PReLU()(c);
        leaky = LeakyReLU(negative_slope = 0.2)(steadied);
        capped = ReLU(max_value = 1.5, negative_slope = 0.1, threshold = 0.05)(b);
        smooth = ELU(alpha = 0.7)(learned);
        product = multiply(leaky, capped);
        difference = subtract(smooth, capped);
        mean = average(product, difference, leaky);
        high = maximum(mean, smooth);
        low = minimum(high, product, leaky);
        settled = LayerNormalization(epsilon = 0.01)(low);
        output value = Dense(2)(settled), loss = mse;
    }
}
";

model! {
    /// The Functional model `toolbox` of `keras2_toolbox.h5` (Keras 2.21.0).
    pub struct ToolboxPrinted {
        input features: [12];
        scaled = Rescaling(scale = 0.5, offset = -0.25)(features);
        grid = Reshape(target_shape = (3, -1))(scaled);
        sloped = PReLU(shared_axes = (1,))(grid);
        normed = LayerNormalization(center = false)(sloped);
        rows = Softmax()(normed);
        a = Dense(8)(scaled);
        flat = Flatten()(rows);
        c = Dense(8)(scaled);
        steadied = BatchNormalization(momentum = 0.9)(a);
        b = Dense(8)(flat);
        learned = PReLU()(c);
        leaky = LeakyReLU(negative_slope = 0.2)(steadied);
        capped = ReLU(max_value = 1.5, negative_slope = 0.1, threshold = 0.05)(b);
        smooth = ELU(alpha = 0.7)(learned);
        product = multiply(leaky, capped);
        difference = subtract(smooth, capped);
        mean = average(product, difference, leaky);
        high = maximum(mean, smooth);
        low = minimum(high, product, leaky);
        settled = LayerNormalization(epsilon = 0.01)(low);
        output value = Dense(2)(settled), loss = mse;
    }
}

#[test]
fn the_printed_declaration_of_a_keras_file_compiles_and_loads_it() {
    let printed = densely::files::declaration(keras_fixture("keras2_toolbox.h5")).unwrap();
    assert_eq!(printed, PRINTED);
    let archive = densely::files::declaration(keras_fixture("keras3_toolbox.keras")).unwrap();
    assert_eq!(
        archive,
        PRINTED.replace(
            "of `keras2_toolbox.h5` (Keras 2.21.0)",
            "of `keras3_toolbox.keras` (Keras 3.15.1)"
        )
    );
    let record = keras_record("keras2_toolbox.h5");
    let x = Batch::<Shape1<12>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
    let mut model = ToolboxPrinted::load(keras_fixture("keras2_toolbox.h5")).unwrap();
    let predicted = model.predict(&x).unwrap();
    assert_close(
        predicted.as_slice(),
        &flat(&record["outputs"]["value"]),
        "printed",
    );
}

/// Training resumed from each format, read back by `load_model` or by the declared struct,
/// ends where training that did not stop ends.
#[test]
fn training_resumes_bit_for_bit_from_every_format() {
    let (x, y) = data(64, 9);
    let mut whole = Toolbox::with_seed(4);
    whole.compile(Nadam::default(), []);
    whole.fit(&x, &y, options().epochs(2)).unwrap();
    let mut first = Toolbox::with_seed(4);
    first.compile(Nadam::default(), []);
    first.fit(&x, &y, options().epochs(1)).unwrap();
    let dir = common::scratch("layers-described-resume");
    for file in ["toolbox.h5", "toolbox.keras", "toolbox.densely"] {
        let path = dir.join(file);
        first.save(&path).unwrap();
        let mut declared = Toolbox::load(&path).unwrap();
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

/// A mistake in a described layer is an error of `build` naming the layer and what is wrong.
#[test]
fn described_layer_mistakes_name_the_layer() {
    let build = |apply: &dyn Fn(
        &mut Functional,
        densely::dynamic::NodeId,
        densely::dynamic::NodeId,
    ) -> densely::dynamic::NodeId| {
        let mut f = Functional::new("m");
        let a = f.input("a", &[6]);
        let b = f.input("b", &[4]);
        let node = apply(&mut f, a, b);
        let out = f.apply(dense(1), &[node]);
        f.output(out, "mse", 1.0);
        f.build().unwrap_err().to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            build(&|f, a, _| f.apply(layer("LeakyRelu"), &[a])),
            "layer `leaky_relu` (LeakyRelu): `LeakyRelu` is no layer class densely knows. Did you mean `LeakyReLU`?",
        ),
        (
            build(&|f, a, _| f.apply(layer("ReLU").with("max_valu", 6.0), &[a])),
            "layer `re_lu` (ReLU) has no argument `max_valu`; it takes `max_value`, `negative_slope`, `threshold`. Did you mean `max_value`?",
        ),
        (
            build(&|f, a, _| f.apply(layer("LeakyReLU").with("negative_slope", -0.1), &[a])),
            "layer `leaky_re_lu` (LeakyReLU): `negative_slope` is -0.1, and it must be at least 0",
        ),
        (
            build(&|f, a, _| f.apply(layer("Rescaling"), &[a])),
            "layer `rescaling` (Rescaling): `Rescaling` needs `scale`: the factor, a number",
        ),
        (
            build(&|f, a, _| f.apply(layer("Reshape").with("target_shape", [4, -1]), &[a])),
            "layer `reshape` (Reshape) reshapes `a` of shape [6] (6 values) to (4, -1), which can't hold them",
        ),
        (
            build(&|f, a, b| f.apply(layer("Maximum"), &[a, b])),
            "layer `maximum` (Maximum) combines sources of one shape, value by value, and they are `a` [6], `b` [4]",
        ),
        (
            build(&|f, a, _| f.apply(layer("Subtract"), &[a, a, a])),
            "layer `subtract` (Subtract) merges exactly 2 sources, and it is given 3",
        ),
        (
            build(&|f, a, _| f.apply(layer("Softmax").with("axis", 1), &[a])),
            "layer `softmax` (Softmax): `axis` is 1, and densely computes it only with `axis = -1`",
        ),
        (
            build(&|f, a, _| f.apply(dense(3).with("units", 4), &[a])),
            "layer `dense` (Dense) has no argument `units` to give with `with`; its own methods set its arguments",
        ),
    ];
    for (error, expected) in cases {
        assert!(
            error.ends_with(expected),
            "{error}\nexpected the end: {expected}"
        );
    }
}

/// The names of a string-array attribute, whatever its string type.
fn names(value: Option<&hdf5_pure::AttrValue>) -> Vec<String> {
    match value {
        Some(hdf5_pure::AttrValue::StringArray(names)) => names.clone(),
        Some(hdf5_pure::AttrValue::StringArraySized { values, .. }) => values.clone(),
        Some(hdf5_pure::AttrValue::VarLenStringArray(names)) => names.clone(),
        other => panic!("not a string array: {other:?}"),
    }
}

/// Keras pairs an `.h5` file's weights with its layers by position in its own `model.layers`
/// order (by depth from the outputs), not by name: densely lists them in that order, which
/// here differs from the declaration's, where the layers `a`, `b` and `c` of one shape would
/// otherwise take each other's weights.
#[test]
fn h5_files_list_the_layers_in_keras_s_order() {
    let keras_order = keras_record("keras2_toolbox.h5")["keras_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let declared: Vec<&str> = Toolbox::GRAPH.nodes.iter().map(|n| &n.name[..]).collect();
    assert_ne!(declared, keras_order, "the test needs orders that differ");
    let dir = common::scratch("layers-described-order");
    let path = dir.join("toolbox.h5");
    Toolbox::new().save(&path).unwrap();
    let file = hdf5_pure::File::from_bytes(std::fs::read(&path).unwrap()).unwrap();
    let weights = file.root().group("model_weights").unwrap();
    let attrs = weights.attrs().unwrap();
    assert_eq!(names(attrs.get("layer_names")), keras_order);
}

/// In training mode BatchNormalization normalizes with the batch's statistics, whose
/// gradient flows back through every sample: it matches finite differences too.
#[test]
fn training_mode_gradients_match_finite_differences() {
    let (x, y) = data(10, 6);
    let mut model = built().build_with_seed(11).unwrap();
    slopes(&mut model);
    // Maximum, minimum and the ReLUs put kinks everywhere: a step may cross one.
    check_gradients_of(&mut model, 8, 5, |model| {
        let targets = TargetsOf::<DynamicModel>::into_targets(&y);
        training_loss(model, &x, targets)
    });
}

/// BatchNormalization normalizes with the batch's statistics while training, moving its
/// moving statistics by `1 - momentum` toward them (the biased variance, as Keras), and with
/// the moving ones otherwise, which then stay put; they are weights the optimizer skips.
#[test]
fn batch_normalization_moves_its_statistics_while_training_only() {
    use densely::layers::{Layer, OpLayer};
    use densely::spec::OpKind;
    let spec = OpKind::BatchNormalization.spec();
    let args = spec.arguments(vec![]).unwrap();
    let mut rng = densely::network::seeded_rng(1);
    let mut bn = OpLayer::new(OpKind::BatchNormalization, args.into(), &[2], &mut rng);
    let moving = |bn: &OpLayer| {
        let mut values = Vec::new();
        bn.visit_params(&mut |param| {
            if !param.trainable {
                values.push((param.name, param.value.to_vec()));
            }
        });
        values
    };
    // Two samples of two features: means 2 and 4, biased variances 1 and 4.
    let x = [1.0f32, 2.0, 3.0, 6.0];
    let mut y = [0.0f32; 4];
    bn.forward(&[&x[..]], &mut y, 2, 2, true);
    let inv = |v: f32| 1.0 / (v + 0.001f32).sqrt();
    let expected = [-inv(1.0), -2.0 * inv(4.0), inv(1.0), 2.0 * inv(4.0)];
    for (a, e) in y.iter().zip(expected) {
        assert!((a - e).abs() < 1e-6, "{y:?}");
    }
    let after = moving(&bn);
    assert_eq!(after[0].0, "moving_mean");
    assert!((after[0].1[0] - 0.02).abs() < 1e-7 && (after[0].1[1] - 0.04).abs() < 1e-7);
    assert!((after[1].1[0] - 1.0).abs() < 1e-6 && (after[1].1[1] - 1.03).abs() < 1e-6);
    bn.forward(&[&x[..]], &mut y, 2, 2, false);
    assert_eq!(moving(&bn), after, "inference moves nothing");
    assert!((y[0] - (1.0 - 0.02) * inv(1.0)).abs() < 1e-6, "{y:?}");
    assert_eq!(
        spec.trainable_params(&spec.arguments(vec![]).unwrap(), &[8]),
        16
    );
    assert_eq!(
        spec.non_trainable_params(&spec.arguments(vec![]).unwrap(), &[8]),
        16
    );
}

/// `plot_model` draws every described kind as Keras labels it: the name, the class, and
/// the shapes in and out; a merge reads each of its sources.
#[test]
fn plots_show_every_described_kind_as_keras_labels_it() {
    use densely::plot::model_to_dot;
    let options = PlotOptions::default().show_shapes(true);
    let dot = model_to_dot(Toolbox::GRAPH, options);
    for label in [
        "<b>grid</b> (Reshape)",
        "<b>sloped</b> (PReLU)",
        "<b>steadied</b> (BatchNormalization)",
        "<b>low</b> (Minimum)",
        "Output shape: <b>(None, 3, 4)</b>",
    ] {
        assert!(dot.contains(label), "{label} missing from\n{dot}");
    }
    for edge in [
        "\"high\" -> \"low\"",
        "\"product\" -> \"low\"",
        "\"leaky\" -> \"low\"",
    ] {
        assert!(dot.contains(edge), "{edge} missing from\n{dot}");
    }
    let runtime = built().build().unwrap();
    let path = common::scratch("layers-described-plot").join("toolbox.dot");
    runtime.plot_model(&path, options).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), dot);
}
