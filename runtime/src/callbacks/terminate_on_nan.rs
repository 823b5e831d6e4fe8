//! `TerminateOnNan`: stops training when the loss becomes NaN or infinite.

use super::monitor::say;
use super::Callback;
use crate::error::{Error, NonFinite, Result};
use crate::network::Network;
use crate::training::{Logs, Model};

/// Stops training after a batch whose running `loss` is NaN or infinite, as Keras's
/// `TerminateOnNaN`: it prints `Batch N: Invalid loss, terminating training` and asks `fit`
/// to stop, or with `raise_error(true)` ends `fit` with an error.
///
/// With it, a NaN loss ends `fit` as in Keras: that batch's update is not applied (densely
/// never applies a step that isn't finite), the epoch ends, and `fit` returns its History.
/// Without it, `fit` stops with [`Error::NonFinite`] instead.
///
/// ```
/// use densely::callbacks::{Callback, TerminateOnNan};
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
///
/// let mut model = Net::new();
/// let mut terminate = TerminateOnNan::new();
/// Callback::<Net>::on_train_batch_end(&mut terminate, &mut model, 2, &Logs::from_pairs([("loss", f64::NAN)]))?;
/// assert!(model.training_state().stop_requested());
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[doc(alias = "TerminateOnNaN")]
pub struct TerminateOnNan {
    raise_error: bool,
    epoch: usize,
    messages: Vec<String>,
}

impl TerminateOnNan {
    /// Stops training quietly (Keras's default, `raise_error=False`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Ends `fit` at once with [`Error::NonFinite`] instead of stopping it, skipping the
    /// other callbacks' `on_train_end` as Keras's `raise_error=True` does (default false).
    pub fn raise_error(mut self, raise: bool) -> Self {
        self.raise_error = raise;
        self
    }

    /// The messages printed, without the final newline.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
}

impl<N: Network> Callback<N> for TerminateOnNan {
    fn on_epoch_begin(&mut self, _model: &mut N, epoch: usize, _logs: &Logs) -> Result<()> {
        self.epoch = epoch;
        Ok(())
    }

    fn on_train_batch_end(&mut self, model: &mut N, batch: usize, logs: &Logs) -> Result<()> {
        let Some(loss) = logs.get("loss") else {
            return Ok(());
        };
        if loss.is_finite() {
            return Ok(());
        }
        if self.raise_error {
            return Err(Error::NonFinite {
                cause: NonFinite::Loss(loss),
                weight: None,
                epoch: self.epoch,
                batch,
                history: None,
            });
        }
        say(
            &mut self.messages,
            format!("Batch {batch}: Invalid loss, terminating training"),
        );
        model.stop_training();
        Ok(())
    }
}
