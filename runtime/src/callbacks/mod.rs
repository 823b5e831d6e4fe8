//! Callbacks: code that `fit` calls at the start and end of training, of each epoch and of
//! each batch, as Keras's callbacks.
//!
//! Keras's set is here with Keras's arguments and defaults: [`ModelCheckpoint`],
//! [`EarlyStopping`], [`CsvLogger`], [`LearningRateScheduler`], [`ReduceLrOnPlateau`],
//! [`TerminateOnNan`], [`ProgbarLogger`], [`LambdaCallback`], and [`History`] itself. Your own
//! callbacks implement [`Callback`]. The book's pair:
//!
//! ```no_run
//! use densely::callbacks::{EarlyStopping, ModelCheckpoint};
//! use densely::prelude::*;
//!
//! model! { struct Net { input x: [8]; hidden = Dense(30, relu); output y = Dense(1), loss = mse; } }
//!
//! # let (x_train, y_train) = (Batch::<Shape1<8>>::zeros(64), Batch::<Shape1<1>>::zeros(64));
//! # let (x_valid, y_valid) = (Batch::<Shape1<8>>::zeros(16), Batch::<Shape1<1>>::zeros(16));
//! let mut model = Net::new();
//! model.compile(Sgd::default(), []);
//! let checkpoint = ModelCheckpoint::new("my_keras_model.h5").save_best_only(true);
//! let early_stopping = EarlyStopping::new().patience(10).restore_best_weights(true);
//! let history = model.fit(&x_train, &y_train, FitOptions::default()
//!     .epochs(100)
//!     .validation_data(&x_valid, &y_valid)
//!     .callback(checkpoint)
//!     .callback(early_stopping))?;
//! # Ok::<(), densely::Error>(())
//! ```
//!
//! Pass `&mut callback` instead of `callback` to read it after `fit` (the epoch at which
//! [`EarlyStopping`] stopped, say).
//!
//! The callbacks that print (at `verbose(1)`) print Keras's messages to standard output;
//! warnings, such as a monitored value missing from the logs, go to standard error. Each also
//! keeps what it printed: `messages()` and `warnings()`.

mod csv_logger;
mod early_stopping;
pub mod format;
mod history;
mod lambda;
mod lr_scheduler;
mod model_checkpoint;
mod monitor;
mod progbar;
mod reduce_lr;
mod terminate_on_nan;
mod weights;

pub use csv_logger::CsvLogger;
pub use early_stopping::EarlyStopping;
pub use lambda::{HookOutput, LambdaCallback};
pub use lr_scheduler::LearningRateScheduler;
pub use model_checkpoint::{DefaultSaver, ModelCheckpoint, SaveFreq, Saver};
pub use monitor::Mode;
pub use progbar::ProgbarLogger;
pub use reduce_lr::ReduceLrOnPlateau;
pub use terminate_on_nan::TerminateOnNan;
pub use weights::WeightSnapshot;

pub use crate::training::History;

use crate::error::Result;
use crate::network::Network;
use crate::training::{Logs, Params};

