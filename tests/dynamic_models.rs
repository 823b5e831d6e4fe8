//! Models built at run time: each architecture of the book, and one with every layer kind,
//! built with `Sequential` or `Functional` and declared with `model!`, draw the same weights
//! from the same seed and train to the same bits, History included.

mod common;

use common::book::{FashionMlp, MultiOutput, Residual, WideAndDeep};
use common::{check_gradients, rng, uniform};
use densely::dynamic::{
    activation, add, concatenate, dense, dropout, flatten, DynamicModel, Functional, Sequential,
};
use densely::network::TargetsOf;
use densely::prelude::*;

/// Every weight of a model, as bits.
fn weight_bits<N: Network>(model: &N) -> Vec<(String, Vec<u32>)> {
    let mut all = Vec::new();
    model.visit_params(&mut |layer, param| {
        all.push((
            format!("{layer}/{}", param.name),
            param.value.iter().map(|v| v.to_bits()).collect(),
        ))
    });
    all
}

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

fn fashion_mlp() -> Sequential {
    Sequential::new("FashionMlp")
        .input("image", &[28, 28])
        .add(flatten().named("flatten"))
        .add(dense(300).activation("relu").named("hidden1"))
        .add(dense(100).activation("relu").named("hidden2"))
        .add(dense(10).activation("softmax").named("probs"))
        .loss("sparse_categorical_crossentropy")
}

fn wide_and_deep() -> Functional {
    let mut f = Functional::new("WideAndDeep");
    let wide = f.input("wide_input", &[5]);
    let deep = f.input("deep_input", &[6]);
    let hidden1 = f.apply(dense(30).activation("relu").named("hidden1"), &[deep]);
    let hidden2 = f.apply(dense(30).activation("relu").named("hidden2"), &[hidden1]);
    let concat = f.apply(concatenate().named("concat"), &[wide, hidden2]);
    let main = f.apply(dense(1).named("main_output"), &[concat]);
    let aux = f.apply(dense(1).named("aux_output"), &[hidden2]);
    f.output(main, "mse", 0.9).output(aux, "mse", 0.1);
    f
}

fn residual() -> Functional {
    let mut f = Functional::new("Residual");
    let x = f.input("x", &[8]);
    let stem = f.apply(dense(12).activation("tanh").named("stem"), &[x]);
    let branch1 = f.apply(dense(12).activation("elu").named("branch1"), &[stem]);
    let branch2 = f.apply(dense(12).activation("swish").named("branch2"), &[branch1]);
    let sum = f.apply(add().named("sum"), &[stem, branch2, branch1]);
    let activated = f.apply(activation("gelu").named("activated"), &[sum]);
    let y = f.apply(dense(3).activation("sigmoid").named("y"), &[activated]);
    f.output(y, "huber", 1.0);
    f
}

fn multi_output() -> Functional {
    let mut f = Functional::new("MultiOutput");
    let features = f.input("features", &[7]);
    let hidden = f.apply(dense(16).activation("selu").named("hidden"), &[features]);
    let leaky = f.apply(
        dense(16)
            .activation("leaky_relu")
            .use_bias(false)
            .named("leaky"),
        &[hidden],
    );
    let soft = f.apply(dense(10).activation("softplus").named("soft"), &[leaky]);
    let dropped = f.apply(dropout(0.3).named("dropped"), &[soft]);
    let classes = f.apply(dense(4).activation("softmax").named("classes"), &[dropped]);
    let score = f.apply(dense(1).activation("sigmoid").named("score"), &[classes]);
    let logits = f.apply(dense(5).named("logits"), &[hidden]);
    let labels = f.apply(activation("softmax").named("labels"), &[logits]);
    let value = f.apply(dense(2).activation("linear").named("value"), &[hidden]);
    f.output(classes, "categorical_crossentropy", 0.7)
        .output(score, "binary_crossentropy", 0.5)
        .output(labels, "sparse_categorical_crossentropy", 2.0)
        .output(value, "mae", 0.25);
    f
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
