//! The errors densely reports.

use thiserror::Error;

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
    /// A loss that became NaN or infinite while training.
    #[error("the loss became {loss} at epoch {epoch}, batch {batch}; training stopped before applying that batch's update")]
    NonFiniteLoss {
        /// The loss.
        loss: f64,
        /// The epoch, counting from 0.
        epoch: usize,
        /// The batch within the epoch, counting from 0.
        batch: usize,
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

impl Error {
    /// A shape mismatch, with what was expected and what was found.
    pub fn shape(what: impl Into<String>, expected: impl ToString, actual: impl ToString) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }
}
