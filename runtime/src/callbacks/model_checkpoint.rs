//! `ModelCheckpoint`: saves the model (or its weights) during training.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::format::{format, python_fixed, FormatError, Value};
use super::monitor::{available, say, warn, Mode, Monitor};
use super::Callback;
use crate::error::{Error, Result};
use crate::files::Save;
use crate::network::Network;
use crate::training::Logs;

/// How often [`ModelCheckpoint`] saves: Keras's `save_freq`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SaveFreq {
    /// At the end of every epoch (Keras's `"epoch"`, the default).
    #[default]
    Epoch,
    /// Every this many training batches, counted across epochs (Keras's integer
    /// `save_freq`); the logs are then the running means of the epoch so far, without
    /// validation values.
    Batches(usize),
}

/// Writes one checkpoint file: the whole model, or its weights alone.
///
/// [`ModelCheckpoint`] calls it with a temporary path beside the checkpoint (same folder,
/// same extension) and renames the file over the checkpoint only once the saver has
/// succeeded, so a saver need not be atomic itself: a failure or a crash in the middle of a
/// write leaves the previous checkpoint in place.
///
/// A closure `|model: &Net, path: &Path, weights_only: bool| -> Result<()>` is a saver.
pub trait Saver<N: Network> {
    /// Writes `model` (only its weights when `weights_only`) to `path`.
    fn save(&mut self, model: &N, path: &Path, weights_only: bool) -> Result<()>;

    /// Refuses, before training starts, a file name pattern this saver cannot write
    /// (default: any is accepted).
    fn check(&self, _filepath: &str, _weights_only: bool) -> Result<()> {
        Ok(())
    }
}

impl<N: Network, F: FnMut(&N, &Path, bool) -> Result<()>> Saver<N> for F {
    fn save(&mut self, model: &N, path: &Path, weights_only: bool) -> Result<()> {
        self(model, path, weights_only)
    }
}

/// The saver [`ModelCheckpoint`] uses unless given another: densely's model files
/// ([`crate::files`]). The format follows the extension, as Keras's does: `.h5` (and
/// `.weights.h5`) is Keras's HDF5 layout, which Keras loads; `.keras` is Keras 3's archive (a
/// whole model, so refused with `save_weights_only`); any other extension is densely's native
/// format. The whole model is saved with
/// [`Save::save`] (architecture, weights, optimizer state: training can resume from it), the
/// weights alone with [`Save::save_weights`] when `save_weights_only` is set. Read them back
/// with `Net::load(path)` or `model.load_weights(path)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefaultSaver;

impl<N: Network> Saver<N> for DefaultSaver {
    fn save(&mut self, model: &N, path: &Path, weights_only: bool) -> Result<()> {
        if weights_only {
            model.save_weights(path)
        } else {
            Save::save(model, path)
        }
    }

    /// A `.keras` archive is a whole model: with `save_weights_only` it is refused, as
    /// Keras refuses it.
    fn check(&self, filepath: &str, weights_only: bool) -> Result<()> {
        if weights_only && filepath.ends_with(".keras") {
            return Err(Error::Argument {
                argument: "filepath",
                reason: format!(
                    "with `save_weights_only(true)` the filepath can't end in `.keras`, which \
                     holds a whole model: end it in `.weights.h5` (Keras's weights format) or \
                     use any other name for densely's native format. Received: \
                     filepath={filepath}"
                ),
            });
        }
        Ok(())
    }
}

