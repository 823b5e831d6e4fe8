//! `FitOptions`: the arguments of Keras's `fit`, with its defaults.

use super::progress::Verbosity;
use crate::callbacks::Callback;
use crate::network::{InputsOf, Network, TargetsOf, DEFAULT_SEED};
use crate::source::BatchSource;
use crate::weights::SampleWeight;

/// The arguments of `fit` other than the data, with Keras's defaults: 1 epoch, batches of 32,
/// shuffled, a progress bar.
///
/// ```
/// # use densely::prelude::*;
/// # model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
/// # let (x_valid, y_valid) = (Batch::<Shape1<2>>::zeros(4), Batch::<Shape1<1>>::zeros(4));
/// let options = FitOptions::<Net>::default()
///     .epochs(30)
///     .batch_size(64)
///     .validation_data(&x_valid, &y_valid)
///     .verbose(0);
/// ```
pub struct FitOptions<'a, N: Network> {
    pub(crate) epochs: usize,
    pub(crate) batch_size: usize,
    pub(crate) validation_data: Option<(N::Inputs<'a>, N::Targets<'a>)>,
    pub(crate) validation_split: f64,
    pub(crate) validation_batch_size: Option<usize>,
    pub(crate) shuffle: bool,
    pub(crate) initial_epoch: usize,
    pub(crate) verbosity: Verbosity,
    pub(crate) seed: u64,
    pub(crate) callbacks: Vec<Box<dyn Callback<N> + 'a>>,
    pub(crate) sample_weight: SampleWeight<'a>,
    pub(crate) class_weight: Vec<(u32, f32)>,
    pub(crate) validation_sample_weight: SampleWeight<'a>,
    pub(crate) steps_per_epoch: Option<usize>,
    pub(crate) validation_steps: Option<usize>,
    pub(crate) validation_source: Option<Box<dyn BatchSource<N> + 'a>>,
}

impl<N: Network> Default for FitOptions<'_, N> {
    fn default() -> Self {
        FitOptions {
            epochs: 1,
            batch_size: 32,
            validation_data: None,
            validation_split: 0.0,
            validation_batch_size: None,
            shuffle: true,
            initial_epoch: 0,
            verbosity: Verbosity::ProgressBar,
            seed: DEFAULT_SEED,
            callbacks: Vec::new(),
            sample_weight: SampleWeight::default(),
            class_weight: Vec::new(),
            validation_sample_weight: SampleWeight::default(),
            steps_per_epoch: None,
            validation_steps: None,
            validation_source: None,
        }
    }
}

impl<'a, N: Network> FitOptions<'a, N> {
    /// Trains until this epoch (counting from 1; Keras's `epochs`, default 1).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Samples per gradient update (default 32).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Data to evaluate on at the end of every epoch (wins over `validation_split`).
    pub fn validation_data(
        mut self,
        inputs: impl InputsOf<'a, N>,
        targets: impl TargetsOf<'a, N>,
    ) -> Self {
        self.validation_data = Some((inputs.into_inputs(), targets.into_targets()));
        self
    }

