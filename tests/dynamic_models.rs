//! Models built at run time: each architecture of the book, and one with every layer kind,
//! built with `Sequential` or `Functional` and declared with `model!`, draw the same weights
//! from the same seed and train to the same bits, History included.

mod common;

use common::book::built::{fashion_mlp, multi_output, residual, wide_and_deep};
use common::book::{FashionMlp, MultiOutput, Residual, WideAndDeep};
use common::{check_gradients, rng, uniform, weight_bits};
use densely::dynamic::{add, dense, DynamicModel, Functional, Sequential};
use densely::network::TargetsOf;
use densely::prelude::*;

/// The History's values as bits, key by key.
fn history_bits(history: &History) -> Vec<(String, Vec<u64>)> {
    let mut keys: Vec<&String> = history.history.keys().collect();
    keys.sort();
    keys.into_iter()
        .map(|key| {
            let values = history.history[key].iter().map(|v| v.to_bits()).collect();
            (key.clone(), values)
        })
        .collect()
}

fn options<'a, N: Network>() -> FitOptions<'a, N> {
    FitOptions::default()
        .epochs(3)
        .batch_size(16)
        .validation_split(0.25)
        .seed(11)
        .verbose(0)
}

model! {
    /// The book's regression MLP (California housing's 8 features, one price).
    pub struct RegressionMlp {
        input features: [8];
        hidden = Dense(30, relu);
        output price = Dense(1), loss = mse;
    }
}

fn regression_mlp() -> Sequential {
    Sequential::new("RegressionMlp")
        .input("features", &[8])
        .add(dense(30).activation("relu").named("hidden"))
        .add(dense(1).named("price"))
        .loss("mse")
}

/// The declared model and its twin built at run time, from one seed.
fn twins<N: Declared>(seed: u64, built: DynamicModel) -> (N, DynamicModel) {
    let declared = N::with_seed(seed);
    assert_eq!(
        weight_bits(&declared),
        weight_bits(&built),
        "the initial weights differ"
    );
    assert_eq!(declared.summary_string(), built.summary_string());
    (declared, built)
}

#[test]
fn the_books_classifier_trains_to_the_same_bits() {
    let mut data = rng(1);
    let x = Batch::<Shape2<28, 28>>::from_vec(
        uniform(&mut data, 96 * 784)
            .into_iter()
            .map(|v| v.abs())
            .collect(),
    )
    .unwrap();
    let y = Labels::<10>::new((0..96).map(|i| (i * 7 % 10) as u32).collect()).unwrap();
    let (mut declared, mut built) =
        twins::<FashionMlp>(3, fashion_mlp().build_with_seed(3).unwrap());
    declared.compile(Sgd::new(0.05), [Metric::Accuracy]);
    built.compile(Sgd::new(0.05), [Metric::Accuracy]);
    let a = declared.fit(&x, &y, options()).unwrap();
    let b = built.fit(&x, &y, options()).unwrap();
    assert_eq!(history_bits(&a), history_bits(&b));
    assert_eq!(a.params, b.params);
    assert_eq!(weight_bits(&declared), weight_bits(&built));
    let (declared_probs, built_probs) = (declared.predict(&x).unwrap(), built.predict(&x).unwrap());
    assert_eq!(built_probs[0].shape(), [96, 10]);
    assert_eq!(declared_probs.as_slice(), built_probs[0].values());
    let (a, b) = (
        declared.evaluate(&x, &y).unwrap(),
        built.evaluate(&x, &y).unwrap(),
    );
    assert_eq!(a, b);
}