/// Saves the model or its weights during training, as Keras's `ModelCheckpoint`, with its
/// arguments and defaults: `monitor = "val_loss"`, `verbose = 0`, `save_best_only = false`,
/// `save_weights_only = false`, `mode = auto`, `save_freq = "epoch"`, no
/// `initial_value_threshold`.
///
/// The file name is a Python format string filled with `epoch` (counting from 1, as Keras
/// does), `batch` (from 1, when saving every N batches) and every logged value:
/// `"ckpt-{epoch:02d}-{val_loss:.2f}.h5"` names epoch 3 with a validation loss of 0.3456
/// `ckpt-03-0.35.h5` (see [`super::format`]). With `save_best_only`, it saves only when the
/// monitored value improves on the best so far (and on `initial_value_threshold`, when set);
/// with a name without placeholders the file then always holds the best model. A monitored
/// value missing from the logs gets a warning naming the values that exist, and the model is
/// saved anyway, as Keras does.
///
/// Every write is atomic: the file is written beside the checkpoint under a temporary name
/// (same extension), synced, and renamed over it, so a crash never leaves a half-written
/// checkpoint in place of a good one, whatever the [`Saver`]. The folder is created if
/// needed. By default ([`DefaultSaver`]) `.h5` files are in Keras's HDF5 layout and others in
/// densely's native format; unlike Keras 3, which insists on `.keras`, `.h5` or
/// `.weights.h5`, any name is accepted.
///
/// ```
/// use densely::callbacks::ModelCheckpoint;
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
///
/// let dir = std::env::temp_dir().join(format!("densely-doc-checkpoint-{}", std::process::id()));
/// let (x, y) = (Batch::<Shape1<2>>::zeros(8), Batch::<Shape1<1>>::zeros(8));
/// let (x_valid, y_valid) = (Batch::<Shape1<2>>::zeros(4), Batch::<Shape1<1>>::zeros(4));
/// let mut model = Net::new();
/// model.compile(Sgd::default(), []);
/// // The book's: keep the best model so far, in Keras's HDF5 layout.
/// let best = ModelCheckpoint::new(dir.join("my_keras_model.h5")).save_best_only(true);
/// // And every epoch's weights, named after the epoch and the loss.
/// let every = ModelCheckpoint::new(dir.join("net-{epoch:02d}-{loss:.2f}.weights.h5"))
///     .save_weights_only(true);
/// let options = FitOptions::default().epochs(2).verbose(0).validation_data(&x_valid, &y_valid);
/// model.fit(&x, &y, options.callback(best).callback(every))?;
/// let restored = Net::load(dir.join("my_keras_model.h5"))?;
/// model.load_weights(dir.join("net-02-0.00.weights.h5"))?;
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ModelCheckpoint<S = DefaultSaver> {
    filepath: String,
    monitor: Monitor,
    verbose: u8,
    save_best_only: bool,
    save_weights_only: bool,
    save_freq: SaveFreq,
    best: Option<f64>,
    batches_since_last_save: usize,
    last_batch_seen: Option<usize>,
    current_epoch: usize,
    saver: S,
    messages: Vec<String>,
    warnings: Vec<String>,
}

