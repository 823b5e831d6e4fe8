//! `History`: what `fit` returns, as Keras's `History` object.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::logs::Logs;
use crate::error::{Error, Result};
use crate::io::write_atomically;

/// Keras's `history.params`, printed as Python prints it.
///
/// ```
/// use densely::training::Params;
///
/// let params = Params { verbose: 1, epochs: 30, steps: Some(1719) };
/// assert_eq!(params.to_string(), "{'verbose': 1, 'epochs': 30, 'steps': 1719}");
/// let unknown = Params { steps: None, ..params };
/// assert_eq!(unknown.to_string(), "{'verbose': 1, 'epochs': 30, 'steps': None}");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// The verbosity `fit` ran with.
    pub verbose: u8,
    /// The epochs `fit` was asked for.
    pub epochs: usize,
    /// The batches per epoch, `None` for a source that doesn't say.
    pub steps: Option<usize>,
}

impl std::fmt::Display for Params {
    /// As Python prints Keras's `history.params`: `{'verbose': 1, 'epochs': 30, 'steps': 1719}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let steps = self
            .steps
            .map_or_else(|| "None".to_string(), |steps| steps.to_string());
        write!(
            f,
            "{{'verbose': {}, 'epochs': {}, 'steps': {steps}}}",
            self.verbose, self.epochs
        )
    }
}

/// The record of a `fit`: its parameters, the epochs it went through and every logged value
/// per epoch.
///
/// ```
/// use densely::training::{History, Logs};
///
/// let mut history = History::default();
/// history.record(0, &Logs::from_pairs([("loss", 0.9), ("val_loss", 1.1)]));
/// history.record(1, &Logs::from_pairs([("loss", 0.7), ("val_loss", 0.8)]));
/// assert_eq!(history.epoch, [0, 1]);
/// assert_eq!(history.history["val_loss"], [1.1, 0.8]);
/// assert_eq!(history.to_csv(), "epoch,loss,val_loss\n0,0.9,1.1\n1,0.7,0.8\n");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Keras's `history.params`: verbose, epochs, steps.
    pub params: Params,
    /// The epochs trained, counting from 0 like Keras.
    pub epoch: Vec<usize>,
    /// Each logged value per epoch, by name (`loss`, `accuracy`, `val_loss`, ...).
    pub history: BTreeMap<String, Vec<f64>>,
    /// The names in the order Keras logs them.
    keys: Vec<String>,
}

impl History {
    /// A history for a `fit` with these parameters.
    pub fn new(params: Params) -> Self {
        History {
            params,
            ..History::default()
        }
    }

    /// Appends the logs of one finished epoch.
    pub fn record(&mut self, epoch: usize, logs: &Logs) {
        self.epoch.push(epoch);
        for (name, value) in logs.iter() {
            if !self.history.contains_key(name) {
                self.keys.push(name.to_string());
            }
            self.history
                .entry(name.to_string())
                .or_default()
                .push(value);
        }
    }

    /// The logged names in Keras's order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The values of `name`, one per epoch.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.history.get(name).map(Vec::as_slice)
    }

    /// The history as CSV: an `epoch` column, then one column per name (Keras's CSVLogger
    /// layout).
    pub fn to_csv(&self) -> String {
        let mut csv = String::from("epoch");
        for key in &self.keys {
            csv.push(',');
            csv.push_str(key);
        }
        csv.push('\n');
        for (row, epoch) in self.epoch.iter().enumerate() {
            csv.push_str(&epoch.to_string());
            for key in &self.keys {
                csv.push(',');
                if let Some(value) = self.history[key].get(row) {
                    csv.push_str(&value.to_string());
                }
            }
            csv.push('\n');
        }
        csv
    }

    /// The history as JSON: `{"params": ..., "epoch": [...], "history": {...}}`.
    pub fn to_json(&self) -> String {
        let history: serde_json::Map<String, serde_json::Value> = self
            .keys
            .iter()
            .map(|key| (key.clone(), serde_json::json!(self.history[key])))
            .collect();
        serde_json::json!({
            "params": self.params,
            "epoch": self.epoch,
            "history": history,
        })
        .to_string()
    }

    /// Writes [`History::to_csv`] to `path`, atomically.
    pub fn save_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path.as_ref(), self.to_csv().as_bytes())
    }

    /// Writes [`History::to_json`] to `path`, atomically.
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path.as_ref(), self.to_json().as_bytes())
    }

    /// Reads a history written by [`History::save_json`].
    pub fn load_json(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let format_error = |reason: &str| Error::Format {
            path: path.display().to_string(),
            reason: reason.to_string(),
        };
        let params = serde_json::from_value(value["params"].clone())
            .map_err(|e| format_error(&e.to_string()))?;
        let epoch = serde_json::from_value(value["epoch"].clone())
            .map_err(|e| format_error(&e.to_string()))?;
        let map = value["history"]
            .as_object()
            .ok_or_else(|| format_error("no `history` object"))?;
        let mut history = History::new(params);
        history.epoch = epoch;
        for (key, values) in map {
            let values: Vec<f64> = serde_json::from_value(values.clone())
                .map_err(|e| format_error(&format!("`{key}`: {e}")))?;
            history.keys.push(key.clone());
            history.history.insert(key.clone(), values);
        }
        Ok(history)
    }
}
