//! A space of hyperparameters and the values of one trial, drawn from it.

use std::collections::BTreeSet;
use std::fmt;

use rand::rngs::StdRng;
use rand::Rng;

use crate::error::{did_you_mean, quoted_list, Error, Result};

/// The hyperparameters a search draws, each with its distribution, in the order they are
/// drawn (scikit-learn's `param_distributions`).
///
/// ```
/// use densely::search::Space;
///
/// // The book's: scipy's `reciprocal(3e-4, 3e-2)` is `log_uniform`.
/// let space = Space::new()
///     .integer("n_hidden", 0, 3)
///     .integer("n_neurons", 1, 100)
///     .log_uniform("learning_rate", 3e-4, 3e-2)
///     .choice("activation", ["relu", "selu"]);
/// assert_eq!(space.names(), ["n_hidden", "n_neurons", "learning_rate", "activation"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Space {
    parameters: Vec<(String, Distribution)>,
}

/// How one hyperparameter is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// An integer from `low` to `high`, both included, each equally likely.
    Integer {
        /// The smallest value.
        low: i64,
        /// The largest value.
        high: i64,
    },
    /// One of the choices, each equally likely.
    Choice(Vec<String>),
    /// A real number uniform in `[low, high)`.
    Uniform {
        /// The lower bound.
        low: f64,
        /// The upper bound.
        high: f64,
    },
    /// A real number whose logarithm is uniform in `[ln low, ln high)`: scipy's
    /// `reciprocal` (`loguniform`), for learning rates.
    LogUniform {
        /// The lower bound, positive.
        low: f64,
        /// The upper bound.
        high: f64,
    },
}

impl Space {
    /// An empty space.
    pub fn new() -> Self {
        Self::default()
    }

    /// An integer hyperparameter from `low` to `high`, both included.
    pub fn integer(self, name: &str, low: i64, high: i64) -> Self {
        self.with(name, Distribution::Integer { low, high })
    }

    /// A hyperparameter taking one of `choices`.
    pub fn choice<S: Into<String>>(self, name: &str, choices: impl IntoIterator<Item = S>) -> Self {
        let choices = choices.into_iter().map(Into::into).collect();
        self.with(name, Distribution::Choice(choices))
    }

    /// A real hyperparameter uniform in `[low, high)`.
    pub fn uniform(self, name: &str, low: f64, high: f64) -> Self {
        self.with(name, Distribution::Uniform { low, high })
    }

    /// A real hyperparameter log-uniform in `[low, high)`: scipy's `reciprocal(low, high)`.
    pub fn log_uniform(self, name: &str, low: f64, high: f64) -> Self {
        self.with(name, Distribution::LogUniform { low, high })
    }

    /// Adds a hyperparameter.
    pub fn with(mut self, name: &str, distribution: Distribution) -> Self {
        self.parameters.push((name.into(), distribution));
        self
    }