    /// Holds out this fraction of the samples, the last ones before shuffling, for validation.
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation_split = fraction;
        self
    }

    /// Samples per validation batch (default: `batch_size`).
    pub fn validation_batch_size(mut self, batch_size: usize) -> Self {
        self.validation_batch_size = Some(batch_size);
        self
    }

    /// Whether to shuffle the training samples before each epoch (default true).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// The epoch to start from, to resume a training (default 0).
    pub fn initial_epoch(mut self, epoch: usize) -> Self {
        self.initial_epoch = epoch;
        self
    }

    /// Keras's `verbose`: 0 silent, 1 a progress bar (default), 2 one line per epoch.
    pub fn verbose(mut self, level: u8) -> Self {
        self.verbosity = Verbosity::from_level(level);
        self
    }

    /// The seed of the shuffling: each epoch's order depends on it and the epoch alone, so a
    /// resumed training shuffles as the uninterrupted one would.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Keras's `sample_weight`: how much each training sample counts in the loss, a slice for
    /// every output or a [`SampleWeight`] per output. The loss of a batch is then
    /// `Σ wᵢ lᵢ / batch size`, as in Keras; the metrics stay unweighted. A `validation_split`
    /// keeps the weights of the samples it holds out.
    pub fn sample_weight(mut self, weights: impl Into<SampleWeight<'a>>) -> Self {
        self.sample_weight = weights.into();
        self
    }

    /// Keras's `class_weight`: each training sample weighs as much as its class, a class
    /// not given weighing 1 (`[(0, 1.0), (1, 5.0)]` for `{0: 1.0, 1: 5.0}`). For models with a
    /// single output, and not together with `sample_weight`, as in Keras; classes are read
    /// from the targets as Keras reads them (labels, the largest of one-hot values, or a
    /// single value rounded). Validation stays unweighted.
    pub fn class_weight(mut self, weights: impl IntoIterator<Item = (u32, f32)>) -> Self {
        self.class_weight = weights.into_iter().collect();
        self
    }

    /// The sample weights of `validation_data` (the third element of Keras's
    /// `validation_data=(x, y, sample_weight)`).
    pub fn validation_sample_weight(mut self, weights: impl Into<SampleWeight<'a>>) -> Self {
        self.validation_sample_weight = weights.into();
        self
    }

    /// Keras's `steps_per_epoch`: each epoch trains on this many batches, the next going on
    /// where it stopped and a new pass (a new shuffle) starting when one is over (default: a
    /// pass per epoch).
    pub fn steps_per_epoch(mut self, steps: usize) -> Self {
        self.steps_per_epoch = Some(steps);
        self
    }

    /// Keras's `validation_steps`: validate on the first this many batches of the validation
    /// data (default: all of it).
    pub fn validation_steps(mut self, steps: usize) -> Self {
        self.validation_steps = Some(steps);
        self
    }

    /// Validates on the batches of `source` after each epoch (Keras's `validation_data` given
    /// a `PyDataset`); a pass over it, or its first `validation_steps` batches. Pass
    /// `&mut source` to keep it.
    pub fn validation_source(mut self, source: impl BatchSource<N> + 'a) -> Self {
        self.validation_source = Some(Box::new(source));
        self
    }

    /// Adds a callback; pass `&mut callback` to keep it, or the callback itself.
    pub fn callback(mut self, callback: impl Callback<N> + 'a) -> Self {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// Adds several boxed callbacks.
    pub fn callbacks(
        mut self,
        callbacks: impl IntoIterator<Item = Box<dyn Callback<N> + 'a>>,
    ) -> Self {
        self.callbacks.extend(callbacks);
        self
    }
}

/// The arguments of `evaluate` other than the data, with Keras's defaults: batches of 32, every
/// sample counting once.
///
/// ```
/// # use densely::prelude::*;
/// # model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
/// # let (x, y) = (Batch::<Shape1<2>>::zeros(3), Batch::<Shape1<1>>::zeros(3));
/// let mut model = Net::new();
/// let weights = [1.0, 0.5, 2.0];
/// let logs = model.evaluate_with(&x, &y, EvaluateOptions::default().batch_size(64).sample_weight(&weights))?;
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct EvaluateOptions<'a> {
    pub(crate) batch_size: usize,
    pub(crate) sample_weight: SampleWeight<'a>,
}

impl Default for EvaluateOptions<'_> {
    fn default() -> Self {
        EvaluateOptions {
            batch_size: 32,
            sample_weight: SampleWeight::default(),
        }
    }
}

impl<'a> EvaluateOptions<'a> {
    /// Samples per batch (default 32).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Keras's `sample_weight`: how much each sample counts in the loss, a slice for every
    /// output or a [`SampleWeight`] per output; the metrics stay unweighted.
    pub fn sample_weight(mut self, weights: impl Into<SampleWeight<'a>>) -> Self {
        self.sample_weight = weights.into();
        self
    }
}
