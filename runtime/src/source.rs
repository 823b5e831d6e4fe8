//! Data that comes batch after batch, as Keras takes a `PyDataset`, a generator or a
//! `tf.data` pipeline: `fit_source`, `evaluate_source` and `predict_source` read a
//! [`BatchSource`], which hands over one whole batch at a time and may not know how many
//! there are.
//!
//! [`from_iter`] makes a source of any iterator of `(inputs, targets)` batches, started anew
//! for every pass over the data; [`CsvShards`](crate::csv::CsvShards) reads a folder of CSV
//! files. Data that can be read sample by sample in any order ([`NpyFile`](crate::numpy::NpyFile),
//! bytes, batches in memory) goes to `fit` itself, which shuffles it.
//!
//! ```
//! use densely::prelude::*;
//!
//! model! {
//!     struct Net {
//!         input x: [2];
//!         output y = Dense(1), loss = mse;
//!     }
//! }
//!
//! // Each pass makes 10 batches of 8 samples of y = x0 - x1, from a seed of its own.
//! let source = densely::source::from_iter(|pass| {
//!     (0..10).map(move |batch| {
//!         let x = Batch::<Shape1<2>>::from_fn(8, |s, i| ((pass * 80 + batch * 8 + s) * (i + 3) % 17) as f32 / 17.0);
//!         let y = Batch::<Shape1<1>>::from_fn(8, |s, _| x.sample(s)[0] - x.sample(s)[1]);
//!         (x, y)
//!     })
//! });
//! let mut model = Net::new();
//! model.compile(Sgd::new(0.1), []);
//! let history = model.fit_source(source, FitOptions::default().epochs(20).verbose(0))?;
//! assert!(history.history["loss"][19] < history.history["loss"][0] / 10.0);
//! assert_eq!(history.params.steps, Some(10));
//! # Ok::<(), densely::Error>(())
//! ```

use crate::data::check_samples;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::network::{InputsOf, Network, TargetsOf};
use crate::weights::{BatchWeights, DataWeights, SampleWeight};

/// Batches handed over one at a time: Keras's `PyDataset`.
pub trait BatchSource<N: Network> {
    /// Starts pass `pass` over the data (counting from 0): a fresh shuffle, a rewind. `fit`
    /// calls it before the first batch and whenever a pass has ended.
    fn rewind(&mut self, pass: usize) -> Result<()>;
    /// Hands the next batch to `stage` ([`Stage::put`]); `Ok(false)` when the pass has no
    /// more batches.
    fn next_batch(&mut self, stage: &mut Stage<'_, N>) -> Result<bool>;
    /// The number of batches in a pass, when known (Keras's `__len__`); the progress bar
    /// shows `Unknown` otherwise, until the first epoch has counted them.
    fn batches(&self) -> Option<usize> {
        None
    }
}

impl<N: Network, B: BatchSource<N> + ?Sized> BatchSource<N> for &mut B {
    fn rewind(&mut self, pass: usize) -> Result<()> {
        (**self).rewind(pass)
    }

    fn next_batch(&mut self, stage: &mut Stage<'_, N>) -> Result<bool> {
        (**self).next_batch(stage)
    }

    fn batches(&self) -> Option<usize> {
        (**self).batches()
    }
}

/// Where a source puts a batch: the model's workspace.
pub struct Stage<'w, N: Network> {
    graph: &'w Graph,
    workspace: &'w mut N::Workspace,
    weights: &'w mut BatchWeights,
    /// `0..samples`, kept from batch to batch.
    rows: &'w mut Vec<usize>,
    samples: usize,
}

impl<'w, N: Network> Stage<'w, N> {
    pub(crate) fn new(
        graph: &'w Graph,
        workspace: &'w mut N::Workspace,
        weights: &'w mut BatchWeights,
        rows: &'w mut Vec<usize>,
    ) -> Self {
        weights.clear();
        Stage {
            graph,
            workspace,
            weights,
            rows,
            samples: 0,
        }
    }

    /// The number of samples put, 0 before [`Stage::put`].
    pub(crate) fn samples(&self) -> usize {
        self.samples
    }

    /// Puts a batch of `inputs` and their `targets`, as the model's `fit` takes them; errors
    /// if it is empty or if its parts hold different numbers of samples.
    pub fn put<'i, 't>(
        &mut self,
        inputs: impl InputsOf<'i, N>,
        targets: impl TargetsOf<'t, N>,
    ) -> Result<()> {
        let (inputs, targets) = (inputs.into_inputs(), targets.into_targets());
        let samples = N::input_samples(inputs)?;
        check_samples(
            "targets of",
            "a batch",
            samples,
            N::target_samples(targets)?,
        )?;
        if samples == 0 {
            return Err(Error::Argument {
                argument: "batch",
                reason: "a source handed over a batch without samples".into(),
            });
        }
        if self.rows.len() < samples {
            self.rows.extend(self.rows.len()..samples);
        }
        let rows = &self.rows[..samples];
        N::stage_inputs(self.workspace, inputs, rows)?;
        N::stage_targets(self.workspace, targets, rows)?;
        self.weights.clear();
        self.samples = samples;
        Ok(())
    }

    /// [`Stage::put`] with Keras's `sample_weight` for the batch (a PyDataset's
    /// `(x, y, sample_weight)`): a slice for every output or a
    /// [`SampleWeight`] per output.
    pub fn put_weighted<'i, 't, 's>(
        &mut self,
        inputs: impl InputsOf<'i, N>,
        targets: impl TargetsOf<'t, N>,
        weights: impl Into<SampleWeight<'s>>,
    ) -> Result<()> {
        self.put(inputs, targets)?;
        let weights =
            DataWeights::from_samples(self.graph, "sample_weight", &weights.into(), self.samples)?;
        weights.stage(self.weights, &self.rows[..self.samples]);
        Ok(())
    }
}

/// A source of the batches of `make(pass)`, an iterator of `(inputs, targets)` made anew
/// for every pass; see [`crate::source`].
pub fn from_iter<F, I>(make: F) -> FromIter<F, I>
where
    F: FnMut(usize) -> I,
    I: Iterator,
{
    FromIter {
        make,
        current: None,
        batches: None,
    }
}

/// The source [`from_iter`] makes.
pub struct FromIter<F, I> {
    make: F,
    current: Option<I>,
    /// The length of a pass, as the iterator told it when the pass started.
    batches: Option<usize>,
}

impl<N, F, I, X, Y> BatchSource<N> for FromIter<F, I>
where
    N: Network,
    F: FnMut(usize) -> I,
    I: Iterator<Item = (X, Y)>,
    for<'a> &'a X: InputsOf<'a, N>,
    for<'a> &'a Y: TargetsOf<'a, N>,
{
    fn rewind(&mut self, pass: usize) -> Result<()> {
        let iterator = (self.make)(pass);
        self.batches = match iterator.size_hint() {
            (low, Some(high)) if low == high => Some(low),
            _ => None,
        };
        self.current = Some(iterator);
        Ok(())
    }

    fn next_batch(&mut self, stage: &mut Stage<'_, N>) -> Result<bool> {
        let Some(iterator) = self.current.as_mut() else {
            return Ok(false);
        };
        match iterator.next() {
            Some((inputs, targets)) => {
                stage.put(&inputs, &targets)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn batches(&self) -> Option<usize> {
        self.batches
    }
}