    /// The names of the hyperparameters, in order.
    pub fn names(&self) -> Vec<&str> {
        self.parameters.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The hyperparameters and their distributions, in order.
    pub fn parameters(&self) -> &[(String, Distribution)] {
        &self.parameters
    }

    /// Checks every distribution: a name given once, bounds in order and finite, choices to
    /// choose from.
    pub fn check(&self) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (name, distribution) in &self.parameters {
            let error = |reason: String| Error::Argument {
                argument: "space",
                reason: format!("`{name}` {reason}"),
            };
            if !seen.insert(name.as_str()) {
                return Err(error("is given twice".into()));
            }
            match distribution {
                Distribution::Integer { low, high } if low > high => {
                    return Err(error(format!("runs from {low} down to {high}")))
                }
                Distribution::Choice(choices) if choices.is_empty() => {
                    return Err(error("has no choices".into()))
                }
                Distribution::Uniform { low, high } | Distribution::LogUniform { low, high }
                    if !(low.is_finite() && high.is_finite() && low <= high) =>
                {
                    return Err(error(format!(
                        "has bounds {low} and {high}, not finite and in order"
                    )))
                }
                Distribution::LogUniform { low, .. } if *low <= 0.0 => {
                    return Err(error(format!(
                        "is log-uniform from {low}; its bounds must be positive"
                    )))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// One draw of every hyperparameter, in order, from `rng`.
    pub(crate) fn draw(&self, rng: &mut StdRng) -> Params {
        let values = self
            .parameters
            .iter()
            .map(|(name, distribution)| {
                let value = match distribution {
                    Distribution::Integer { low, high } => {
                        Value::Integer(rng.random_range(*low..=*high))
                    }
                    Distribution::Choice(choices) => {
                        Value::Choice(choices[rng.random_range(0..choices.len())].clone())
                    }
                    Distribution::Uniform { low, high } => Value::Real(uniform(rng, *low, *high)),
                    Distribution::LogUniform { low, high } => {
                        Value::Real(uniform(rng, low.ln(), high.ln()).exp())
                    }
                };
                (name.clone(), value)
            })
            .collect();
        Params { values, seed: 0 }
    }
}

/// A value uniform in `[low, high)` (`low` when they are equal).
fn uniform(rng: &mut StdRng, low: f64, high: f64) -> f64 {
    low + (high - low) * rng.random::<f64>()
}

/// One hyperparameter's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer.
    Integer(i64),
    /// A real number.
    Real(f64),
    /// One of the choices.
    Choice(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(value) => write!(f, "{value}"),
            Value::Real(value) => write!(f, "{value:.6}"),
            Value::Choice(value) => f.write_str(value),
        }
    }
}

/// The hyperparameters of one trial, which the model-building function reads by name.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    values: Vec<(String, Value)>,
    seed: u64,
}

impl Params {
    pub(crate) fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The seed for this trial's weights (`build_with_seed(params.seed())`): drawn from the
    /// search's seed, so each trial starts from its own weights, the same every run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The hyperparameters and their values, in the space's order.
    pub fn values(&self) -> &[(String, Value)] {
        &self.values
    }

    /// The value of hyperparameter `name`; errors name it and list those there are.
    pub fn get(&self, name: &str) -> Result<&Value> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
            .ok_or_else(|| {
                let names = self.values.iter().map(|(n, _)| n.as_str());
                Error::Argument {
                    argument: "params",
                    reason: format!(
                        "the space has no hyperparameter `{name}`: it has {}.{}",
                        quoted_list(names.clone()),
                        did_you_mean(name, names)
                    ),
                }
            })
    }

    /// An integer hyperparameter.
    pub fn integer(&self, name: &str) -> Result<i64> {
        match self.get(name)? {
            Value::Integer(value) => Ok(*value),
            other => Err(self.kind_error(name, "an integer", other)),
        }
    }

    /// An integer hyperparameter as a count (of layers, of units); errors if negative.
    pub fn count(&self, name: &str) -> Result<usize> {
        let value = self.integer(name)?;
        usize::try_from(value).map_err(|_| self.kind_error(name, "a count", &Value::Integer(value)))
    }

    /// A real hyperparameter.
    pub fn real(&self, name: &str) -> Result<f64> {
        match self.get(name)? {
            Value::Real(value) => Ok(*value),
            other => Err(self.kind_error(name, "a real number", other)),
        }
    }

    /// A choice hyperparameter.
    pub fn choice(&self, name: &str) -> Result<&str> {
        match self.get(name)? {
            Value::Choice(value) => Ok(value),
            other => Err(self.kind_error(name, "a choice", other)),
        }
    }

    fn kind_error(&self, name: &str, wanted: &str, value: &Value) -> Error {
        Error::Argument {
            argument: "params",
            reason: format!("`{name}` is {value}, not {wanted}"),
        }
    }
}

impl fmt::Display for Params {
    /// `n_hidden=2 n_neurons=57 learning_rate=0.001234`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (name, value)) in self.values.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{name}={value}")?;
        }
        Ok(())
    }
}
