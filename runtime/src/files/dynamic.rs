//! The dynamic model: a Keras file whose architecture Rust has not seen, built at run time
//! from the same layers (Dense, Flatten, Dropout, Activation, Concatenate, Add, InputLayer) for
//! `summary`, `predict` and `evaluate`.

use std::path::Path;

use super::keras_config::{elements, Architecture, LayerKind, LayerSpec};
use super::{format_error, read_model, FileLayer};
use crate::error::{Error, Result};
use crate::linalg::{gemm, Mat};
use crate::loss::{self, Loss, LossKind};
use crate::network::TargetView;
use crate::summary::{render_table, KerasLayout, Row};
use crate::training::Logs;

/// A Dense layer's kernel and bias, for each layer of a dynamic model (none for the others).
type LayerWeights = Option<(Vec<f32>, Option<Vec<f32>>)>;

/// A model read from a file, its graph interpreted at run time: Keras's
/// `keras.models.load_model` for architectures no `model!` declares.
///
/// Inputs and outputs are flat `f32` slices, one sample after another (row-major), in the
/// model's input and output order.
///
/// ```no_run
/// let model = densely::load_model("my_keras_model.h5")?;
/// println!("{}", model.summary());
/// let wide = vec![0.0f32; 5 * 8];
/// let deep = vec![0.0f32; 6 * 8];
/// let outputs = model.predict(&[&wide, &deep])?;
/// assert_eq!(outputs.len(), model.output_names().len());
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DynamicModel {
    architecture: Architecture,
    /// Per layer: its kernel and bias (Dense only).
    weights: Vec<LayerWeights>,
    losses: Vec<Option<LossKind>>,
    loss_weights: Vec<f32>,
    keras_version: Option<String>,
}

/// One layer of a [`DynamicModel`], as [`DynamicModel::layers`] lists them.
#[derive(Clone, Copy, Debug)]
pub struct DynamicLayer<'a> {
    /// The layer's name.
    pub name: &'a str,
    /// What it computes.
    pub kind: &'a LayerKind,
    /// The shape of one sample of its output.
    pub shape: &'a [usize],
    /// The layers it reads.
    pub sources: &'a [usize],
    /// Its kernel (row-major `(input_dim, units)`), for a Dense layer.
    pub kernel: Option<&'a [f32]>,
    /// Its bias, for a Dense layer with one.
    pub bias: Option<&'a [f32]>,
}

/// Loads a Keras `.h5` file or `.keras` archive (or a densely file) whose architecture Rust
/// has not seen, for `summary`, `predict` and `evaluate`.
///
/// Errors name what the dynamic model doesn't support (a layer class, an activation, a
/// shared layer) or what doesn't fit (a weight's shape, naming the layer and both shapes).
pub fn load_model(path: impl AsRef<Path>) -> Result<DynamicModel> {
    let path = path.as_ref();
    let (file, architecture, training) = read_model(path)?;
    let outputs = architecture.outputs.len();
    let (losses, loss_weights) = match training {
        Some(spec) => (spec.losses, spec.loss_weights),
        None => (vec![None; outputs], vec![1.0; outputs]),
    };
    let weights = attach_weights(path, &architecture, &file.layers)?;
    Ok(DynamicModel {
        architecture,
        weights,
        losses,
        loss_weights,
        keras_version: file.keras_version,
    })
}

/// Pairs the file's weights with the architecture's Dense layers, by name (they come from
/// the same file), checking every shape.
fn attach_weights(
    path: &Path,
    architecture: &Architecture,
    layers: &[FileLayer],
) -> Result<Vec<LayerWeights>> {
    let mut weights = Vec::with_capacity(architecture.layers.len());
    for layer in &architecture.layers {
        let file_layer = layers.iter().find(|l| l.name == layer.name);
        let LayerKind::Dense {
            units, use_bias, ..
        } = layer.kind
        else {
            if let Some(file_layer) = file_layer.filter(|l| !l.weights.is_empty()) {
                return Err(format_error(
                    path,
                    format!(
                        "layer `{}` ({}) has {} weights in the file but takes none",
                        layer.name,
                        layer.kind.class_name(),
                        file_layer.weights.len()
                    ),
                ));
            }
            weights.push(None);
            continue;
        };
        let input = layer
            .sources
            .first()
            .and_then(|&s| architecture.layers[s].shape.last().copied())
            .unwrap_or(0);
        let file_layer = file_layer.ok_or_else(|| {
            format_error(
                path,
                format!("layer `{}` has no weights in the file", layer.name),
            )
        })?;
        let expected: Vec<Vec<usize>> = if use_bias {
            vec![vec![input, units], vec![units]]
        } else {
            vec![vec![input, units]]
        };
        if file_layer.weights.len() != expected.len() {
            return Err(format_error(
                path,
                format!(
                    "layer `{}` has {} weights, not {}",
                    layer.name,
                    file_layer.weights.len(),
                    expected.len()
                ),
            ));
        }
        for (tensor, shape) in file_layer.weights.iter().zip(&expected) {
            if tensor.shape != *shape {
                return Err(format_error(
                    path,
                    format!(
                        "layer `{}` weight `{}` has shape {:?}, but the architecture makes it {shape:?}",
                        layer.name, tensor.name, tensor.shape
                    ),
                ));
            }
        }
        let kernel = file_layer.weights[0].values.clone();
        let bias = use_bias.then(|| file_layer.weights[1].values.clone());
        weights.push(Some((kernel, bias)));
    }
    Ok(weights)
}

