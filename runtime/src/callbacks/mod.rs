//! Callbacks: code that `fit` calls at the start and end of training, of each epoch and of
//! each batch, as Keras's callbacks.

use crate::error::Result;
use crate::network::Network;
use crate::training::Logs;

/// Keras's callback hooks. Each can read the logs, reach the model (its weights, its
/// optimizer's learning rate, `stop_training`) and fail, which ends `fit` with that error.
///
/// Every hook does nothing by default; implement the ones you need.
///
/// ```
/// use densely::callbacks::Callback;
/// use densely::training::{Logs, Model};
/// use densely::{Network, Result};
///
/// /// Stops training once the loss is below a threshold.
/// struct StopBelow(f64);
///
/// impl<N: Network> Callback<N> for StopBelow {
///     fn on_epoch_end(&mut self, model: &mut N, _epoch: usize, logs: &Logs) -> Result<()> {
///         if logs.get("loss").is_some_and(|loss| loss < self.0) {
///             model.stop_training();
///         }
///         Ok(())
///     }
/// }
/// ```
#[allow(unused_variables)]
pub trait Callback<N: Network> {
    /// When `fit` starts.
    fn on_train_begin(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// When `fit` ends, with the last epoch's logs.
    fn on_train_end(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Before epoch `epoch` (counting from 0).
    fn on_epoch_begin(&mut self, model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// After epoch `epoch`, with its training and validation values.
    fn on_epoch_end(&mut self, model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Before training batch `batch` of the epoch.
    fn on_train_batch_begin(&mut self, model: &mut N, batch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// After training batch `batch`, with the epoch's running means.
    fn on_train_batch_end(&mut self, model: &mut N, batch: usize, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Before a validation or `evaluate` pass.
    fn on_test_begin(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// After a validation or `evaluate` pass, with its values.
    fn on_test_end(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// Before `predict`.
    fn on_predict_begin(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// After `predict`.
    fn on_predict_end(&mut self, model: &mut N, logs: &Logs) -> Result<()> {
        Ok(())
    }
}

macro_rules! forward_hooks {
    ($($hook:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $hook(&mut self, model: &mut N, $($arg: $ty,)* logs: &Logs) -> Result<()> {
            (**self).$hook(model, $($arg,)* logs)
        })*
    };
}

/// A callback borrowed mutably is a callback, so `fit` can use one the caller keeps.
impl<N: Network, C: Callback<N> + ?Sized> Callback<N> for &mut C {
    forward_hooks! {
        on_train_begin();
        on_train_end();
        on_epoch_begin(epoch: usize);
        on_epoch_end(epoch: usize);
        on_train_batch_begin(batch: usize);
        on_train_batch_end(batch: usize);
        on_test_begin();
        on_test_end();
        on_predict_begin();
        on_predict_end();
    }
}
