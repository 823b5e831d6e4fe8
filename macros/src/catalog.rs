//! The names a declaration may use, and the nearest valid name for a misspelt one.

/// Every layer a declaration may name: those with code of their own ([`LAYERS`]) and those
/// described in [`densely_spec::KINDS`].
pub fn layer_names() -> impl Iterator<Item = &'static str> {
    LAYERS
        .iter()
        .copied()
        .chain(densely_spec::KINDS.iter().map(|spec| spec.dsl))
}

/// The layers with code of their own, as written in a declaration.
pub const LAYERS: &[&str] = &[
    "Dense",
    "Flatten",
    "Dropout",
    "Activation",
    "concatenate",
    "add",
];

/// The options a statement takes after its layer: `loss = ...`, `weight = ...`, `name = "..."`.
pub const OPTIONS: &[&str] = &["loss", "weight", "name", "trainable"];

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

/// Every name a loss may be declared with.
pub fn loss_names() -> impl Iterator<Item = &'static str> {
    densely_spec::LOSSES.iter().flat_map(|loss| loss.names())
}

/// Arguments of Keras's `Dense` that densely does not implement: named as unsupported rather
/// than answered with a near name of another argument.
pub const UNSUPPORTED_ARGUMENTS: &[&str] =
    &["activity_regularizer", "lora_rank", "lora_alpha", "dtype"];

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

/// The candidate near enough to `wrong` to be what was meant.
pub fn nearest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::levenshtein(&wrong.to_lowercase(), &candidate.to_lowercase()),
                candidate,
            )
        })
        .min_by_key(|(distance, _)| *distance)
        .filter(|(distance, _)| *distance <= (wrong.len().max(3) / 3).max(2))
        .map(|(_, candidate)| candidate)
}

/// "; did you mean `x`?" for the candidate nearest to `wrong`, or a list of all of them when
/// none is near.
pub fn suggestion<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    match nearest(wrong, candidates.iter().copied()) {
        Some(candidate) => format!("; did you mean `{candidate}`?"),
        None if candidates.is_empty() => String::new(),
        None => format!(
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
                densely_spec::LOSSES.iter().map(|l| l.name)
            ),
            "; did you mean `sparse_categorical_crossentropy`?"
        );
    }

    /// Every name Keras's `keras.losses.get` accepts (recorded by
    /// `tools/keras_loss_aliases.py`) means here the loss its target means, or nothing when
    /// densely lacks that loss; and every name here is one Keras knows.
    #[test]
    fn loss_names_are_keras_names() {
        use densely_spec::LossKind;
        let table = include_str!("../../tests/fixtures/keras/loss_names.txt");
        let mut keras_names = Vec::new();
        for line in table.lines().filter(|line| !line.starts_with('#')) {
            let (name, target) = line.split_once(' ').unwrap();
            keras_names.push(name);
            assert_eq!(
                LossKind::from_name(name),
                LossKind::from_name(target),
                "{name}"
            );
        }
        for name in loss_names() {
            assert!(keras_names.contains(&name), "{name} is no Keras name");
        }
        assert_eq!(LossKind::all().count(), densely_spec::LOSSES.len());
    }
}
