//! What EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share (Keras's
//! `MonitorCallback`): a monitored value, whether lower or higher is better, and what counts
//! as an improvement.

use std::fmt;
use std::str::FromStr;

use crate::error::{did_you_mean, Error, Result};
use crate::metrics::Metric;
use crate::network::Network;
use crate::training::{LogPlan, Logs};

/// Whether the monitored value should go down or up: Keras's `mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Inferred from the name, as Keras 3 infers it: `loss` and `val_loss` go down; a compiled
    /// metric goes the way it should (`accuracy` up, `mse` and `mae` down). Keras 3 refuses
    /// the per-output names of a model with several outputs (`main_output_loss`,
    /// `val_aux_output_mae`); densely infers them the same way. Any other name is refused,
    /// with an error, when training starts.
    #[default]
    Auto,
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

impl FromStr for Mode {
    type Err = Error;

    /// Keras's spelling: `"auto"`, `"min"` or `"max"`.
    fn from_str(mode: &str) -> Result<Self> {
        match mode {
            "auto" => Ok(Mode::Auto),
            "min" => Ok(Mode::Min),
            "max" => Ok(Mode::Max),
            _ => Err(Error::Argument {
                argument: "mode",
                reason: format!("must be \"auto\", \"min\" or \"max\", got {mode:?}"),
            }),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Auto => "auto",
            Mode::Min => "min",
            Mode::Max => "max",
        })
    }
}

/// A monitored quantity: its name, mode and minimum change, with the mode resolved on first
/// use.
#[derive(Clone, Debug)]
pub(crate) struct Monitor {
    pub(crate) name: String,
    pub(crate) mode: Mode,
    /// The minimum change that counts as an improvement, always positive (Keras takes the
    /// absolute value of `min_delta`).
    pub(crate) min_delta: f64,
    /// `Some(true)` once resolved to "higher is better".
    maximize: Option<bool>,
}

impl Monitor {
    pub(crate) fn new(name: &str, mode: Mode, min_delta: f64) -> Self {
        Monitor {
            name: name.to_string(),
            mode,
            min_delta: min_delta.abs(),
            maximize: None,
        }
    }

    /// Whether higher is better, once resolved (when training began).
    pub(crate) fn maximizes(&self) -> Option<bool> {
        self.maximize
    }

    pub(crate) fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
        self.maximize = None;
    }

    pub(crate) fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
        self.maximize = None;
    }

    /// Resolves `auto` against the model's compiled metrics (once); `callback` names the
    /// callback in the error, which lists the values the model logs and offers the nearest.
    pub(crate) fn resolve<N: Network>(&mut self, model: &N, callback: &str) -> Result<()> {
        if self.maximize.is_none() {
            let metrics = model.training_state().metrics();
            let graph = model.graph();
            let outputs: Vec<&str> = (0..graph.outputs.len())
                .map(|i| graph.output_name(i))
                .collect();
            let resolved = resolve_mode(&self.name, self.mode, metrics, &outputs, callback);
            self.maximize = Some(resolved.map_err(|error| match error {
                Error::Argument { argument, reason } => {
                    let logged = LogPlan::new(graph, metrics).every_name();
                    Error::Argument {
                        argument,
                        reason: format!(
                            "{reason} The values this model logs are {}.{}",
                            logged.join(", "),
                            did_you_mean(&self.name, logged.iter().map(String::as_str))
                        ),
                    }
                }
                other => other,
            })?);
        }
        Ok(())
    }

    /// The warning for a monitored value missing from `logs`: Keras's `message` (which ends
    /// with the names available), and the nearest name when one is near.
    pub(crate) fn missing(&self, message: &str, logs: &Logs) -> String {
        let suggestion = did_you_mean(&self.name, logs.names().iter().map(String::as_str));
        if suggestion.is_empty() || message.ends_with('.') {
            format!("{message}{suggestion}")
        } else {
            format!("{message}.{suggestion}")
        }
    }

    /// Whether `current` improves on `reference` by more than `min_delta` (anything improves
    /// on no reference). Call [`Monitor::resolve`] first; unresolved, lower is better.
    pub(crate) fn is_improvement(&self, current: f64, reference: Option<f64>) -> bool {
        let Some(reference) = reference else {
            return true;
        };
        if self.maximize == Some(true) {
            current - self.min_delta > reference
        } else {
            current + self.min_delta < reference
        }
    }
}