#[test]
fn the_books_regression_mlp_trains_to_the_same_bits() {
    let mut data = rng(12);
    let x = Batch::<Shape1<8>>::from_vec(uniform(&mut data, 120 * 8)).unwrap();
    let y = Batch::<Shape1<1>>::from_fn(120, |s, _| x.sample(s)[0] * 3.0 - x.sample(s)[5]);
    let (mut declared, mut built) =
        twins::<RegressionMlp>(13, regression_mlp().build_with_seed(13).unwrap());
    declared.compile(Sgd::new(1e-3).momentum(0.9), [Metric::Mae]);
    built.compile(Sgd::new(1e-3).momentum(0.9), [Metric::Mae]);
    let a = declared.fit(&x, &y, options()).unwrap();
    let b = built.fit(&x, &y, options()).unwrap();
    assert_eq!(history_bits(&a), history_bits(&b));
    assert_eq!(weight_bits(&declared), weight_bits(&built));
}

#[test]
fn wide_and_deep_trains_to_the_same_bits() {
    let mut data = rng(2);
    let wide = Batch::<Shape1<5>>::from_vec(uniform(&mut data, 80 * 5)).unwrap();
    let deep = Batch::<Shape1<6>>::from_vec(uniform(&mut data, 80 * 6)).unwrap();
    let main = Batch::<Shape1<1>>::from_fn(80, |s, _| wide.sample(s)[0] - deep.sample(s)[1]);
    let aux = Batch::<Shape1<1>>::from_fn(80, |s, _| deep.sample(s)[2]);
    let (mut declared, mut built) =
        twins::<WideAndDeep>(4, wide_and_deep().build_with_seed(4).unwrap());
    declared.compile(Adam::default(), [Metric::RootMeanSquaredError]);
    built.compile(Adam::default(), [Metric::RootMeanSquaredError]);
    let a = declared
        .fit((&wide, &deep), (&main, &aux), options())
        .unwrap();
    let b = built.fit((&wide, &deep), (&main, &aux), options()).unwrap();
    assert_eq!(history_bits(&a), history_bits(&b));
    assert_eq!(weight_bits(&declared), weight_bits(&built));
}

#[test]
fn a_residual_block_trains_to_the_same_bits() {
    let mut data = rng(3);
    let x = Batch::<Shape1<8>>::from_vec(uniform(&mut data, 64 * 8)).unwrap();
    let y = Batch::<Shape1<3>>::from_vec(uniform(&mut data, 64 * 3)).unwrap();
    let (mut declared, mut built) = twins::<Residual>(5, residual().build_with_seed(5).unwrap());
    declared.compile(RmsProp::default(), [Metric::Mae]);
    built.compile(RmsProp::default(), [Metric::Mae]);
    let a = declared.fit(&x, &y, options()).unwrap();
    let b = built.fit(&x, &y, options()).unwrap();
    assert_eq!(history_bits(&a), history_bits(&b));
    assert_eq!(weight_bits(&declared), weight_bits(&built));
}

type MultiData = (
    Batch<Shape1<7>>,
    Batch<Shape1<4>>,
    Batch<Shape1<1>>,
    Labels<5>,
    Batch<Shape1<2>>,
);

fn multi_data(samples: usize) -> MultiData {
    let mut data = rng(4);
    let x = Batch::from_vec(uniform(&mut data, samples * 7)).unwrap();
    let classes = Labels::<4>::new((0..samples).map(|i| (i % 4) as u32).collect())
        .unwrap()
        .one_hot();
    let score = Batch::from_fn(samples, |s, _| f32::from(s % 3 == 0));
    let labels = Labels::new((0..samples).map(|i| (i * 3 % 5) as u32).collect()).unwrap();
    let value = Batch::from_vec(uniform(&mut data, samples * 2)).unwrap();
    (x, classes, score, labels, value)
}