/// The sum over `rows` of a loss, for targets of the right kind.
fn loss_sum(kind: LossKind, y: &[f32], targets: TargetView<'_>, units: usize) -> Option<f64> {
    Some(match (kind, targets) {
        (LossKind::SparseCategoricalCrossentropy, TargetView::Classes(t)) => {
            loss::SparseCategoricalCrossentropy::loss(y, t, units)
        }
        (LossKind::CategoricalCrossentropy, TargetView::Values(t)) => {
            loss::CategoricalCrossentropy::loss(y, t, units)
        }
        (LossKind::BinaryCrossentropy, TargetView::Values(t)) => {
            loss::BinaryCrossentropy::loss(y, t, units)
        }
        (LossKind::MeanSquaredError, TargetView::Values(t)) => {
            loss::MeanSquaredError::loss(y, t, units)
        }
        (LossKind::MeanAbsoluteError, TargetView::Values(t)) => {
            loss::MeanAbsoluteError::loss(y, t, units)
        }
        (LossKind::Huber, TargetView::Values(t)) => loss::Huber::loss(y, t, units),
        _ => return None,
    })
}

impl DynamicModel {
    /// The architecture, as read from the file.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// The Keras version that wrote the file, if it says.
    pub fn keras_version(&self) -> Option<&str> {
        self.keras_version.as_deref()
    }

