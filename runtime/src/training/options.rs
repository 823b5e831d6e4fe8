//! `FitOptions`: the arguments of Keras's `fit`, with its defaults.

use super::progress::Verbosity;
use crate::callbacks::Callback;
use crate::network::{InputsOf, Network, TargetsOf, DEFAULT_SEED};

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
