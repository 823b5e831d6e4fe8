//! `Logs`: the named values Keras hands to callbacks and keeps in `History`.

use std::fmt;

/// Named values in a fixed order, like the `logs` dict of Keras's callbacks.
///
/// The names are fixed when training starts and the values are overwritten in place, so
/// updating logs after every batch allocates nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logs {
    names: Vec<String>,
    values: Vec<f64>,
}

impl Logs {
    /// Logs with these names, every value 0.
    pub fn with_names(names: Vec<String>) -> Self {
        let values = vec![0.0; names.len()];
        Logs { names, values }
    }

    /// Builds logs from pairs, in their order.
    pub fn from_pairs<S: Into<String>>(pairs: impl IntoIterator<Item = (S, f64)>) -> Self {
        let (names, values) = pairs.into_iter().map(|(n, v)| (n.into(), v)).unzip();
        Logs { names, values }
    }

    /// The value called `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.values[i])
    }

    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The values, in the order of the names.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The values, writable.
    pub fn values_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }

    /// `(name, value)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().copied())
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there is no value.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Sets `name` to `value`, adding it at the end if it is new.
    pub fn set(&mut self, name: &str, value: f64) {
        match self.names.iter().position(|n| n == name) {
            Some(i) => self.values[i] = value,
            None => {
                self.names.push(name.to_string());
                self.values.push(value);
            }
        }
    }
}

impl fmt::Display for Logs {
    /// Keras's progress-bar form: `loss: 0.7237 - accuracy: 0.7644`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" - ")?;
            }
            if value.is_finite() {
                write!(f, "{name}: {value:.4}")?;
            } else {
                // Python's spelling, as Keras's bar shows it: nan, inf, -inf.
                let spelled = if value.is_nan() {
                    "nan".into()
                } else {
                    format!("{value}").to_lowercase()
                };
                write!(f, "{name}: {spelled}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_name_and_shown_like_keras() {
        let mut logs = Logs::from_pairs([("loss", 0.72371), ("accuracy", 0.76444)]);
        assert_eq!(logs.get("accuracy"), Some(0.76444));
        assert_eq!(logs.get("val_loss"), None);
        assert_eq!(logs.to_string(), "loss: 0.7237 - accuracy: 0.7644");
        logs.set("val_loss", 1.0);
        logs.set("loss", 0.5);
        assert_eq!(logs.names(), ["loss", "accuracy", "val_loss"]);
        assert_eq!(logs.values(), [0.5, 0.76444, 1.0]);
        let diverged = Logs::from_pairs([
            ("loss", f64::NAN),
            ("mae", f64::INFINITY),
            ("x", f64::NEG_INFINITY),
        ]);
        assert_eq!(diverged.to_string(), "loss: nan - mae: inf - x: -inf");
    }
}