/// Whether a monitored name should go up (`true`) or down, as Keras 3's
/// `MonitorCallback._set_monitor_op` decides, plus the per-output names of a model with
/// several outputs (which Keras refuses).
pub(crate) fn resolve_mode(
    monitor: &str,
    mode: Mode,
    metrics: &[Metric],
    outputs: &[&str],
    callback: &str,
) -> Result<bool> {
    match mode {
        Mode::Min => return Ok(false),
        Mode::Max => return Ok(true),
        Mode::Auto => {}
    }
    let name = monitor.strip_prefix("val_").unwrap_or(monitor);
    let goes_up = Metric::goes_up;
    if name == "loss" {
        return Ok(false);
    }
    if let Some(&metric) = metrics.iter().find(|m| m.name() == name) {
        return Ok(goes_up(metric));
    }
    if outputs.len() > 1 {
        for output in outputs {
            let Some(rest) = name
                .strip_prefix(output)
                .and_then(|rest| rest.strip_prefix('_'))
            else {
                continue;
            };
            if rest == "loss" {
                return Ok(false);
            }
            if let Some(&metric) = metrics.iter().find(|m| m.name() == rest) {
                return Ok(goes_up(metric));
            }
        }
    }
    Err(Error::Argument {
        argument: "mode",
        reason: format!(
            "{callback} callback received monitor={monitor}, but densely isn't able to \
             automatically determine whether that metric should be maximized or minimized. \
             Pass `.mode(Mode::Max)` in order to monitor based on the highest metric value, or \
             pass `.mode(Mode::Min)` in order to use the lowest value."
        ),
    })
}

/// The names of `logs` joined by commas, as Keras lists the available metrics.
pub(crate) fn available(logs: &Logs) -> String {
    logs.names().join(",")
}

/// Prints a warning to standard error and keeps its text in `record`, so that it can be
/// read back (`warnings()` on each callback).
pub(crate) fn warn(record: &mut Vec<String>, message: String) {
    eprintln!("WARNING: {message}");
    record.push(message);
}

/// Prints a verbose message to standard output, as Keras's `io_utils.print_msg` does, and
/// keeps it in `record`.
pub(crate) fn say(record: &mut Vec<String>, message: String) {
    println!("{message}");
    record.push(message);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(monitor: &str, metrics: &[Metric], outputs: &[&str]) -> Result<bool> {
        resolve_mode(monitor, Mode::Auto, metrics, outputs, "EarlyStopping")
    }

    /// Keras 3.15 (`tools/keras_callbacks.py` probes and `_set_monitor_op`): `val_accuracy`
    /// greater, `accuracy` greater, `loss` less, `val_mse` and `mae` less, `foo` and
    /// `val_acc` a ValueError.
    #[test]
    fn auto_resolves_as_keras_does() {
        let accuracy = [Metric::Accuracy];
        assert!(auto("val_accuracy", &accuracy, &["y"]).unwrap());
        assert!(auto("accuracy", &accuracy, &["y"]).unwrap());
        assert!(!auto("loss", &accuracy, &["y"]).unwrap());
        assert!(!auto("val_loss", &[], &["y"]).unwrap());
        assert!(!auto("val_mse", &[Metric::Mse, Metric::Mae], &["y"]).unwrap());
        assert!(!auto("mae", &[Metric::Mse, Metric::Mae], &["y"]).unwrap());
        for unknown in ["foo", "val_acc", "accuracy_extra"] {
            let err = auto(unknown, &accuracy, &["y"]).unwrap_err().to_string();
            assert!(
                err.contains(&format!(
                    "EarlyStopping callback received monitor={unknown}"
                )),
                "{err}"
            );
            assert!(err.contains("Mode::Max"), "{err}");
        }
        // Not compiled with accuracy: Keras can't tell either.
        assert!(auto("val_accuracy", &[], &["y"]).is_err());
    }

    #[test]
    fn per_output_names_resolve_where_keras_refuses() {
        let outputs = ["main_output", "aux_output"];
        let metrics = [Metric::Mae, Metric::Accuracy];
        assert!(!auto("val_main_output_loss", &metrics, &outputs).unwrap());
        assert!(!auto("main_output_mae", &metrics, &outputs).unwrap());
        assert!(auto("val_aux_output_accuracy", &metrics, &outputs).unwrap());
        assert!(auto("val_other_output_loss", &metrics, &outputs).is_err());
        // A single output has no per-output names.
        assert!(auto("y_loss", &metrics, &["y"]).is_err());
    }

    #[test]
    fn min_delta_counts_against_the_change() {
        let mut monitor = Monitor::new("val_loss", Mode::Min, -0.02);
        monitor.maximize = Some(false);
        assert_eq!(monitor.min_delta, 0.02);
        assert!(monitor.is_improvement(0.5, None));
        assert!(!monitor.is_improvement(0.79, Some(0.8)));
        assert!(monitor.is_improvement(0.77, Some(0.8)));
        monitor.maximize = Some(true);
        assert!(!monitor.is_improvement(0.61, Some(0.6)));
        assert!(monitor.is_improvement(0.63, Some(0.6)));
        assert!(!monitor.is_improvement(f64::NAN, Some(0.6)));
    }

    #[test]
    fn modes_parse_from_keras_strings() {
        assert_eq!("max".parse::<Mode>().unwrap(), Mode::Max);
        assert_eq!(Mode::Min.to_string(), "min");
        assert!("maximum".parse::<Mode>().is_err());
    }
}
