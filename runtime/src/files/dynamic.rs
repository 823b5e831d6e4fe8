//! `load_model`: a file whose architecture Rust has not seen, read into a
//! [`DynamicModel`] built from its config with the same checks as one built in code.

use std::path::Path;

use super::keras_config::{Architecture, LayerKind, TrainingSpec};
use super::{format_error, of_file, read_model, restore_from};
use crate::dynamic::{
    activation, add, concatenate, dense, dropout, flatten, layer, DynamicModel, Functional, Layer,
    NodeId,
};
use crate::error::{Error, Result};
use crate::network::DEFAULT_SEED;

/// Keras's `keras.models.load_model`: reads a Keras `.h5` file or `.keras` archive, or a
/// densely file, whatever its architecture, into a [`DynamicModel`] with the file's weights
/// and, when the file has a training config, its losses, compiled optimizer and state, as
/// a declared model's `load` does.
///
/// Errors name what densely doesn't support (a layer class, an activation, a shared layer)
/// or what doesn't fit (a weight's shape, naming the layer and both shapes).
///
/// ```no_run
/// use densely::prelude::*;
///
/// let mut model = densely::load_model("my_keras_model.h5")?;
/// model.summary();
/// let x = Batch::<Shape2<28, 28>>::zeros(8);
/// let probs = model.predict(&x)?;
/// assert_eq!(probs[0].shape(), [8, 10]);
/// # Ok::<(), densely::Error>(())
/// ```
pub fn load_model(path: impl AsRef<Path>) -> Result<DynamicModel> {
    let path = path.as_ref();
    let (file, architecture, training) = read_model(path)?;
    let mut model = functional(&architecture, training.as_ref())
        .build_with_seed(DEFAULT_SEED)
        .map_err(|error| match error {
            Error::Model { reason, .. } => format_error(path, reason),
            other => other,
        })?;
    restore_from(&mut model, path, &file).map_err(|error| of_file(error, path))?;
    Ok(model)
}

/// The file's architecture as a [`Functional`] model, each output with the training
/// config's loss (none when the file has none densely knows).
pub(crate) fn functional(
    architecture: &Architecture,
    training: Option<&TrainingSpec>,
) -> Functional {
    let mut f = Functional::new(&architecture.name);
    if architecture.class_name == "Sequential" {
        f.sequential();
    }
    // The inputs first, in the model's input order (the order `fit` takes them), then the
    // layers in the file's order.
    let mut ids: Vec<Option<NodeId>> = vec![None; architecture.layers.len()];
    for &input in &architecture.inputs {
        let spec = &architecture.layers[input];
        ids[input] = Some(f.input(&spec.name, &spec.shape));
    }
    for (index, spec) in architecture.layers.iter().enumerate() {
        let sources: Vec<NodeId> = spec
            .sources
            .iter()
            .map(|&s| ids[s].expect("sources come before the layers that read them"))
            .collect();
        let layer: Layer = match &spec.kind {
            LayerKind::Input => continue,
            LayerKind::Dense {
                units,
                activation,
                use_bias,
                kernel_initializer,
                bias_initializer,
                rules,
            } => {
                let mut layer = dense(*units)
                    .activation(activation.name())
                    .use_bias(*use_bias)
                    .with_rules(rules);
                if let Some(init) = kernel_initializer {
                    layer = layer.kernel_initializer(init.name());
                }
                if let Some(init) = bias_initializer {
                    layer = layer.bias_initializer(init.name());
                }
                layer
            }
            LayerKind::Flatten => flatten(),
            LayerKind::Dropout { rate } => dropout(*rate),
            LayerKind::Activation(kind) => activation(kind.name()),
            LayerKind::Concatenate => concatenate(),
            LayerKind::Add => add(),
            LayerKind::Op { kind, args } => {
                let spec = kind.spec();
                spec.args
                    .iter()
                    .zip(args)
                    .fold(layer(spec.class), |layer, (arg, value)| {
                        layer.with(arg.name, value.clone())
                    })
            }
        };
        ids[index] = Some(f.apply(layer.named(&spec.name), &sources));
    }
    for (k, &output) in architecture.outputs.iter().enumerate() {
        let node = ids[output].expect("every layer is added");
        let loss = training.and_then(|t| t.losses[k].clone());
        let weight = training.map_or(1.0, |t| t.loss_weights[k]);
        match loss {
            Some(loss) => {
                f.output(node, loss, weight);
            }
            None => f.output_without_loss(node, weight),
        }
    }
    f
}
