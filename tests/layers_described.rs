//! The layer kinds described in `densely::spec` (LeakyReLU, ReLU, ELU, Softmax, Rescaling,
//! Reshape and the merges multiply, subtract, average, maximum, minimum): declared and built
//! at run time they compute the same bits, their gradients match finite differences, and
//! mistakes are errors naming the layer.

mod common;

use common::toolbox::{built, Toolbox};
use common::{check_gradients, rng, uniform};
use densely::dynamic::{dense, layer, Functional};
use densely::network::TargetsOf;
use densely::prelude::*;
use densely::DynamicModel;

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

#[test]
fn gradients_through_every_described_kind_match_finite_differences() {
    let (x, y) = data(10, 5);
    let mut declared = Toolbox::with_seed(7);
    check_gradients(&mut declared, &x, &y, 12);
    let mut runtime = built().build_with_seed(7).unwrap();
    let targets = TargetsOf::<DynamicModel>::into_targets(&y);
    check_gradients(&mut runtime, &x, targets, 12);
}
