//! The generated backward passes against central finite differences of the loss.

mod common;

use common::{check_gradients, rng, uniform};
use densely::prelude::*;
use rand::Rng;

model! {
    /// The Fashion-MNIST classifier of the book.
    pub struct FashionMlp {
        input image: [28, 28];
        flatten = Flatten;
        hidden1 = Dense(300, relu);
        hidden2 = Dense(100, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

model! {
    /// Wide & Deep: two inputs, a concatenation, a main and an auxiliary output.
    pub struct WideAndDeep {
        input wide_input: [5];
        input deep_input: [6];
        hidden1 = Dense(30, relu)(deep_input);
        hidden2 = Dense(30, relu)(hidden1);
        concat = concatenate(wide_input, hidden2);
        output main_output = Dense(1)(concat), loss = mse, weight = 0.9;
        output aux_output = Dense(1)(hidden2), loss = mse, weight = 0.1;
    }
}

model! {
    /// A residual block: `add` sums a skip connection with a transformed branch.
    struct Residual {
        input x: [8];
        stem = Dense(12, tanh);
        branch1 = Dense(12, elu)(stem);
        branch2 = Dense(12, swish)(branch1);
        sum = add(stem, branch2, branch1);
        activated = Activation(gelu)(sum);
        output y = Dense(3, sigmoid)(activated), loss = huber;
    }
}

model! {
    /// Several outputs with loss weights: fused and unfused losses, an output read by another
    /// layer, dropout (inactive here) and every remaining activation.
    struct MultiOutput {
        input features: [7];
        hidden = Dense(16, selu);
        leaky = Dense(16, leaky_relu, use_bias = false);
        soft = Dense(10, softplus)(leaky);
        dropped = Dropout(0.3)(soft);
        output classes = Dense(4, softmax)(dropped), loss = categorical_crossentropy, weight = 0.7;
        output score = Dense(1, sigmoid)(classes), loss = binary_crossentropy, weight = 0.5;
        logits = Dense(5)(hidden);
        output labels = Activation(softmax)(logits), loss = sparse_categorical_crossentropy, weight = 2.0;
        output value = Dense(2, linear)(hidden), loss = mae, weight = 0.25;
    }
}

#[test]
fn fashion_mlp_backward_matches_finite_differences() {
    let mut data = rng(1);
    let images = Batch::<Shape2<28, 28>>::from_vec(uniform(&mut data, 6 * 784)).unwrap();
    let labels = Labels::<10>::new((0..6).map(|i| i % 10).collect()).unwrap();
    let mut model = FashionMlp::new();
    check_gradients(&mut model, &images, &labels, 24);
}

#[test]
fn wide_and_deep_sums_the_fan_out_of_hidden2() {
    let mut data = rng(2);
    let wide = Batch::<Shape1<5>>::from_vec(uniform(&mut data, 8 * 5)).unwrap();
    let deep = Batch::<Shape1<6>>::from_vec(uniform(&mut data, 8 * 6)).unwrap();
    let y = Batch::<Shape1<1>>::from_vec(uniform(&mut data, 8)).unwrap();
    let mut model = WideAndDeep::new();
    check_gradients(&mut model, (&wide, &deep), (&y, &y), 30);
}

#[test]
fn add_passes_its_gradient_to_every_source() {
    let mut data = rng(3);
    let x = Batch::<Shape1<8>>::from_vec(uniform(&mut data, 5 * 8)).unwrap();
    let y = Batch::<Shape1<3>>::from_vec(uniform(&mut data, 5 * 3)).unwrap();
    let mut model = Residual::new();
    check_gradients(&mut model, &x, &y, 30);
}

#[test]
fn multi_output_losses_are_weighted() {
    let mut data = rng(4);
    let x = Batch::<Shape1<7>>::from_vec(uniform(&mut data, 6 * 7)).unwrap();
    let classes = Labels::<4>::new((0..6).map(|i| i % 4).collect())
        .unwrap()
        .one_hot();
    let score = Batch::<Shape1<1>>::from_fn(6, |s, _| (s % 2) as f32);
    let labels = Labels::<5>::new((0..6).map(|_| data.random_range(0..5)).collect()).unwrap();
    let value = Batch::<Shape1<2>>::from_vec(uniform(&mut data, 12)).unwrap();
    let mut model = MultiOutput::new();
    check_gradients(&mut model, &x, (&classes, &score, &labels, &value), 30);
}

#[test]
fn the_total_loss_is_the_weighted_sum_of_output_losses() {
    let mut data = rng(5);
    let wide = Batch::<Shape1<5>>::from_vec(uniform(&mut data, 4 * 5)).unwrap();
    let deep = Batch::<Shape1<6>>::from_vec(uniform(&mut data, 4 * 6)).unwrap();
    let main = Batch::<Shape1<1>>::from_vec(uniform(&mut data, 4)).unwrap();
    let aux = Batch::<Shape1<1>>::zeros(4);
    let mut model = WideAndDeep::new();
    let (main_pred, aux_pred) = model.predict((&wide, &deep)).unwrap();
    let mse = |pred: &Batch<Shape1<1>>, target: &Batch<Shape1<1>>| -> f64 {
        let pairs = pred.as_slice().iter().zip(target.as_slice());
        pairs.map(|(p, t)| f64::from(p - t).powi(2)).sum::<f64>() / 4.0
    };
    let expected = 0.9 * mse(&main_pred, &main) + 0.1 * mse(&aux_pred, &aux);
    let loss = model.loss((&wide, &deep), (&main, &aux)).unwrap();
    assert!(
        (loss - expected).abs() < 1e-5,
        "loss {loss}, expected {expected}"
    );
}