impl ModelCheckpoint {
    /// Saves to `filepath` (a Python format string) after every epoch.
    pub fn new(filepath: impl AsRef<Path>) -> Self {
        ModelCheckpoint {
            filepath: filepath.as_ref().to_string_lossy().into_owned(),
            monitor: Monitor::new("val_loss", Mode::Auto, 0.0),
            verbose: 0,
            save_best_only: false,
            save_weights_only: false,
            save_freq: SaveFreq::Epoch,
            best: None,
            batches_since_last_save: 0,
            last_batch_seen: None,
            current_epoch: 0,
            saver: DefaultSaver,
            messages: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl<S> ModelCheckpoint<S> {
    /// The logged value that decides which model is best (default `"val_loss"`).
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor.set_name(monitor);
        self
    }

    /// 1 prints Keras's messages on every decision and save (default 0, silent).
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// Saves only when the monitored value improves (default false: every time).
    pub fn save_best_only(mut self, best_only: bool) -> Self {
        self.save_best_only = best_only;
        self
    }

    /// Saves the weights alone instead of the whole model (default false).
    pub fn save_weights_only(mut self, weights_only: bool) -> Self {
        self.save_weights_only = weights_only;
        self
    }

    /// Whether lower or higher is better (default [`Mode::Auto`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.monitor.set_mode(mode);
        self
    }

    /// After every epoch (the default) or every N batches.
    pub fn save_freq(mut self, save_freq: SaveFreq) -> Self {
        self.save_freq = save_freq;
        self
    }

    /// With `save_best_only`, a value the first checkpoint must already beat (default none).
    pub fn initial_value_threshold(mut self, threshold: f64) -> Self {
        self.best = Some(threshold);
        self
    }

    /// Writes checkpoints with `saver` instead of [`DefaultSaver`].
    pub fn saver<T>(self, saver: T) -> ModelCheckpoint<T> {
        ModelCheckpoint {
            filepath: self.filepath,
            monitor: self.monitor,
            verbose: self.verbose,
            save_best_only: self.save_best_only,
            save_weights_only: self.save_weights_only,
            save_freq: self.save_freq,
            best: self.best,
            batches_since_last_save: self.batches_since_last_save,
            last_batch_seen: self.last_batch_seen,
            current_epoch: self.current_epoch,
            saver,
            messages: self.messages,
            warnings: self.warnings,
        }
    }

    /// The best monitored value so far (or the initial threshold). Like Keras, it is kept
    /// from one `fit` to the next, so a reused checkpoint never overwrites a better model.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// The messages printed at `verbose(1)`, without the final newline (Keras's begin with a
    /// newline, to leave the progress bar's line).
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// The warnings printed to standard error.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Keras's `_should_save_on_batch`: counts the batches since the last save.
    fn should_save_on_batch(&mut self, batch: usize) -> bool {
        let SaveFreq::Batches(every) = self.save_freq else {
            return false;
        };
        let added = match self.last_batch_seen {
            Some(last) if batch > last => batch - last,
            // A new epoch.
            _ => batch + 1,
        };
        self.batches_since_last_save += added;
        self.last_batch_seen = Some(batch);
        if self.batches_since_last_save >= every {
            self.batches_since_last_save = 0;
            true
        } else {
            false
        }
    }

    /// Fills the pattern with stand-in values, to find a syntax error before training.
    fn check_pattern(&self) -> Result<()> {
        let stand_in = |key: &str| match key {
            "epoch" | "batch" => Some(Value::Int(1)),
            _ => Some(Value::Float(0.0)),
        };
        match format(&self.filepath, stand_in) {
            Err(FormatError::Invalid(reason)) => Err(self.pattern_error(reason)),
            _ => Ok(()),
        }
    }

    /// Keras's error for a file name pattern that can't be filled.
    fn pattern_error(&self, reason: String) -> Error {
        Error::Argument {
            argument: "filepath",
            reason: format!(
                "Failed to format this callback filepath: \"{}\". Reason: {reason}",
                self.filepath
            ),
        }
    }

    /// The file name of a checkpoint: the pattern filled with `epoch + 1`, `batch + 1` and
    /// the logs.
    fn file_path(&self, epoch: usize, batch: Option<usize>, logs: &Logs) -> Result<PathBuf> {
        let filled = format(&self.filepath, |key| match key {
            "epoch" => Some(Value::Int(epoch as i64 + 1)),
            "batch" if logs.get("batch").is_none() => batch.map(|b| Value::Int(b as i64 + 1)),
            _ => logs.get(key).map(Value::Float),
        })
        .map_err(|error| {
            let reason = match error {
                FormatError::MissingKey(key) => format!(
                    "no value named `{key}` (the epoch, and the logs: {})",
                    available(logs)
                ),
                FormatError::Invalid(reason) => reason,
            };
            self.pattern_error(reason)
        })?;
        Ok(PathBuf::from(filled))
    }

    /// Keras's `_should_save_model`, with its messages.
    fn should_save(&mut self, epoch: usize, logs: &Logs, path: &Path) -> bool {
        let shown = path.display();
        if !self.save_best_only {
            if self.verbose > 0 {
                say(
                    &mut self.messages,
                    format!("\nEpoch {}: saving model to {shown}", epoch + 1),
                );
            }
            return true;
        }
        let Some(current) = logs.get(&self.monitor.name) else {
            let message = format!(
                "Can save best model only with {} available. Available metrics are: {}",
                self.monitor.name,
                available(logs)
            );
            warn(&mut self.warnings, self.monitor.missing(&message, logs));
            return true;
        };
        let best = self
            .best
            .map_or_else(|| "None".to_string(), |best| python_fixed(best, 5));
        if self.monitor.is_improvement(current, self.best) {
            if self.verbose > 0 {
                say(
                    &mut self.messages,
                    format!(
                        "\nEpoch {}: {} improved from {best} to {}, saving model to {shown}",
                        epoch + 1,
                        self.monitor.name,
                        python_fixed(current, 5)
                    ),
                );
            }
            self.best = Some(current);
            true
        } else {
            if self.verbose > 0 {
                say(
                    &mut self.messages,
                    format!(
                        "\nEpoch {}: {} did not improve from {best}",
                        epoch + 1,
                        self.monitor.name
                    ),
                );
            }
            false
        }
    }

    /// Keras's `_save_model`.
    fn save_model<N: Network>(
        &mut self,
        model: &N,
        epoch: usize,
        batch: Option<usize>,
        logs: &Logs,
    ) -> Result<()>
    where
        S: Saver<N>,
    {
        let path = self.file_path(epoch, batch, logs)?;
        if !self.should_save(epoch, logs, &path) {
            return Ok(());
        }
        let weights_only = self.save_weights_only;
        let saver = &mut self.saver;
        save_atomically(&path, |temporary| {
            saver.save(model, temporary, weights_only)
        })?;
        if self.verbose > 0 {
            say(
                &mut self.messages,
                format!(
                    "\nEpoch {}: finished saving model to {}",
                    epoch + 1,
                    path.display()
                ),
            );
        }
        Ok(())
    }
}

/// `error` with the temporary file's name replaced by the checkpoint's: what the user named.
fn naming(error: Error, temporary: &Path, path: &Path) -> Error {
    let (temporary, path) = (temporary.display().to_string(), path.display().to_string());
    let rename = |text: String| text.replace(&temporary, &path);
    match error {
        Error::Io { path: file, source } => Error::Io {
            path: rename(file),
            source,
        },
        Error::Format { path: file, reason } => Error::Format {
            path: rename(file),
            reason: rename(reason),
        },
        Error::Argument { argument, reason } => Error::Argument {
            argument,
            reason: rename(reason),
        },
        other => other,
    }
}

/// Has `save` write a temporary file beside `path` (same folder, same extension, so that a
/// saver choosing its format by extension still can), syncs it, and renames it over `path`.
/// On failure the temporary file is removed and `path` is left as it was.
fn save_atomically(path: &Path, save: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(folder).map_err(io_error)?;
    }
    if path.is_dir() {
        return Err(Error::Argument {
            argument: "filepath",
            reason: format!(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used \
                 is an existing directory: {}",
                path.display()
            ),
        });
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".tmp-{}-{name}", std::process::id()));
    let result = save(&temporary)
        .map_err(|error| naming(error, &temporary, path))
        .and_then(|()| {
            File::open(&temporary)
                .and_then(|file| file.sync_all())
                .and_then(|()| fs::rename(&temporary, path))
                .map_err(io_error)
        });
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