/// Every layer kind, fused and unfused losses, an output read by another layer, dropout
/// active while training, and every activation.
#[test]
fn every_layer_kind_trains_to_the_same_bits() {
    let (x, classes, score, labels, value) = multi_data(72);
    let (mut declared, mut built) =
        twins::<MultiOutput>(6, multi_output().build_with_seed(6).unwrap());
    declared.compile(Nadam::default(), [Metric::Accuracy]);
    built.compile(Nadam::default(), [Metric::Accuracy]);
    let targets = (&classes, &score, &labels, &value);
    let a = declared.fit(&x, targets, options()).unwrap();
    let b = built.fit(&x, targets, options()).unwrap();
    assert_eq!(history_bits(&a), history_bits(&b));
    assert_eq!(weight_bits(&declared), weight_bits(&built));
    let mut generators = Vec::new();
    declared.visit_generators(&mut |_, g| generators.push(g.state()));
    built.visit_generators(&mut |_, g| generators.push(g.state()));
    assert_eq!(generators[0], generators[1], "dropout drew the same masks");
}

#[test]
fn gradients_of_a_built_model_match_finite_differences() {
    let (x, classes, score, labels, value) = multi_data(12);
    let mut model = multi_output().build_with_seed(8).unwrap();
    let targets = TargetsOf::<DynamicModel>::into_targets((&classes, &score, &labels, &value));
    check_gradients(&mut model, &x, targets, 12);
    let mut data = rng(9);
    let wide = Batch::<Shape1<5>>::from_vec(uniform(&mut data, 10 * 5)).unwrap();
    let deep = Batch::<Shape1<6>>::from_vec(uniform(&mut data, 10 * 6)).unwrap();
    let main = Batch::<Shape1<1>>::from_vec(uniform(&mut data, 10)).unwrap();
    let aux = Batch::<Shape1<1>>::from_vec(uniform(&mut data, 10)).unwrap();
    let mut model = wide_and_deep().build_with_seed(9).unwrap();
    let targets = TargetsOf::<DynamicModel>::into_targets((&main, &aux));
    check_gradients(&mut model, (&wide, &deep), targets, 12);
}

/// Training resumed from any of the three formats, read back by `load_model`, gives the
/// weights of training that did not stop, dropout generators and optimizer slots included.
#[test]
fn a_built_model_resumes_bit_for_bit_from_every_format() {
    let (x, classes, score, labels, value) = multi_data(64);
    let targets = (&classes, &score, &labels, &value);
    let options = |epochs| {
        FitOptions::<DynamicModel>::default()
            .epochs(epochs)
            .batch_size(16)
            .seed(2)
            .verbose(0)
    };
    let mut straight = multi_output().build_with_seed(7).unwrap();
    straight.compile(Adam::new(5e-3), [Metric::Accuracy]);
    let full = straight.fit(&x, targets, options(3)).unwrap();
    for extension in ["h5", "keras", "densely"] {
        let dir = common::scratch("dynamic-resume");
        let path = dir.join(format!("model.{extension}"));
        let mut first = multi_output().build_with_seed(7).unwrap();
        first.compile(Adam::new(5e-3), [Metric::Accuracy]);
        first.fit(&x, targets, options(2)).unwrap();
        first.save(&path).unwrap();
        let mut resumed = densely::load_model(&path).unwrap();
        assert_eq!(resumed.losses(), first.losses(), "{extension}");
        let rest = resumed
            .fit(&x, targets, options(3).initial_epoch(2))
            .unwrap();
        assert_eq!(
            weight_bits(&straight),
            weight_bits(&resumed),
            "{extension}: resumed training differs"
        );
        assert_eq!(
            rest.history["loss"],
            full.history["loss"][2..],
            "{extension}"
        );
    }
}

