//! The names a declaration may use, and the nearest valid name for a misspelt one.

/// The layers, as written in a declaration.
pub const LAYERS: &[&str] = &[
    "Dense",
    "Flatten",
    "Dropout",
    "Activation",
    "concatenate",
    "add",
];

/// The activations, with the runtime type implementing each.
pub const ACTIVATIONS: &[(&str, &str)] = &[
    ("linear", "Linear"),
    ("relu", "Relu"),
    ("sigmoid", "Sigmoid"),
    ("tanh", "Tanh"),
    ("softmax", "Softmax"),
    ("elu", "Elu"),
    ("selu", "Selu"),
    ("leaky_relu", "LeakyRelu"),
    ("gelu", "Gelu"),
    ("swish", "Swish"),
    ("softplus", "Softplus"),
];

/// A loss: its declared name, the runtime type, and what it demands of its output.
pub struct LossInfo {
    pub name: &'static str,
    pub type_name: &'static str,
    /// Targets are class labels rather than values.
    pub sparse: bool,
    /// The fewest output units it makes sense on.
    pub min_units: usize,
    /// The most output units it makes sense on.
    pub max_units: usize,
    /// The activation it fuses with when computed from logits, as Keras does.
    pub fuses_with: Option<&'static str>,
}

/// The losses.
pub const LOSSES: &[LossInfo] = &[
    LossInfo {
        name: "sparse_categorical_crossentropy",
        type_name: "SparseCategoricalCrossentropy",
        sparse: true,
        min_units: 2,
        max_units: usize::MAX,
        fuses_with: Some("softmax"),
    },
    LossInfo {
        name: "categorical_crossentropy",
        type_name: "CategoricalCrossentropy",
        sparse: false,
        min_units: 2,
        max_units: usize::MAX,
        fuses_with: Some("softmax"),
    },
    LossInfo {
        name: "binary_crossentropy",
        type_name: "BinaryCrossentropy",
        sparse: false,
        min_units: 1,
        max_units: 1,
        fuses_with: Some("sigmoid"),
    },
    LossInfo {
        name: "mse",
        type_name: "MeanSquaredError",
        sparse: false,
        min_units: 1,
        max_units: usize::MAX,
        fuses_with: None,
    },
    LossInfo {
        name: "mae",
        type_name: "MeanAbsoluteError",
        sparse: false,
        min_units: 1,
        max_units: usize::MAX,
        fuses_with: None,
    },
    LossInfo {
        name: "huber",
        type_name: "Huber",
        sparse: false,
        min_units: 1,
        max_units: usize::MAX,
        fuses_with: None,
    },
];

/// The weight initializers, with the runtime variant of each.
pub const INITIALIZERS: &[(&str, &str)] = &[
    ("glorot_uniform", "GlorotUniform"),
    ("glorot_normal", "GlorotNormal"),
    ("he_uniform", "HeUniform"),
    ("he_normal", "HeNormal"),
    ("lecun_uniform", "LecunUniform"),
    ("lecun_normal", "LecunNormal"),
    ("zeros", "Zeros"),
    ("ones", "Ones"),
];

/// The runtime type of activation `name`.
pub fn activation_type(name: &str) -> Option<&'static str> {
    lookup(ACTIVATIONS, name)
}

/// The loss called `name`.
pub fn loss(name: &str) -> Option<&'static LossInfo> {
    LOSSES.iter().find(|loss| loss.name == name)
}

/// The runtime variant of initializer `name`.
pub fn initializer_variant(name: &str) -> Option<&'static str> {
    lookup(INITIALIZERS, name)
}

fn lookup(table: &[(&str, &'static str)], name: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, value)| *value)
}

/// The names of a table.
pub fn names<'a>(table: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = &'a str> + 'a {
    table.iter().map(|(name, _)| *name)
}

/// "; did you mean `x`?" for the candidate nearest to `wrong`, or a list of all of them when
/// none is near.
pub fn suggestion<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let nearest = candidates
        .iter()
        .map(|candidate| {
            (
                strsim::levenshtein(&wrong.to_lowercase(), &candidate.to_lowercase()),
                candidate,
            )
        })
        .min_by_key(|(distance, _)| *distance);
    match nearest {
        Some((distance, candidate)) if distance <= (wrong.len().max(3) / 3).max(2) => {
            format!("; did you mean `{candidate}`?")
        }
        _ if candidates.is_empty() => String::new(),
        _ => format!(
            "; expected one of {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_or_lists_all() {
        assert_eq!(
            suggestion("Dens", LAYERS.iter().copied()),
            "; did you mean `Dense`?"
        );
        assert!(
            suggestion("Conv2D", LAYERS.iter().copied()).starts_with("; expected one of `Dense`")
        );
        assert_eq!(
            suggestion(
                "sparse_categorical_crossentropi",
                LOSSES.iter().map(|l| l.name)
            ),
            "; did you mean `sparse_categorical_crossentropy`?"
        );
    }
}
