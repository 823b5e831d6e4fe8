//! `LearningRateScheduler`: sets the learning rate before every epoch from a schedule.

use std::fmt;

use super::format::python_float;
use super::monitor::say;
use super::Callback;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::optimizers::Optimizer;
use crate::training::{Logs, Model};

/// Sets the optimizer's learning rate before every epoch to `schedule(epoch, current rate)`,
/// as Keras's `LearningRateScheduler`; the epoch counts from 0. After every epoch the rate
/// is logged as `learning_rate` (so `History` and [`super::CsvLogger`] have it), as in Keras
/// 3. At `verbose(1)` it prints Keras's message with the new rate.
///
/// The optimizer keeps its rate in f32, as Keras does: the schedule sees the f32 rate widened
/// to f64, and what it returns is stored as f32. A rate that is negative or not finite ends
/// `fit` with an error.
///
/// ```
/// use densely::callbacks::LearningRateScheduler;
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
///
/// let (x, y) = (Batch::<Shape1<2>>::zeros(8), Batch::<Shape1<1>>::zeros(8));
/// let mut model = Net::new();
/// model.compile(Sgd::new(0.1), []);
/// // Keep the rate for 2 epochs, then halve it every epoch.
/// let scheduler = LearningRateScheduler::new(|epoch, rate| if epoch < 2 { rate } else { rate * 0.5 });
/// let history = model.fit(&x, &y, FitOptions::default().epochs(4).verbose(0).callback(scheduler))?;
/// let rates = &history.history["learning_rate"];
/// assert_eq!(rates.iter().map(|&r| r as f32).collect::<Vec<_>>(), [0.1, 0.1, 0.05, 0.025]);
/// # Ok::<(), densely::Error>(())
/// ```
pub struct LearningRateScheduler<F> {
    schedule: F,
    verbose: u8,
    messages: Vec<String>,
}

impl<F: FnMut(usize, f64) -> f64> LearningRateScheduler<F> {
    /// A scheduler calling `schedule(epoch, current learning rate)` for the new rate.
    pub fn new(schedule: F) -> Self {
        LearningRateScheduler {
            schedule,
            verbose: 0,
            messages: Vec::new(),
        }
    }
}

impl<F> LearningRateScheduler<F> {
    /// 1 prints Keras's message at every change (default 0, silent).
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// The messages printed at `verbose(1)`, without the final newline.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
}

impl<F> fmt::Debug for LearningRateScheduler<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LearningRateScheduler")
            .field("verbose", &self.verbose)
            .finish_non_exhaustive()
    }
}

/// The compiled optimizer, or an error naming the callback that needs it.
pub(crate) fn optimizer<'m, N: Network>(
    model: &'m mut N,
    callback: &str,
) -> Result<&'m mut (dyn Optimizer + 'static)> {
    model.optimizer_mut().ok_or_else(|| Error::Argument {
        argument: "optimizer",
        reason: format!(
            "{callback} needs a compiled model: call compile(optimizer, metrics) first"
        ),
    })
}

impl<N: Network, F: FnMut(usize, f64) -> f64> Callback<N> for LearningRateScheduler<F> {
    fn on_epoch_begin(&mut self, model: &mut N, epoch: usize, _logs: &Logs) -> Result<()> {
        let optimizer = optimizer(model, "LearningRateScheduler")?;
        let rate = (self.schedule)(epoch, f64::from(optimizer.learning_rate()));
        if !rate.is_finite() || rate < 0.0 {
            return Err(Error::Argument {
                argument: "schedule",
                reason: format!("returned the learning rate {rate} for epoch {epoch}"),
            });
        }
        optimizer.set_learning_rate(rate as f32);
        if self.verbose > 0 {
            say(
                &mut self.messages,
                format!(
                    "\nEpoch {}: LearningRateScheduler setting learning rate to {}.",
                    epoch + 1,
                    python_float(rate)
                ),
            );
        }
        Ok(())
    }

    fn update_epoch_logs(&mut self, model: &mut N, _epoch: usize, logs: &mut Logs) -> Result<()> {
        let rate = optimizer(model, "LearningRateScheduler")?.learning_rate();
        logs.set("learning_rate", f64::from(rate));
        Ok(())
    }
}
