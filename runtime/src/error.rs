//! The errors densely reports.

use std::fmt;
use std::path::Path;

use thiserror::Error;

use crate::training::History;

/// Everything that can go wrong in densely at run time.
#[derive(Debug, Error)]
pub enum Error {
    /// Data whose size does not fit the shape it was declared with.
    #[error("{what}: expected {expected}, got {actual}")]
    Shape {
        /// What was being built or checked ("Batch<[28, 28]>", "layer `hidden1` kernel").
        what: String,
        /// The size or shape that was expected.
        expected: String,
        /// The size or shape that was given.
        actual: String,
    },
    /// A class label outside the classes of the output it is meant for.
    #[error("label {label} at sample {index} is outside the {classes} classes (0..{classes})")]
    Label {
        /// The offending label.
        label: u32,
        /// The sample it belongs to.
        index: usize,
        /// How many classes there are.
        classes: usize,
    },
    /// An argument with a value Keras would also refuse.
    #[error("invalid argument `{argument}`: {reason}")]
    Argument {
        /// The argument's name, as Keras spells it.
        argument: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A layer name that the model does not have.
    #[error("no layer named `{name}`; the layers are {known}")]
    UnknownLayer {
        /// The name asked for.
        name: String,
        /// The names that exist, comma separated.
        known: String,
    },
    /// Training stopped at a step that would have put a NaN or an infinity into the model.
    /// That step was not applied: the weights and the optimizer are as they were before it,
    /// callbacks' `on_train_end` ran, and `history` holds the epochs that finished.
    #[error("{}", diverged_message(cause, weight.as_deref(), *epoch, *batch))]
    NonFinite {
        /// What was not finite.
        cause: NonFinite,
        /// The weight it concerns, as `layer/kernel`, when it concerns one.
        weight: Option<String>,
        /// The epoch, counting from 0.
        epoch: usize,
        /// The batch within the epoch, counting from 0.
        batch: usize,
        /// The History up to the failure (absent when the error comes from a callback
        /// outside `fit`).
        history: Option<Box<History>>,
    },
    /// A failure reading or writing a file, said in words (no error numbers).
    #[error("{path}: {}", crate::io::in_words(source))]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A model built at run time whose architecture doesn't hold together, or data that
    /// doesn't fit it.
    #[error("model `{model}`: {reason}")]
    Model {
        /// The model's name.
        model: String,
        /// What is wrong, naming the layer, input or output and the shapes.
        reason: String,
    },
    /// A file whose content is not what it should be.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// densely's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What was not finite in a training step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NonFinite {
    /// The loss: a NaN or an infinity in the data, or training that diverged.
    Loss(f64),
    /// An optimizer setting, such as a learning rate a schedule made NaN.
    Setting {
        /// Keras's name for it: `learning_rate`, `weight_decay`, ...
        name: &'static str,
        /// Its value.
        value: f32,
    },
    /// The gradient of a trainable tensor (numbered in the order of `get_weights`' trainable
    /// tensors).
    Gradient {
        /// The tensor.
        tensor: usize,
    },
    /// A trainable tensor or its optimizer slots, had the update been applied (an overflow).
    Update {
        /// The tensor.
        tensor: usize,
    },
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NonFinite::Loss(loss) => write!(f, "the loss became {loss}"),
            NonFinite::Setting { name, value } => write!(f, "the optimizer's {name} is {value}"),
            NonFinite::Gradient { tensor } => {
                write!(f, "the gradient of trainable tensor {tensor} holds NaN or infinite values")
            }
            NonFinite::Update { tensor } => write!(
                f,
                "the update would make trainable tensor {tensor} or its optimizer state NaN or infinite"
            ),
        }
    }
}

/// The message of [`Error::NonFinite`], naming the weight when it is known.
fn diverged_message(cause: &NonFinite, weight: Option<&str>, epoch: usize, batch: usize) -> String {
    let what = match (cause, weight) {
        (NonFinite::Gradient { .. }, Some(weight)) => {
            format!("the gradient of `{weight}` holds NaN or infinite values")
        }
        (NonFinite::Update { .. }, Some(weight)) => {
            format!("the update would make `{weight}` or its optimizer state NaN or infinite")
        }
        _ => cause.to_string(),
    };
    format!(
        "{what} at epoch {epoch}, batch {batch}; training stopped with the weights as they \
         were before that batch's update"
    )
}

impl Error {
    /// The History of a `fit` that stopped with [`Error::NonFinite`]: the epochs that
    /// finished before it.
    pub fn history(&self) -> Option<&History> {
        match self {
            Error::NonFinite { history, .. } => history.as_deref(),
            _ => None,
        }
    }

    /// A shape mismatch, with what was expected and what was found.
    pub fn shape(what: impl Into<String>, expected: impl ToString, actual: impl ToString) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }
}

/// An error about the content of the file at `path`.
pub(crate) fn format_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Format {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// An error of the system reading or writing the file at `path`.
pub(crate) fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Names as a list in backquotes: "`a`, `b`, `c`".
pub(crate) fn quoted_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// " Did you mean `val_accuracy`?" when a name in `known` is near enough to `wrong` to be a
/// typo of it (as `val_acuracy` is), else nothing.
pub(crate) fn did_you_mean<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let limit = (wrong.chars().count() / 3).max(2);
    known
        .into_iter()
        .filter(|name| *name != wrong)
        .map(|name| (strsim::levenshtein(wrong, name), name))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| format!(" Did you mean `{name}`?"))
        .unwrap_or_default()
}