    /// Every layer, inputs included, in topological order.
    pub fn layers(&self) -> Vec<DynamicLayer<'_>> {
        self.architecture
            .layers
            .iter()
            .zip(&self.weights)
            .map(|(layer, weights)| DynamicLayer {
                name: &layer.name,
                kind: &layer.kind,
                shape: &layer.shape,
                sources: &layer.sources,
                kernel: weights.as_ref().map(|(k, _)| k.as_slice()),
                bias: weights.as_ref().and_then(|(_, b)| b.as_deref()),
            })
            .collect()
    }

    /// The names of the inputs, in the order `predict` takes them.
    pub fn input_names(&self) -> Vec<&str> {
        self.architecture.input_names()
    }

    /// The shape of one sample of each input.
    pub fn input_shapes(&self) -> Vec<&[usize]> {
        self.architecture
            .inputs
            .iter()
            .map(|&i| self.architecture.layers[i].shape.as_slice())
            .collect()
    }

    /// The names of the outputs, in the order `predict` returns them.
    pub fn output_names(&self) -> Vec<&str> {
        self.architecture.output_names()
    }

    /// The shape of one sample of each output.
    pub fn output_shapes(&self) -> Vec<&[usize]> {
        self.architecture
            .outputs
            .iter()
            .map(|&i| self.architecture.layers[i].shape.as_slice())
            .collect()
    }

    /// Per output, its loss (when the file has a training config densely understands) and
    /// its weight.
    pub fn losses(&self) -> Vec<(Option<LossKind>, f32)> {
        self.losses
            .iter()
            .copied()
            .zip(self.loss_weights.iter().copied())
            .collect()
    }

    /// The number of parameters.
    pub fn count_params(&self) -> usize {
        (0..self.architecture.layers.len())
            .map(|i| self.architecture.params(i))
            .sum()
    }

    /// The table Keras 3's `model.summary()` prints for the file's model, character for
    /// character: see [`crate::summary`].
    pub fn summary(&self) -> String {
        let layers = &self.architecture.layers;
        let layout = if self.architecture.class_name == "Sequential" {
            KerasLayout {
                sequential: true,
                connections: false,
                rows: (0..layers.len())
                    .filter(|&i| layers[i].kind != LayerKind::Input)
                    .collect(),
            }
        } else {
            let sources: Vec<&[usize]> = layers.iter().map(|l| l.sources.as_slice()).collect();
            KerasLayout::functional(&sources, &self.architecture.outputs)
        };
        let rows: Vec<Row> = layout
            .rows
            .iter()
            .map(|&i| Row {
                name: layers[i].name.clone(),
                class_name: layers[i].kind.class_name().to_owned(),
                shape: layers[i].shape.clone(),
                params: self.architecture.params(i),
                sources: layers[i]
                    .sources
                    .iter()
                    .map(|&s| layers[s].name.clone())
                    .collect(),
            })
            .collect();
        render_table(&self.architecture.name, &rows, layout.connections, None)
    }

    /// The number of samples in `inputs`, checked against every input's shape.
    fn samples(&self, inputs: &[&[f32]]) -> Result<usize> {
        let names = self.input_names();
        if inputs.len() != names.len() {
            return Err(Error::Argument {
                argument: "x",
                reason: format!(
                    "the model takes {} inputs ({}), {} given",
                    names.len(),
                    names.join(", "),
                    inputs.len()
                ),
            });
        }
        let mut samples = None;
        for ((input, name), shape) in inputs.iter().zip(&names).zip(self.input_shapes()) {
            let per_sample = elements(shape).unwrap_or(usize::MAX);
            if input.len() % per_sample != 0 {
                return Err(Error::shape(
                    format!("input `{name}`"),
                    format!("a multiple of {per_sample} values ({shape:?} per sample)"),
                    format!("{} values", input.len()),
                ));
            }
            let count = input.len() / per_sample;
            match samples {
                Some(s) if s != count => {
                    return Err(Error::shape(
                        format!("input `{name}`"),
                        format!("{s} samples"),
                        format!("{count} samples"),
                    ))
                }
                _ => samples = Some(count),
            }
        }
        Ok(samples.unwrap_or(0))
    }

    /// The outputs of every layer for `samples` samples.
    fn run(&self, inputs: &[&[f32]], samples: usize) -> Vec<Vec<f32>> {
        let layers = &self.architecture.layers;
        let mut values: Vec<Vec<f32>> = Vec::with_capacity(layers.len());
        for (index, layer) in layers.iter().enumerate() {
            let output = self.layer_forward(index, layer, &values, inputs, samples);
            values.push(output);
        }
        values
    }

    fn layer_forward(
        &self,
        index: usize,
        layer: &LayerSpec,
        values: &[Vec<f32>],
        inputs: &[&[f32]],
        samples: usize,
    ) -> Vec<f32> {
        let layers = &self.architecture.layers;
        let source = |k: usize| values[layer.sources[k]].as_slice();
        let last = |shape: &[usize]| shape.last().copied().unwrap_or(1).max(1);
        match &layer.kind {
            LayerKind::Input => {
                let position = self
                    .architecture
                    .inputs
                    .iter()
                    .position(|&i| i == index)
                    .expect("every InputLayer is an input");
                inputs[position].to_vec()
            }
            LayerKind::Dense {
                units, activation, ..
            } => {
                let x = source(0);
                let input = last(&layers[layer.sources[0]].shape);
                let rows = x.len() / input;
                let (kernel, bias) = self.weights[index]
                    .as_ref()
                    .expect("Dense layers have weights");
                let mut z = vec![0.0; rows * units];
                gemm(
                    &mut z,
                    Mat::new(kernel, *units, input),
                    Mat::new(x, input, rows),
                    0.0,
                );
                if let Some(bias) = bias {
                    for row in z.chunks_exact_mut(*units) {
                        row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
                    }
                }
                let mut y = vec![0.0; z.len()];
                activation.forward(&z, &mut y, *units);
                y
            }
            LayerKind::Flatten | LayerKind::Dropout { .. } => source(0).to_vec(),
            LayerKind::Activation(activation) => {
                let x = source(0);
                let mut y = vec![0.0; x.len()];
                activation.forward(x, &mut y, last(&layer.shape));
                y
            }
            LayerKind::Concatenate => {
                let widths: Vec<usize> = layer
                    .sources
                    .iter()
                    .map(|&s| last(&layers[s].shape))
                    .collect();
                let total: usize = widths.iter().sum();
                let rows = source(0).len() / widths[0];
                let mut y = Vec::with_capacity(rows * total);
                for row in 0..rows {
                    for (k, &width) in widths.iter().enumerate() {
                        y.extend_from_slice(&source(k)[row * width..(row + 1) * width]);
                    }
                }
                let _ = samples;
                y
            }
            LayerKind::Add => {
                let mut y = source(0).to_vec();
                for k in 1..layer.sources.len() {
                    y.iter_mut().zip(source(k)).for_each(|(a, b)| *a += b);
                }
                y
            }
        }
    }

    /// Predicts every sample: one flat slice per input (`samples x input size` values, in
    /// input order) in, one flat vector per output out, 32 samples at a time as Keras's
    /// `predict` batches them.
    pub fn predict(&self, inputs: &[&[f32]]) -> Result<Vec<Vec<f32>>> {
        self.predict_batched(inputs, 32)
    }

    /// [`DynamicModel::predict`] with another batch size.
    pub fn predict_batched(&self, inputs: &[&[f32]], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        if batch_size == 0 {
            return Err(Error::Argument {
                argument: "batch_size",
                reason: "must be at least 1".into(),
            });
        }
        let samples = self.samples(inputs)?;
        let sizes: Vec<usize> = self
            .input_shapes()
            .iter()
            .map(|s| elements(s).unwrap_or(1))
            .collect();
        let mut outputs: Vec<Vec<f32>> = self
            .output_shapes()
            .iter()
            .map(|s| Vec::with_capacity(samples * elements(s).unwrap_or(1)))
            .collect();
        let mut start = 0;
        while start < samples {
            let end = (start + batch_size).min(samples);
            let batch: Vec<&[f32]> = inputs
                .iter()
                .zip(&sizes)
                .map(|(input, &size)| &input[start * size..end * size])
                .collect();
            let values = self.run(&batch, end - start);
            for (output, &node) in outputs.iter_mut().zip(&self.architecture.outputs) {
                output.extend_from_slice(&values[node]);
            }
            start = end;
        }
        Ok(outputs)
    }

    /// Keras's `evaluate`: the weighted loss of the file's training config (`loss`) and, for
    /// several outputs, each output's loss (`NAME_loss`). `targets` holds one
    /// [`TargetView`] per output: class labels for sparse categorical cross-entropy, values
    /// (`samples x output size`) otherwise.
    pub fn evaluate(&self, inputs: &[&[f32]], targets: &[TargetView<'_>]) -> Result<Logs> {
        let samples = self.samples(inputs)?;
        let names = self.output_names();
        if targets.len() != names.len() {
            return Err(Error::Argument {
                argument: "y",
                reason: format!(
                    "the model has {} outputs ({}), {} targets given",
                    names.len(),
                    names.join(", "),
                    targets.len()
                ),
            });
        }
        if samples == 0 {
            return Err(Error::Argument {
                argument: "x",
                reason: "holds no samples".into(),
            });
        }
        let predictions = self.predict(inputs)?;
        let shapes = self.output_shapes();
        let mut total = 0.0;
        let mut per_output = Vec::new();
        for (k, (&target, prediction)) in targets.iter().zip(&predictions).enumerate() {
            let kind = self.losses[k].ok_or_else(|| Error::Argument {
                argument: "loss",
                reason: format!(
                    "the file gives output `{}` no loss densely knows; evaluate needs one",
                    names[k]
                ),
            })?;
            let units = shapes[k].last().copied().unwrap_or(1);
            let rows = prediction.len() / units.max(1);
            let expected = match target {
                TargetView::Classes(_) => rows,
                TargetView::Values(_) => prediction.len(),
            };
            let given = match target {
                TargetView::Classes(t) => t.len(),
                TargetView::Values(t) => t.len(),
            };
            if given != expected {
                return Err(Error::shape(
                    format!("targets of `{}`", names[k]),
                    format!("{expected} values"),
                    format!("{given} values"),
                ));
            }
            if let TargetView::Classes(labels) = target {
                if let Some((index, &label)) = labels
                    .iter()
                    .enumerate()
                    .find(|(_, &l)| l as usize >= units)
                {
                    return Err(Error::Label {
                        label,
                        index,
                        classes: units,
                    });
                }
            }
            let sum = loss_sum(kind, prediction, target, units).ok_or_else(|| Error::Argument {
                argument: "y",
                reason: format!(
                    "output `{}` is trained with {}, which takes {} targets",
                    names[k],
                    kind.keras_name(),
                    if kind.sparse_targets() {
                        "class-label"
                    } else {
                        "value"
                    }
                ),
            })?;
            let mean = sum / rows as f64;
            total += f64::from(self.loss_weights[k]) * mean;
            per_output.push((format!("{}_loss", names[k]), mean));
        }
        let mut pairs = vec![("loss".to_owned(), total)];
        if per_output.len() > 1 {
            pairs.extend(per_output);
        }
        Ok(Logs::from_pairs(pairs))
    }
}
