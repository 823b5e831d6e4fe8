//! The losses, one entry each: the name a declaration writes, Keras's names for it, the
//! targets it takes, the outputs it fits and its arguments.

use crate::value::{check_arguments, ArgError, ArgSpec, ArgType, Value};

/// A loss Keras computes and densely too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LossKind {
    /// Keras's `sparse_categorical_crossentropy`: class labels against class probabilities.
    SparseCategoricalCrossentropy,
    /// Keras's `categorical_crossentropy`: one-hot (or soft) targets against probabilities.
    CategoricalCrossentropy,
    /// Keras's `binary_crossentropy`: values in `[0, 1]` against probabilities.
    BinaryCrossentropy,
    /// Keras's `mean_squared_error`.
    MeanSquaredError,
    /// Keras's `mean_absolute_error`.
    MeanAbsoluteError,
    /// Keras's `huber`: quadratic within `delta` of the target, linear beyond.
    Huber,
    /// Keras's `hinge`: `max(1 - t y, 0)`, with 0/1 targets read as -1/1.
    Hinge,
    /// Keras's `squared_hinge`: `max(1 - t y, 0)²`, with 0/1 targets read as -1/1.
    SquaredHinge,
    /// Keras's `categorical_hinge`: `max(max_{t=0} y - Σ t y + 1, 0)` for one-hot targets.
    CategoricalHinge,
    /// Keras's `log_cosh`: `ln cosh(y - t)`.
    LogCosh,
    /// Keras's `kl_divergence`: `Σ t ln(t / y)`, both clipped to `[1e-7, 1]`.
    KlDivergence,
    /// Keras's `poisson`: `y - t ln(y + 1e-7)`.
    Poisson,
    /// Keras's `mean_absolute_percentage_error`: `100 |t - y| / max(|t|, 1e-7)`.
    MeanAbsolutePercentageError,
    /// Keras's `mean_squared_logarithmic_error`: `(ln(y + 1) - ln(t + 1))²`.
    MeanSquaredLogarithmicError,
    /// Keras's `cosine_similarity`: minus the cosine of the angle between `y` and `t`.
    CosineSimilarity,
}

/// What a loss's targets are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// One class label per sample.
    Classes,
    /// As many values per sample as the output has units.
    Values,
}

/// The one description of a loss.
#[derive(Debug)]
pub struct LossSpec {
    /// The loss.
    pub kind: LossKind,
    /// The name a `model!` declaration writes first: `mse`, `hinge`.
    pub name: &'static str,
    /// Keras's function name, which Keras writes into training configs:
    /// `mean_squared_error`.
    pub function: &'static str,
    /// Keras's class name: `MeanSquaredError`.
    pub class: &'static str,
    /// The `name` an instance of Keras's class has by default, which its config holds:
    /// the function name, except Huber's `huber_loss`.
    pub object_name: &'static str,
    /// The other names Keras 3's `keras.losses.get` knows it by (`MSE`, `kld`).
    pub aliases: &'static [&'static str],
    /// Names only tf-keras writes (`logcosh`, `huber_loss`): read from files, not declared.
    pub legacy: &'static [&'static str],
    /// What its targets are.
    pub targets: Targets,
    /// The fewest output units it makes sense on.
    pub min_units: usize,
    /// The most output units it makes sense on, if there is a limit.
    pub max_units: Option<usize>,
    /// The output activation whose logits it takes instead of its probabilities, as Keras
    /// does, when the output ends in that activation.
    pub fuses_with: Option<&'static str>,
    /// Its arguments, as Keras's class takes them by name.
    pub args: &'static [ArgSpec],
    /// What it computes, in a line.
    pub doc: &'static str,
}

const FROM_LOGITS: ArgSpec = ArgSpec {
    name: "from_logits",
    ty: ArgType::Bool,
    default: Value::Bool(false),
    keras2_name: None,
    doc: "whether the output gives logits rather than probabilities",
};

const LABEL_SMOOTHING: ArgSpec = ArgSpec {
    name: "label_smoothing",
    ty: ArgType::Rate,
    default: Value::Float(0.0),
    keras2_name: None,
    doc: "how far the targets are moved toward the uniform distribution",
};

const DELTA: ArgSpec = ArgSpec {
    name: "delta",
    ty: ArgType::Float { min: Some(0.0) },
    default: Value::Float(1.0),
    keras2_name: None,
    doc: "the distance from the target where the loss turns from quadratic to linear",
};

/// A loss on values, of any number of units, with no arguments.
const fn on_values(
    kind: LossKind,
    name: &'static str,
    function: &'static str,
    class: &'static str,
    aliases: &'static [&'static str],
    legacy: &'static [&'static str],
    doc: &'static str,
) -> LossSpec {
    LossSpec {
        kind,
        name,
        function,
        class,
        object_name: function,
        aliases,
        legacy,
        targets: Targets::Values,
        min_units: 1,
        max_units: None,
        fuses_with: None,
        args: &[],
        doc,
    }
}