/// Keras's callback hooks. Each can read the logs, reach the model (its weights, its
/// optimizer's learning rate, `stop_training`) and fail, which ends `fit` with that error.
///
/// Every hook does nothing by default; implement the ones you need. `fit` calls the callbacks
/// in the order they were added, each hook for every callback before the next step.
///
/// Keras's callbacks may also write into the epoch's `logs` dict. Here a callback adds
/// values in [`Callback::update_epoch_logs`], which `fit` calls for every callback before any
/// `on_epoch_end`: every callback's `on_epoch_end` then sees them, and so do the progress
/// bar's line and the `History` that `fit` returns (this is how [`ReduceLrOnPlateau`] logs
/// `learning_rate`, as Keras 3 does).
///
/// ```
/// use densely::callbacks::Callback;
/// use densely::training::{Logs, Model};
/// use densely::{Network, Result};
///
/// /// Stops training once the loss is below a threshold, and logs the gap to it.
/// struct StopBelow(f64);
///
/// impl<N: Network> Callback<N> for StopBelow {
///     fn update_epoch_logs(&mut self, _: &mut N, _epoch: usize, logs: &mut Logs) -> Result<()> {
///         if let Some(loss) = logs.get("loss") {
///             logs.set("gap", loss - self.0);
///         }
///         Ok(())
///     }
///
///     fn on_epoch_end(&mut self, model: &mut N, _epoch: usize, logs: &Logs) -> Result<()> {
///         if logs.get("gap").is_some_and(|gap| gap < 0.0) {
///             model.stop_training();
///         }
///         Ok(())
///     }
/// }
/// ```
///
/// A callback for one particular model can reach its layers:
///
/// ```
/// use densely::callbacks::Callback;
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; hidden = Dense(4, relu); output y = Dense(1), loss = mse; } }
///
/// /// Prints the largest weight of `hidden` after every epoch.
/// struct LargestWeight;
///
/// impl Callback<Net> for LargestWeight {
///     fn on_epoch_end(&mut self, model: &mut Net, epoch: usize, _: &Logs) -> densely::Result<()> {
///         let largest = model.hidden.kernel().iter().fold(0.0f32, |m, w| m.max(w.abs()));
///         println!("epoch {epoch}: largest weight {largest}");
///         Ok(())
///     }
/// }
///
/// let (x, y) = (Batch::<Shape1<2>>::zeros(8), Batch::<Shape1<1>>::zeros(8));
/// let mut model = Net::new();
/// model.compile(Sgd::default(), []);
/// model.fit(&x, &y, FitOptions::default().epochs(2).verbose(0).callback(LargestWeight))?;
/// # Ok::<(), densely::Error>(())
/// ```
#[allow(unused_variables)]
pub trait Callback<N: Network> {
    /// Before `on_train_begin`: what `fit` runs with (Keras's `callback.params`: verbose,
    /// epochs, steps).
    fn set_params(&mut self, params: &Params) {}
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
    /// After epoch `epoch`, before any callback's `on_epoch_end`: adds values to the epoch's
    /// logs (`logs.set(name, value)`), which every `on_epoch_end`, the progress bar and the
    /// `History` then see. Keras's callbacks write into their `logs` dict instead.
    fn update_epoch_logs(&mut self, model: &mut N, epoch: usize, logs: &mut Logs) -> Result<()> {
        Ok(())
    }
    /// After epoch `epoch`, with its training and validation values (and those the callbacks
    /// added).
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

/// Forwards every hook to `$target`, once per element for a list.
macro_rules! forward_hooks {
    ($self:ident => $target:expr) => {
        fn set_params(&mut $self, params: &Params) {
            for callback in $target {
                callback.set_params(params);
            }
        }
        forward_hooks!(@hooks $self => $target;
            on_train_begin(logs: &Logs);
            on_train_end(logs: &Logs);
            on_epoch_begin(epoch: usize, logs: &Logs);
            update_epoch_logs(epoch: usize, logs: &mut Logs);
            on_epoch_end(epoch: usize, logs: &Logs);
            on_train_batch_begin(batch: usize, logs: &Logs);
            on_train_batch_end(batch: usize, logs: &Logs);
            on_test_begin(logs: &Logs);
            on_test_end(logs: &Logs);
            on_predict_begin(logs: &Logs);
            on_predict_end(logs: &Logs);
        );
    };
    (@hooks $self:ident => $target:expr; $($hook:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $hook(&mut $self, model: &mut N, $($arg: $ty),*) -> Result<()> {
            for callback in $target {
                callback.$hook(model, $($arg),*)?;
            }
            Ok(())
        })*
    };
}

/// A callback borrowed mutably is a callback, so `fit` can use one the caller keeps.
impl<N: Network, C: Callback<N> + ?Sized> Callback<N> for &mut C {
    forward_hooks!(self => std::iter::once(&mut **self));
}

/// A boxed callback is a callback.
impl<N: Network, C: Callback<N> + ?Sized> Callback<N> for Box<C> {
    forward_hooks!(self => std::iter::once(&mut **self));
}

/// A callback shared through `Rc<RefCell<_>>` is a callback: `fit` takes a handle and the
/// caller reads the callback through another after training, whatever the data's lifetime.
impl<N: Network, C: Callback<N> + ?Sized> Callback<N> for std::rc::Rc<std::cell::RefCell<C>> {
    forward_hooks!(self => std::iter::once(&mut *self.borrow_mut()));
}

/// A list of callbacks is a callback that calls each in turn (Keras's `CallbackList`): a
/// hook stops at the first error.
impl<N: Network, C: Callback<N>> Callback<N> for Vec<C> {
    forward_hooks!(self => self.iter_mut());
}
