//! `EarlyStopping`: stops training when a monitored value stops improving.

use super::monitor::{available, say, warn, Mode, Monitor};
use super::{Callback, WeightSnapshot};
use crate::error::Result;
use crate::network::Network;
use crate::training::{Logs, Model};

/// Stops training when a monitored value has stopped improving, as Keras 3's `EarlyStopping`,
/// with its arguments and defaults: `monitor = "val_loss"`, `min_delta = 0`, `patience = 0`,
/// `verbose = 0`, `mode = auto`, no `baseline`, `restore_best_weights = false`,
/// `start_from_epoch = 0`.
///
/// After each epoch from `start_from_epoch` on, the monitored value either improves on the
/// best so far by more than `min_delta` (the wait starts over, unless a `baseline` is set and
/// not beaten), or the wait grows; once it reaches `patience` (from the second epoch on),
/// training stops. With `restore_best_weights`, the weights of the best epoch are put back
/// when training ends, whether it stopped early or ran all its epochs (Keras 3 does this in
/// `on_train_end`; Keras 2 restored only when it stopped early). A value missing from the logs
/// gets a warning naming the values that exist, and that epoch is skipped.
///
/// ```
/// use densely::callbacks::{EarlyStopping, Mode};
///
/// // The book's: stop after 10 epochs without progress and roll back to the best model.
/// let early_stopping = EarlyStopping::new().patience(10).restore_best_weights(true);
/// // Or watch the validation accuracy, which should go up.
/// let on_accuracy = EarlyStopping::new().monitor("val_accuracy").mode(Mode::Max).patience(3);
/// ```
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    monitor: Monitor,
    patience: usize,
    verbose: u8,
    baseline: Option<f64>,
    restore_best_weights: bool,
    start_from_epoch: usize,
    wait: usize,
    stopped_epoch: usize,
    best: Option<f64>,
    best_epoch: Option<usize>,
    best_weights: Option<WeightSnapshot>,
    messages: Vec<String>,
    warnings: Vec<String>,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping {
            monitor: Monitor::new("val_loss", Mode::Auto, 0.0),
            patience: 0,
            verbose: 0,
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
            wait: 0,
            stopped_epoch: 0,
            best: None,
            best_epoch: None,
            best_weights: None,
            messages: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl EarlyStopping {
    /// Keras's defaults: watch `val_loss`, stop at the first epoch without improvement.
    pub fn new() -> Self {
        Self::default()
    }

    /// The logged value to watch (default `"val_loss"`).
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor.set_name(monitor);
        self
    }

    /// The smallest change that counts as an improvement (default 0; its sign is ignored, as
    /// in Keras).
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.monitor.min_delta = min_delta.abs();
        self
    }

    /// Epochs without improvement before stopping (default 0).
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// 1 prints Keras's messages when stopping and restoring (default 0, silent).
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// Whether lower or higher is better (default [`Mode::Auto`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.monitor.set_mode(mode);
        self
    }

    /// A value to beat: until an epoch beats it, the wait never starts over, so training stops
    /// after `patience` epochs (default none).
    pub fn baseline(mut self, baseline: f64) -> Self {
        self.baseline = Some(baseline);
        self
    }

    /// Puts the best epoch's weights back when training ends (default false).
    pub fn restore_best_weights(mut self, restore: bool) -> Self {
        self.restore_best_weights = restore;
        self
    }

    /// Epochs to train before watching at all: a warm-up (default 0).
    pub fn start_from_epoch(mut self, epoch: usize) -> Self {
        self.start_from_epoch = epoch;
        self
    }

    /// The epoch (counting from 0) at which it stopped training, if it did. Keras reports 0
    /// when it didn't; it never stops at epoch 0.
    pub fn stopped_epoch(&self) -> Option<usize> {
        (self.stopped_epoch > 0).then_some(self.stopped_epoch)
    }

    /// The epoch with the best monitored value, once one was monitored.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// The best monitored value so far.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// The monitored value's name.
    pub fn monitored(&self) -> &str {
        &self.monitor.name
    }

    /// Whether a higher monitored value is better: `Some` once training began and `mode`
    /// was resolved.
    pub fn maximizes(&self) -> Option<bool> {
        self.monitor.maximizes()
    }

    /// The epochs waited since the last improvement (Keras's `wait`).
    pub fn wait(&self) -> usize {
        self.wait
    }

    /// The messages printed at `verbose(1)`, without the final newline.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// The warnings printed to standard error.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl<N: Network> Callback<N> for EarlyStopping {
    fn on_train_begin(&mut self, model: &mut N, _logs: &Logs) -> Result<()> {
        // Reusable across `fit` calls, as in Keras.
        self.wait = 0;
        self.stopped_epoch = 0;
        self.best = None;
        self.best_epoch = None;
        self.best_weights = None;
        self.monitor.resolve(model, "EarlyStopping")
    }

    fn on_epoch_end(&mut self, model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        self.monitor.resolve(model, "EarlyStopping")?;
        let Some(current) = logs.get(&self.monitor.name) else {
            let message = format!(
                "Early stopping conditioned on metric `{}` which is not available. \
                 Available metrics are: {}",
                self.monitor.name,
                available(logs)
            );
            warn(&mut self.warnings, self.monitor.missing(&message, logs));
            return Ok(());
        };
        if epoch < self.start_from_epoch {
            return Ok(());
        }
        if self.restore_best_weights && self.best_weights.is_none() {
            // Until something improves, the current weights are the best.
            self.best_weights = Some(WeightSnapshot::of(model));
            self.best_epoch = Some(epoch);
        }
        self.wait += 1;
        if self.monitor.is_improvement(current, self.best) {
            self.best = Some(current);
            self.best_epoch = Some(epoch);
            if self.restore_best_weights {
                self.best_weights
                    .get_or_insert_with(WeightSnapshot::default)
                    .capture(model);
            }
            // The wait starts over only when both the baseline and the best are beaten.
            if self
                .baseline
                .is_none_or(|baseline| self.monitor.is_improvement(current, Some(baseline)))
            {
                self.wait = 0;
            }
            return Ok(());
        }
        if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = epoch;
            model.stop_training();
        }
        Ok(())
    }

    fn on_train_end(&mut self, model: &mut N, _logs: &Logs) -> Result<()> {
        if self.stopped_epoch > 0 && self.verbose > 0 {
            say(
                &mut self.messages,
                format!("Epoch {}: early stopping", self.stopped_epoch + 1),
            );
        }
        if self.restore_best_weights {
            if let Some(weights) = &self.best_weights {
                if self.verbose > 0 {
                    say(
                        &mut self.messages,
                        format!(
                            "Restoring model weights from the end of the best epoch: {}.",
                            self.best_epoch.unwrap_or(0) + 1
                        ),
                    );
                }
                weights.restore(model)?;
            }
        }
        Ok(())
    }
}
