//! One training step and one predict batch of the book's two models, at batch sizes 32, 256 and
//! 1024, so that regressions show: `cargo bench --bench training`.
//!
//! A training step is what `fit` does per batch: stage the inputs and targets, the forward and
//! backward passes, and the optimizer's update (SGD, Keras's default). A predict batch stages
//! the inputs and runs the forward pass. The MLP trains on Fashion-MNIST when the data is found
//! (its zeros matter: the products skip them), else on synthetic images as sparse.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use densely::datasets::fashion_mnist;
use densely::network::InputsOf;
use densely::prelude::*;
use densely::weights::BatchWeights;
use std::time::Duration;

#[path = "../tests/common/book.rs"]
#[allow(dead_code)]
mod book;

use book::{FashionMlp, WideAndDeep};

const BATCH_SIZES: [usize; 3] = [32, 256, 1024];
/// Samples to draw batches from.
const SAMPLES: usize = 4096;

/// A deterministic generator of values in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Fashion-MNIST's first images and labels, or images as sparse as them (half zeros, in runs).
fn images() -> (Batch<Shape2<28, 28>>, Labels<10>) {
    if let Ok(((x, y), _)) = fashion_mnist::load_data() {
        let x = x.slice(0..SAMPLES).scaled();
        let y = y.slice(0..SAMPLES);
        return (x, y);
    }
    let mut rng = Lcg(7);
    let x = Batch::from_fn(SAMPLES, |_, i| {
        let (row, col) = (i / 28, i % 28);
        let inside = (4..24).contains(&row) && (6..22).contains(&col);
        if inside {
            rng.next()
        } else {
            0.0
        }
    });
    let y = Labels::new((0..SAMPLES).map(|s| (s % 10) as u32).collect()).expect("labels < 10");
    (x, y)
}

/// A training step: stage, forward, backward, update.
fn train_step<'i, N: Network>(
    model: &mut N,
    workspace: &mut N::Workspace,
    inputs: impl InputsOf<'i, N>,
    targets: N::Targets<'_>,
    rows: &[usize],
    losses: &mut [f64],
) {
    N::stage_inputs(workspace, inputs.into_inputs(), rows).expect("samples in memory");
    N::stage_targets(workspace, targets, rows).expect("targets in memory");
    model.forward(workspace, rows.len(), true);
    model.backward(workspace, rows.len(), &BatchWeights::NONE, losses);
    model
        .apply_gradients()
        .expect("the benchmark's steps stay finite");
}

/// A predict batch: stage and forward.
fn predict_batch<'i, N: Network>(
    model: &mut N,
    workspace: &mut N::Workspace,
    inputs: impl InputsOf<'i, N>,
    rows: &[usize],
) {
    N::stage_inputs(workspace, inputs.into_inputs(), rows).expect("samples in memory");
    model.forward(workspace, rows.len(), false);
}

/// The rows of successive batches, cycling through the samples.
struct Batches {
    order: Vec<usize>,
    next: usize,
}

impl Batches {
    fn new() -> Self {
        // A fixed shuffle, as fit's.
        let mut order: Vec<usize> = (0..SAMPLES).collect();
        let mut rng = Lcg(11);
        for i in (1..order.len()).rev() {
            let j = (rng.next() * (i + 1) as f32) as usize % (i + 1);
            order.swap(i, j);
        }
        Batches { order, next: 0 }
    }

    fn take(&mut self, size: usize) -> &[usize] {
        if self.next + size > self.order.len() {
            self.next = 0;
        }
        self.next += size;
        &self.order[self.next - size..self.next]
    }
}

fn mlp(c: &mut Criterion) {
    let (x, y) = images();
    let mut group = c.benchmark_group("mlp");
    for &batch in &BATCH_SIZES {
        group.throughput(Throughput::Elements(batch as u64));
        let mut model = FashionMlp::new();
        model.compile(Sgd::default(), []);
        let mut workspace = <FashionMlp as Network>::Workspace::default();
        let mut losses = [0.0];
        let mut batches = Batches::new();
        group.bench_function(BenchmarkId::new("train_step", batch), |b| {
            b.iter(|| {
                let rows = batches.take(batch);
                train_step(&mut model, &mut workspace, &x, &y, rows, &mut losses);
            })
        });
        group.bench_function(BenchmarkId::new("predict_batch", batch), |b| {
            b.iter(|| predict_batch(&mut model, &mut workspace, &x, batches.take(batch)))
        });
    }
    group.finish();
}

fn wide_and_deep(c: &mut Criterion) {
    let mut rng = Lcg(3);
    let wide = Batch::<Shape1<5>>::from_fn(SAMPLES, |_, _| rng.next());
    let deep = Batch::<Shape1<6>>::from_fn(SAMPLES, |_, _| rng.next());
    let target = Batch::<Shape1<1>>::from_fn(SAMPLES, |_, _| rng.next() * 5.0);
    let mut group = c.benchmark_group("wide_and_deep");
    for &batch in &BATCH_SIZES {
        group.throughput(Throughput::Elements(batch as u64));
        let mut model = WideAndDeep::new();
        model.compile(Sgd::default(), []);
        let mut workspace = <WideAndDeep as Network>::Workspace::default();
        let mut losses = [0.0; 2];
        let mut batches = Batches::new();
        group.bench_function(BenchmarkId::new("train_step", batch), |b| {
            b.iter(|| {
                let rows = batches.take(batch);
                train_step(
                    &mut model,
                    &mut workspace,
                    (&wide, &deep),
                    (&target, &target),
                    rows,
                    &mut losses,
                );
            })
        });
        group.bench_function(BenchmarkId::new("predict_batch", batch), |b| {
            b.iter(|| {
                predict_batch(
                    &mut model,
                    &mut workspace,
                    (&wide, &deep),
                    batches.take(batch),
                )
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // Twelve benchmarks in well under two minutes on two cores.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = mlp, wide_and_deep
}
criterion_main!(benches);