/// The declaration printed for a model built at run time compiles, and the struct it
/// declares loads the model's file and predicts the same bits.
#[test]
fn the_declaration_of_a_built_model_loads_its_file_exactly() {
    let model = multi_output().build_with_seed(12).unwrap();
    let printed = densely::files::declaration_of(&model, "MultiOutput").unwrap();
    // The declaration of common/book.rs's `MultiOutput`, each layer reading its sources.
    for line in [
        "pub struct MultiOutput {",
        "input features: [7];",
        "hidden = Dense(16, selu)(features);",
        "leaky = Dense(16, leaky_relu, use_bias = false)(hidden);",
        "dropped = Dropout(0.3)(soft);",
        "output classes = Dense(4, softmax)(dropped), loss = categorical_crossentropy, weight = 0.7;",
        "output labels = Activation(softmax)(logits), loss = sparse_categorical_crossentropy, weight = 2.0;",
        "output value = Dense(2)(hidden), loss = mae, weight = 0.25;",
    ] {
        assert!(printed.contains(line), "{line}\n{printed}");
    }
    let dir = common::scratch("dynamic-declaration");
    let path = dir.join("model.keras");
    model.save(&path).unwrap();
    let mut typed = MultiOutput::load(&path).unwrap();
    assert_eq!(weight_bits(&typed), weight_bits(&model));
    let (x, ..) = multi_data(9);
    let mut model = model;
    let built = model.predict(&x).unwrap();
    let (classes, score, labels, value) = typed.predict(&x).unwrap();
    let typed_outputs = [
        classes.as_slice(),
        score.as_slice(),
        labels.as_slice(),
        value.as_slice(),
    ];
    for (b, t) in built.iter().zip(typed_outputs) {
        assert_eq!(b.values(), t);
    }
}

/// Mistakes are errors of `build` naming the layer and the shapes, before any weight is drawn.
#[test]
fn architecture_mistakes_name_the_layer_and_the_shapes() {
    let error = |model: densely::Result<DynamicModel>| model.unwrap_err().to_string();
    let message = error(
        Sequential::new("mlp")
            .input("image", &[28, 28])
            .add(dense(300).activation("relu").named("hidden1"))
            .loss("mse")
            .build(),
    );
    assert!(
        message.contains("model `mlp`")
            && message.contains("layer `hidden1` (Dense)")
            && message.contains("[28, 28]")
            && message.contains("Flatten"),
        "{message}"
    );
    let message = error(
        Sequential::new("mlp")
            .input("x", &[4])
            .add(dense(8).activation("rleu"))
            .loss("mse")
            .build(),
    );
    assert!(
        message.contains("`dense` (Dense)")
            && message.contains("`rleu`")
            && message.contains("relu"),
        "{message}"
    );
    let mut f = Functional::new("sums");
    let a = f.input("a", &[3]);
    let b = f.input("b", &[4]);
    let sum = f.apply(add().named("sum"), &[a, b]);
    f.output(sum, "mse", 1.0);
    let message = error(f.build());
    assert!(
        message.contains("layer `sum` (Add)") && message.contains("`a` [3], `b` [4]"),
        "{message}"
    );
    let message = error(
        Sequential::new("classifier")
            .input("x", &[4])
            .add(dense(1).activation("sigmoid").named("p"))
            .loss("sparse_categorical_crossentropy")
            .build(),
    );
    assert!(
        message.contains("output `p` has 1 units") && message.contains("at least 2"),
        "{message}"
    );
    let mut f = Functional::new("unused");
    let x = f.input("x", &[4]);
    let _side = f.apply(dense(2).named("side"), &[x]);
    let y = f.apply(dense(1).named("y"), &[x]);
    f.output(y, "mse", 1.0);
    let message = error(f.build());
    assert!(message.contains("`side` reaches no output"), "{message}");
    let message = error(
        Sequential::new("twice")
            .input("x", &[4])
            .add(dense(2).named("x"))
            .loss("mse")
            .build(),
    );
    assert!(message.contains("`x` is already the name"), "{message}");
}

