//! `ReduceLrOnPlateau`: lowers the learning rate when a monitored value stops improving.

use super::format::python_float;
use super::lr_scheduler::optimizer;
use super::monitor::{available, say, warn, Mode, Monitor};
use super::Callback;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::training::Logs;

/// Multiplies the learning rate by `factor` when a monitored value has not improved for
/// `patience` epochs, as Keras's `ReduceLROnPlateau`, with its arguments and defaults:
/// `monitor = "val_loss"`, `factor = 0.1`, `patience = 10`, `verbose = 0`, `mode = auto`,
/// `min_delta = 1e-4`, `cooldown = 0`, `min_lr = 0`.
///
/// After a reduction it waits `cooldown` epochs before counting again; the rate never goes
/// below `min_lr`. After every epoch it logs the rate that epoch trained with as
/// `learning_rate`, as Keras 3 does, so `History` has it. A monitored value missing from the
/// logs gets a warning naming the values that exist.
///
/// ```
/// use densely::callbacks::ReduceLrOnPlateau;
///
/// let reduce = ReduceLrOnPlateau::new().factor(0.5).patience(5).min_lr(1e-5);
/// ```
#[derive(Clone, Debug)]
#[doc(alias = "ReduceLROnPlateau")]
pub struct ReduceLrOnPlateau {
    monitor: Monitor,
    factor: f64,
    patience: usize,
    verbose: u8,
    cooldown: usize,
    min_lr: f64,
    best: Option<f64>,
    cooldown_counter: usize,
    wait: usize,
    messages: Vec<String>,
    warnings: Vec<String>,
}

impl Default for ReduceLrOnPlateau {
    fn default() -> Self {
        ReduceLrOnPlateau {
            monitor: Monitor::new("val_loss", Mode::Auto, 1e-4),
            factor: 0.1,
            patience: 10,
            verbose: 0,
            cooldown: 0,
            min_lr: 0.0,
            best: None,
            cooldown_counter: 0,
            wait: 0,
            messages: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl ReduceLrOnPlateau {
    /// Keras's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The logged value to watch (default `"val_loss"`).
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor.set_name(monitor);
        self
    }

    /// What the rate is multiplied by (default 0.1); must be below 1, or `fit` fails.
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Epochs without improvement before a reduction (default 10).
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// 1 prints Keras's message at every reduction (default 0, silent).
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// Whether lower or higher is better (default [`Mode::Auto`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.monitor.set_mode(mode);
        self
    }

    /// The smallest change that counts as an improvement (default 1e-4).
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.monitor.min_delta = min_delta.abs();
        self
    }

    /// Epochs to wait after a reduction before counting again (default 0).
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The lowest rate it reduces to (default 0).
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// The messages printed at `verbose(1)`, without the final newline.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// The warnings printed to standard error.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn check(&self) -> Result<()> {
        if self.factor >= 1.0 || self.factor.is_nan() {
            return Err(Error::Argument {
                argument: "factor",
                reason: format!(
                    "ReduceLROnPlateau does not support a factor >= 1.0. Received factor={}",
                    python_float(self.factor)
                ),
            });
        }
        Ok(())
    }

    fn in_cooldown(&self) -> bool {
        self.cooldown_counter > 0
    }
}

impl<N: Network> Callback<N> for ReduceLrOnPlateau {
    fn on_train_begin(&mut self, model: &mut N, _logs: &Logs) -> Result<()> {
        self.check()?;
        self.best = None;
        self.cooldown_counter = 0;
        self.wait = 0;
        self.monitor.resolve(model, "ReduceLROnPlateau")
    }

    fn update_epoch_logs(&mut self, model: &mut N, _epoch: usize, logs: &mut Logs) -> Result<()> {
        // The rate this epoch trained with, before any reduction.
        let rate = optimizer(model, "ReduceLROnPlateau")?.learning_rate();
        logs.set("learning_rate", f64::from(rate));
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        self.check()?;
        self.monitor.resolve(model, "ReduceLROnPlateau")?;
        let optimizer = optimizer(model, "ReduceLROnPlateau")?;
        let Some(current) = logs.get(&self.monitor.name) else {
            let message = format!(
                "Learning rate reduction is conditioned on metric `{}` which is not available. \
                 Available metrics are: {}.",
                self.monitor.name,
                available(logs)
            );
            warn(&mut self.warnings, self.monitor.missing(&message, logs));
            return Ok(());
        };
        if self.in_cooldown() {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.monitor.is_improvement(current, self.best) {
            self.best = Some(current);
            self.wait = 0;
        } else if !self.in_cooldown() {
            self.wait += 1;
            if self.wait >= self.patience {
                let old = optimizer.learning_rate();
                // Keras compares in f32: `old_lr > np.float32(min_lr)`.
                if old > self.min_lr as f32 {
                    let new = (f64::from(old) * self.factor).max(self.min_lr);
                    optimizer.set_learning_rate(new as f32);
                    if self.verbose > 0 {
                        say(
                            &mut self.messages,
                            format!(
                                "\nEpoch {}: ReduceLROnPlateau reducing learning rate to {}.",
                                epoch + 1,
                                python_float(new)
                            ),
                        );
                    }
                    self.cooldown_counter = self.cooldown;
                    self.wait = 0;
                }
            }
        }
        Ok(())
    }
}
