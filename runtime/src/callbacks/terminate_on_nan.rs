//! `TerminateOnNan`: stops training when the loss becomes NaN or infinite.

use super::monitor::say;
use super::Callback;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::training::{Logs, Model};

/// Stops training after a batch whose running `loss` is NaN or infinite, as Keras's
/// `TerminateOnNaN`: it prints `Batch N: Invalid loss, terminating training` and asks `fit`
/// to stop, or with `raise_error(true)` ends `fit` with an error.
///
/// densely's `fit` already refuses a non-finite loss by itself, with an error and before
/// applying that batch's update; this callback is for training loops that drive the hooks
/// themselves, and for Keras's code carried over as it is.
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

    /// Ends `fit` with [`Error::NonFiniteLoss`] instead of stopping it (default false).
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
            return Err(Error::NonFiniteLoss {
                loss,
                epoch: self.epoch,
                batch,
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
