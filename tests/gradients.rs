//! The generated backward passes against central finite differences of the loss.

mod common;

use common::book::{FashionMlp, MultiOutput, Residual, WideAndDeep};
use common::{check_gradients, rng, uniform};
use densely::prelude::*;
use rand::Rng;

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