/// Every loss, in [`LossKind`]'s order.
pub static LOSSES: [LossSpec; 15] = [
    LossSpec {
        kind: LossKind::SparseCategoricalCrossentropy,
        name: "sparse_categorical_crossentropy",
        function: "sparse_categorical_crossentropy",
        object_name: "sparse_categorical_crossentropy",
        class: "SparseCategoricalCrossentropy",
        aliases: &[],
        legacy: &[],
        targets: Targets::Classes,
        min_units: 2,
        max_units: None,
        fuses_with: Some("softmax"),
        args: &[FROM_LOGITS],
        doc: "the cross-entropy of class labels against class probabilities",
    },
    LossSpec {
        kind: LossKind::CategoricalCrossentropy,
        name: "categorical_crossentropy",
        function: "categorical_crossentropy",
        object_name: "categorical_crossentropy",
        class: "CategoricalCrossentropy",
        aliases: &[],
        legacy: &[],
        targets: Targets::Values,
        min_units: 2,
        max_units: None,
        fuses_with: Some("softmax"),
        args: &[FROM_LOGITS, LABEL_SMOOTHING],
        doc: "the cross-entropy of one-hot targets against class probabilities",
    },
    LossSpec {
        kind: LossKind::BinaryCrossentropy,
        name: "binary_crossentropy",
        function: "binary_crossentropy",
        object_name: "binary_crossentropy",
        class: "BinaryCrossentropy",
        aliases: &["bce", "BCE"],
        legacy: &[],
        targets: Targets::Values,
        min_units: 1,
        max_units: Some(1),
        fuses_with: Some("sigmoid"),
        args: &[FROM_LOGITS, LABEL_SMOOTHING],
        doc: "the cross-entropy of a target in [0, 1] against a probability",
    },
    on_values(
        LossKind::MeanSquaredError,
        "mse",
        "mean_squared_error",
        "MeanSquaredError",
        &["MSE"],
        &[],
        "the mean of (y - t)²",
    ),
    on_values(
        LossKind::MeanAbsoluteError,
        "mae",
        "mean_absolute_error",
        "MeanAbsoluteError",
        &["MAE"],
        &[],
        "the mean of |y - t|",
    ),
    LossSpec {
        args: &[DELTA],
        object_name: "huber_loss",
        ..on_values(
            LossKind::Huber,
            "huber",
            "huber",
            "Huber",
            &[],
            &["huber_loss"],
            "quadratic within `delta` of the target, linear beyond",
        )
    },
    on_values(
        LossKind::Hinge,
        "hinge",
        "hinge",
        "Hinge",
        &[],
        &[],
        "the mean of max(1 - t y, 0), 0/1 targets read as -1/1",
    ),
    on_values(
        LossKind::SquaredHinge,
        "squared_hinge",
        "squared_hinge",
        "SquaredHinge",
        &[],
        &[],
        "the mean of max(1 - t y, 0)², 0/1 targets read as -1/1",
    ),
    LossSpec {
        min_units: 2,
        ..on_values(
            LossKind::CategoricalHinge,
            "categorical_hinge",
            "categorical_hinge",
            "CategoricalHinge",
            &[],
            &[],
            "max(the largest wrong score - the right score + 1, 0)",
        )
    },
    on_values(
        LossKind::LogCosh,
        "log_cosh",
        "log_cosh",
        "LogCosh",
        &[],
        &["logcosh"],
        "the mean of ln cosh(y - t)",
    ),
    on_values(
        LossKind::KlDivergence,
        "kl_divergence",
        "kl_divergence",
        "KLDivergence",
        &["kld", "KLD"],
        &["kullback_leibler_divergence"],
        "Σ t ln(t / y), both clipped to [1e-7, 1]",
    ),
    on_values(
        LossKind::Poisson,
        "poisson",
        "poisson",
        "Poisson",
        &[],
        &[],
        "the mean of y - t ln(y + 1e-7)",
    ),
    on_values(
        LossKind::MeanAbsolutePercentageError,
        "mape",
        "mean_absolute_percentage_error",
        "MeanAbsolutePercentageError",
        &["MAPE"],
        &[],
        "the mean of 100 |t - y| / max(|t|, 1e-7)",
    ),
    on_values(
        LossKind::MeanSquaredLogarithmicError,
        "msle",
        "mean_squared_logarithmic_error",
        "MeanSquaredLogarithmicError",
        &["MSLE"],
        &[],
        "the mean of (ln(max(y, 1e-7) + 1) - ln(max(t, 1e-7) + 1))²",
    ),
    on_values(
        LossKind::CosineSimilarity,
        "cosine_similarity",
        "cosine_similarity",
        "CosineSimilarity",
        &[],
        &[],
        "minus the cosine of the angle between y and t",
    ),
];

impl LossKind {
    /// Every loss, in declaration order.
    pub fn all() -> impl Iterator<Item = LossKind> {
        LOSSES.iter().map(|spec| spec.kind)
    }

