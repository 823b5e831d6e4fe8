//! `ProgbarLogger`: Keras's progress bar as a callback.

use super::Callback;
use crate::error::Result;
use crate::network::Network;
use crate::training::{Logs, Params, ProgressBar, Verbosity};

/// Prints Keras's progress bar, `Epoch 3/30` then
/// `1719/1719 [==============================] - 2s 1ms/step - loss: ...`, as Keras's
/// `ProgbarLogger` (it is the same bar `fit` draws, from `training::ProgressBar`).
///
/// `fit` draws this bar by itself unless told `verbose(0)`; add a `ProgbarLogger` to a silent
/// `fit` to choose where the bar's end-of-epoch line comes among the callbacks' messages, or
/// to draw a bar from a loop that drives the hooks itself. It takes the epochs and steps from
/// `fit` (`set_params`) and its own verbosity (default 1, a bar; 2 prints one line per
/// epoch; 0 nothing).
///
/// ```
/// use densely::callbacks::ProgbarLogger;
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
///
/// let (x, y) = (Batch::<Shape1<2>>::zeros(8), Batch::<Shape1<1>>::zeros(8));
/// let mut model = Net::new();
/// model.compile(Sgd::default(), []);
/// let options = FitOptions::default().epochs(2).verbose(0).callback(ProgbarLogger::new().verbose(2));
/// model.fit(&x, &y, options)?;
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ProgbarLogger {
    verbosity: Verbosity,
    epochs: usize,
    /// The batches of an epoch, once known (after the first, for a source that doesn't say).
    steps: Option<usize>,
    /// The batches seen in this epoch.
    seen: usize,
    bar: Option<ProgressBar>,
}

impl ProgbarLogger {
    /// A progress bar per epoch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keras's `verbose`: 0 silent, 1 a progress bar (default), 2 one line per epoch.
    pub fn verbose(mut self, level: u8) -> Self {
        self.verbosity = Verbosity::from_level(level);
        self
    }
}

impl<N: Network> Callback<N> for ProgbarLogger {
    fn set_params(&mut self, params: &Params) {
        self.epochs = params.epochs;
        self.steps = params.steps;
    }

    fn on_epoch_begin(&mut self, _model: &mut N, epoch: usize, _logs: &Logs) -> Result<()> {
        let epochs = self.epochs.max(epoch + 1);
        self.seen = 0;
        self.bar = Some(ProgressBar::start_epoch(
            self.verbosity,
            epoch,
            epochs,
            self.steps,
        ));
        Ok(())
    }

    fn on_train_batch_end(&mut self, _model: &mut N, batch: usize, logs: &Logs) -> Result<()> {
        self.seen = batch + 1;
        if let Some(bar) = self.bar.as_mut() {
            bar.update(batch, logs);
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, _model: &mut N, _epoch: usize, logs: &Logs) -> Result<()> {
        if let Some(mut bar) = self.bar.take() {
            bar.finish_after(self.seen, logs);
            self.steps = self.steps.or(Some(self.seen));
        }
        Ok(())
    }
}
