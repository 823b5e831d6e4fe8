//! A training step allocates nothing on the heap once the first batch is done: a counting
//! global allocator, read at the end of every batch, sees no allocation between them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

mod common;

use common::book::WideAndDeep;
use densely::prelude::*;

/// The system allocator, counting each thread's allocations (tests run side by side).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

model! {
    /// The book's classifier, smaller.
    struct Mlp {
        input image: [8, 8];
        flatten = Flatten;
        hidden1 = Dense(32, relu);
        dropout = Dropout(0.2);
        hidden2 = Dense(16, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

/// Records this thread's allocation count at the end of every batch, into space reserved
/// beforehand so that recording allocates nothing itself.
struct BatchEnds {
    counts: Vec<(usize, usize)>,
}

impl BatchEnds {
    fn new() -> Self {
        BatchEnds {
            counts: Vec::with_capacity(10_000),
        }
    }

    /// The allocations made by each step after the first of its epoch.
    fn steady_steps(&self) -> Vec<usize> {
        self.counts
            .windows(2)
            .filter(|pair| pair[1].0 == pair[0].0 + 1)
            .map(|pair| pair[1].1 - pair[0].1)
            .collect()
    }
}

impl<N: Network> Callback<N> for BatchEnds {
    fn on_train_batch_end(&mut self, _: &mut N, batch: usize, _: &Logs) -> densely::Result<()> {
        self.counts.push((batch, ALLOCATIONS.with(Cell::get)));
        Ok(())
    }
}

#[test]
fn training_steps_allocate_nothing() {
    let samples = 1000;
    let x = Batch::<Shape2<8, 8>>::from_fn(samples, |s, i| ((s + i) % 7) as f32 / 7.0);
    let y = Labels::<10>::new((0..samples).map(|s| (s % 10) as u32).collect()).unwrap();
    let mut model = Mlp::new();
    model.compile(Adam::default(), [Metric::Accuracy]);
    let mut ends = BatchEnds::new();
    let options = FitOptions::default()
        .epochs(2)
        .validation_split(0.2)
        .verbose(0)
        .callback(&mut ends);
    model.fit(&x, &y, options).unwrap();
    let steps = ends.steady_steps();
    assert_eq!(steps.len(), 2 * 24, "25 batches per epoch");
    assert!(
        steps.iter().all(|&n| n == 0),
        "allocations per step: {steps:?}"
    );
}

#[test]
fn multi_input_training_steps_allocate_nothing() {
    let samples = 640;
    let wide = Batch::<Shape1<5>>::from_fn(samples, |s, i| ((s * i) % 5) as f32 / 5.0);
    let deep = Batch::<Shape1<6>>::from_fn(samples, |s, i| ((s + i) % 10) as f32 / 10.0);
    let y = Batch::<Shape1<1>>::from_fn(samples, |s, _| (s % 7) as f32 / 7.0);
    let mut model = WideAndDeep::new();
    model.compile(Sgd::default().momentum(0.9), [Metric::Mae]);
    let mut ends = BatchEnds::new();
    let options = FitOptions::default()
        .validation_data((&wide, &deep), (&y, &y))
        .verbose(0)
        .callback(&mut ends);
    model.fit((&wide, &deep), (&y, &y), options).unwrap();
    let steps = ends.steady_steps();
    assert_eq!(steps.len(), 19);
    assert!(
        steps.iter().all(|&n| n == 0),
        "allocations per step: {steps:?}"
    );
}

/// The same for a model built at run time: its passes index buffers made on the first batch.
#[test]
fn training_steps_of_a_model_built_at_run_time_allocate_nothing() {
    use densely::dynamic::{concatenate, dense, dropout, Functional};
    let samples = 640;
    let wide = Batch::<Shape1<5>>::from_fn(samples, |s, i| ((s * i) % 5) as f32 / 5.0);
    let deep = Batch::<Shape1<6>>::from_fn(samples, |s, i| ((s + i) % 10) as f32 / 10.0);
    let y = Batch::<Shape1<1>>::from_fn(samples, |s, _| (s % 7) as f32 / 7.0);
    let labels: Vec<u32> = (0..samples).map(|s| (s % 3) as u32).collect();
    let mut f = Functional::new("wide_and_deep");
    let wide_input = f.input("wide_input", &[5]);
    let deep_input = f.input("deep_input", &[6]);
    let hidden1 = f.apply(dense(30).activation("relu"), &[deep_input]);
    let dropped = f.apply(dropout(0.2), &[hidden1]);
    let hidden2 = f.apply(dense(30).activation("relu"), &[dropped]);
    let concat = f.apply(concatenate(), &[wide_input, hidden2]);
    let main = f.apply(dense(1), &[concat]);
    let classes = f.apply(dense(3).activation("softmax"), &[hidden2]);
    f.output(main, "mse", 0.9)
        .output(classes, "sparse_categorical_crossentropy", 0.1);
    let mut model = f.build().unwrap();
    model.compile(Adam::default(), [Metric::Accuracy]);
    let mut ends = BatchEnds::new();
    let options = FitOptions::default()
        .validation_split(0.2)
        .verbose(0)
        .callback(&mut ends);
    model.fit((&wide, &deep), (&y, &labels), options).unwrap();
    let steps = ends.steady_steps();
    assert_eq!(steps.len(), 15, "16 batches");
    assert!(
        steps.iter().all(|&n| n == 0),
        "allocations per step: {steps:?}"
    );
}