/// Data that doesn't fit is an error naming the input or output, before any step.
#[test]
fn data_that_does_not_fit_names_the_input_or_output() {
    let mut model = wide_and_deep().build().unwrap();
    model.compile(Sgd::default(), []);
    let wide = Batch::<Shape1<5>>::zeros(8);
    let deep = Batch::<Shape1<7>>::zeros(8);
    let y = Batch::<Shape1<1>>::zeros(8);
    let message = model
        .fit((&wide, &deep), (&y, &y), FitOptions::default().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("input `deep_input` takes samples of shape [6]")
            && message.contains("[7]"),
        "{message}"
    );
    let message = model.predict(&wide).unwrap_err().to_string();
    assert!(
        message.contains("takes 2 inputs") && message.contains("1 is given"),
        "{message}"
    );
    let mut classifier = fashion_mlp().build().unwrap();
    let x = Batch::<Shape2<28, 28>>::zeros(2);
    let message = classifier
        .evaluate(&x, &vec![3u32, 10])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("output `probs` has 10 classes") && message.contains("label is 10"),
        "{message}"
    );
    let values = Batch::<Shape1<10>>::zeros(2);
    let message = classifier.evaluate(&x, &values).unwrap_err().to_string();
    assert!(message.contains("takes class labels"), "{message}");
}

/// A model built at run time draws the plot its declared twin draws.
#[test]
fn a_built_model_plots_as_its_declared_twin() {
    let dir = common::scratch("dynamic-plot");
    let options = || PlotOptions::default().show_shapes(true);
    let built = wide_and_deep().build().unwrap();
    built.plot_model(dir.join("built.dot"), options()).unwrap();
    plot_model::<WideAndDeep>(dir.join("declared.dot"), options()).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("built.dot"), read("declared.dot"));
    assert!(read("built.dot").contains("main_output"));
}

/// A file saved without a loss loads and predicts; it asks for a loss before it evaluates,
/// and `set_loss` gives it one (with the checks `build` makes).
#[test]
fn a_file_without_a_loss_predicts_and_takes_one_from_set_loss() {
    use densely::files::SaveOptions;
    let dir = common::scratch("dynamic-no-loss");
    let path = dir.join("model.h5");
    // Without an optimizer, no training config (and no loss) is written.
    let model = residual().build_with_seed(3).unwrap();
    model
        .save_with(&path, SaveOptions::default().include_optimizer(false))
        .unwrap();
    let mut loaded = densely::load_model(&path).unwrap();
    assert_eq!(loaded.losses(), [(None, 1.0)]);
    let mut data = rng(21);
    let x = Batch::<Shape1<8>>::from_vec(uniform(&mut data, 10 * 8)).unwrap();
    let y = Batch::<Shape1<3>>::from_vec(uniform(&mut data, 10 * 3)).unwrap();
    assert_eq!(loaded.predict(&x).unwrap()[0].shape(), [10, 3]);
    let message = loaded.evaluate(&x, &y).unwrap_err().to_string();
    assert!(
        message.contains("output `y` has no loss") && message.contains("set_loss"),
        "{message}"
    );
    let refused = |loaded: &mut DynamicModel, output, loss, weight| {
        loaded
            .set_loss(output, loss, weight)
            .unwrap_err()
            .to_string()
    };
    let message = refused(&mut loaded, "why", "huber", 1.0);
    assert!(
        message.contains("`why` is no output") && message.contains("`y`"),
        "{message}"
    );
    let message = refused(&mut loaded, "y", "hubber", 1.0);
    assert!(
        message.contains("`hubber`") && message.contains("huber"),
        "{message}"
    );
    let message = refused(&mut loaded, "y", "binary_crossentropy", 1.0);
    assert!(
        message.contains("3 units") && message.contains("exactly 1"),
        "{message}"
    );
    let message = refused(&mut loaded, "y", "huber", 0.0);
    assert!(message.contains("loss weight 0"), "{message}");
    assert_eq!(
        loaded.losses(),
        [(None, 1.0)],
        "a refused loss changes nothing"
    );
    loaded.set_loss("y", "huber", 1.0).unwrap();
    assert_eq!(
        loaded.losses(),
        [(
            Some(densely::loss::Loss::new(densely::loss::LossKind::Huber)),
            1.0
        )]
    );
    let mut original = residual().build_with_seed(3).unwrap();
    let (a, b) = (
        loaded.evaluate(&x, &y).unwrap(),
        original.evaluate(&x, &y).unwrap(),
    );
    assert_eq!(a, b);
}