    /// The loss's description.
    pub fn spec(self) -> &'static LossSpec {
        &LOSSES[self as usize]
    }

    /// The loss a declaration or Keras 3 calls `name`: its short name (`mse`), function
    /// name (`mean_squared_error`), class name (`MeanSquaredError`) or an alias (`MSE`).
    pub fn from_name(name: &str) -> Option<LossKind> {
        LOSSES
            .iter()
            .find(|spec| spec.names().any(|known| known == name))
            .map(|spec| spec.kind)
    }

    /// The loss a Keras file calls `name`: any name of [`from_name`](Self::from_name), or
    /// one only tf-keras writes (`logcosh`).
    pub fn from_file_name(name: &str) -> Option<LossKind> {
        Self::from_name(name).or_else(|| {
            LOSSES
                .iter()
                .find(|spec| spec.legacy.contains(&name))
                .map(|spec| spec.kind)
        })
    }

    /// The name a declaration writes: `"mse"`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Keras's function name, which training configs hold: `"mean_squared_error"`.
    pub fn keras_name(self) -> &'static str {
        self.spec().function
    }

    /// Whether the targets are class labels rather than values.
    pub fn sparse_targets(self) -> bool {
        self.spec().targets == Targets::Classes
    }
}

impl LossSpec {
    /// Every name a declaration may call it by: its name, function name, class name and
    /// aliases, without repeats.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        let first = [self.name, self.function, self.class];
        first
            .into_iter()
            .enumerate()
            .filter(move |&(index, name)| !first[..index].contains(&name))
            .map(|(_, name)| name)
            .chain(self.aliases.iter().copied())
    }

    /// The argument called `name`, with its position.
    pub fn arg(&self, name: &str) -> Option<(usize, &'static ArgSpec)> {
        self.args.iter().enumerate().find(|(_, a)| a.name == name)
    }

    /// The complete arguments from those `given` by position, each checked and the others
    /// at their defaults.
    pub fn arguments(&self, given: Vec<Option<Value>>) -> Result<Vec<Value>, ArgError> {
        check_arguments(self.class, self.args, given)
    }

    /// The output activation whose logits it takes, given its complete arguments `args`:
    /// none when `from_logits` says the output gives logits already.
    pub fn fuses_with_args(&self, args: &[Value]) -> Option<&'static str> {
        let from_logits = self
            .arg("from_logits")
            .and_then(|(index, _)| args.get(index))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        self.fuses_with.filter(|_| !from_logits)
    }

    /// Whether it fits an output of `units` units; the error says how many it needs.
    pub fn check_units(&self, units: usize) -> Result<(), String> {
        let fits = units >= self.min_units && self.max_units.is_none_or(|max| units <= max);
        if fits {
            return Ok(());
        }
        let wants = match self.max_units {
            Some(max) if max == self.min_units => format!("exactly {max}"),
            _ => format!("at least {}", self.min_units),
        };
        Err(format!("{} needs {wants}", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_finds_its_loss() {
        for kind in LossKind::all() {
            let spec = kind.spec();
            assert_eq!(spec.kind, kind);
            for name in spec.names() {
                assert_eq!(LossKind::from_name(name), Some(kind), "{name}");
            }
            for &name in spec.legacy {
                assert_eq!(LossKind::from_name(name), None, "{name}");
                assert_eq!(LossKind::from_file_name(name), Some(kind), "{name}");
            }
        }
        assert_eq!(LossKind::from_name("mean_squared"), None);
        let names: Vec<_> = LossKind::MeanSquaredError.spec().names().collect();
        assert_eq!(
            names,
            ["mse", "mean_squared_error", "MeanSquaredError", "MSE"]
        );
        let names: Vec<_> = LossKind::Hinge.spec().names().collect();
        assert_eq!(names, ["hinge", "Hinge"]);
    }

    #[test]
    fn units_and_arguments_are_checked() {
        let bce = LossKind::BinaryCrossentropy.spec();
        assert_eq!(bce.check_units(1), Ok(()));
        assert_eq!(
            bce.check_units(3),
            Err("binary_crossentropy needs exactly 1".to_owned())
        );
        let hinge = LossKind::CategoricalHinge.spec();
        assert_eq!(
            hinge.check_units(1),
            Err("categorical_hinge needs at least 2".to_owned())
        );
        let args = bce.arguments(vec![Some(Value::Bool(true))]).unwrap();
        assert_eq!(args, [Value::Bool(true), Value::Float(0.0)]);
        assert_eq!(bce.fuses_with_args(&args), None);
        let args = bce.arguments(vec![]).unwrap();
        assert_eq!(bce.fuses_with_args(&args), Some("sigmoid"));
        let error = bce
            .arguments(vec![None, Some(Value::Float(1.5))])
            .unwrap_err();
        assert_eq!(error.arg, "label_smoothing");
    }
}