impl<N: Network, S: Saver<N>> Callback<N> for ModelCheckpoint<S> {
    /// Checks every argument before the first batch: `save_freq`, the file name pattern's
    /// syntax, what the saver can write, and the monitored value.
    fn on_train_begin(&mut self, model: &mut N, _logs: &Logs) -> Result<()> {
        if self.save_freq == SaveFreq::Batches(0) {
            return Err(Error::Argument {
                argument: "save_freq",
                reason: "must be at least 1 batch".into(),
            });
        }
        self.check_pattern()?;
        self.saver.check(&self.filepath, self.save_weights_only)?;
        self.monitor.resolve(model, "ModelCheckpoint")
    }

    fn on_epoch_begin(&mut self, _model: &mut N, epoch: usize, _logs: &Logs) -> Result<()> {
        self.current_epoch = epoch;
        Ok(())
    }

    fn on_train_batch_end(&mut self, model: &mut N, batch: usize, logs: &Logs) -> Result<()> {
        if self.should_save_on_batch(batch) {
            self.monitor.resolve(model, "ModelCheckpoint")?;
            self.save_model(model, self.current_epoch, Some(batch), logs)?;
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        self.monitor.resolve(model, "ModelCheckpoint")?;
        if self.save_freq == SaveFreq::Epoch {
            self.save_model(model, epoch, None, logs)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_counted_across_epochs_as_keras_does() {
        let mut checkpoint = ModelCheckpoint::new("x").save_freq(SaveFreq::Batches(3));
        let mut saved = Vec::new();
        for epoch in 0..2 {
            for batch in 0..5 {
                if checkpoint.should_save_on_batch(batch) {
                    saved.push((epoch, batch));
                }
            }
        }
        // Keras 3.15, tools/keras_callbacks.py: b-01-003, b-02-001, b-02-004.
        assert_eq!(saved, [(0, 2), (1, 0), (1, 3)]);
    }

    #[test]
    fn a_failing_saver_leaves_the_old_file_and_no_temporary() {
        let dir = std::env::temp_dir().join(format!("densely-ckpt-unit-{}", std::process::id()));
        let path = dir.join("sub").join("best.h5");
        save_atomically(&path, |tmp| {
            assert_eq!(tmp.extension().unwrap(), "h5");
            fs::write(tmp, b"good").map_err(|source| Error::Io {
                path: tmp.display().to_string(),
                source,
            })
        })
        .unwrap();
        let failed = save_atomically(&path, |tmp| {
            fs::write(tmp, b"ha").unwrap();
            Err(Error::Argument {
                argument: "disk",
                reason: "full".into(),
            })
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"good");
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
