//! Model files: Keras's legacy HDF5 layout (`.h5`, `.hdf5`), Keras 3's `.keras` archives and
//! densely's native format (any other extension, `.densely` by convention), both ways.
//!
//! - [`Save::save`] / [`Save::load`] keep the architecture, the weights, the training config,
//!   the optimizer state and each Dropout generator's position, so training resumed from a
//!   file is bit for bit the training that did not stop; [`Save::save_weights`] /
//!   [`Save::load_weights`] keep the weights alone. The format follows the extension when
//!   saving and the file's first bytes when loading.
//! - Files Keras 2 (tf-keras) and Keras 3 write load into the matching `model!` struct: layers
//!   pair by name when every name matches, else by position among the layers with weights, as
//!   Keras pairs them; every shape is checked and a mismatch names the layer and both shapes.
//! - `.h5` files densely writes use Keras 2's layout, which `keras.models.load_model` loads in
//!   both tf-keras 2 and Keras 3 (see [`KerasFlavor`] for the optimizer state); `.keras`
//!   archives load in Keras 3, compiled, with the optimizer's iteration count and slots.
//! - [`load_model`] reads a Keras file whose architecture Rust has not seen into a
//!   [`DynamicModel`](crate::DynamicModel), which trains, evaluates and saves as a declared
//!   model does, and [`declaration`] prints the `model!` declaration that matches it.
//! - Writes are atomic ([`crate::io::write_atomically`]); a truncated, corrupted or foreign
//!   file is an error, never a panic.
//!
//! ```
//! use densely::prelude::*;
//!
//! model! {
//!     struct Tiny {
//!         input x: [3];
//!         hidden = Dense(4, relu);
//!         output y = Dense(1), loss = mse;
//!     }
//! }
//!
//! let dir = std::env::temp_dir().join(format!("densely-doc-files-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let mut model = Tiny::new();
//! model.compile(Adam::new(0.01), [Metric::Mae]);
//! let x = Batch::<Shape1<3>>::from_vec(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6])?;
//! let y = Batch::<Shape1<1>>::from_vec(vec![1.0, 2.0])?;
//! model.fit(&x, &y, FitOptions::default().epochs(2).verbose(0))?;
//!
//! for name in ["tiny.h5", "tiny.keras", "tiny.densely"] {
//!     let path = dir.join(name);
//!     model.save(&path)?;
//!     let mut back = Tiny::load(&path)?;
//!     assert_eq!(back.predict(&x)?.as_slice(), model.predict(&x)?.as_slice());
//!     assert_eq!(back.optimizer().unwrap().iterations(), 2);
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod declaration;
mod dynamic;
mod h5;
mod keras_archive;
pub mod keras_config;
mod native;

use std::fs;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::graph::{Graph, NodeKind};
use crate::layers::GeneratorState;
use crate::network::{Declared, Network};
use crate::optimizers::Optimizer;

pub use declaration::{declaration, declaration_as, declaration_of};
pub use dynamic::load_model;
pub use keras_config::{Architecture, LayerKind, LayerSpec, TrainingSpec};

use h5::{H5Contents, Layout, NamedArray, Values};
use keras_config::ConfigStyle;
use native::{NativeFile, NativeKind};

pub(crate) use crate::error::format_error;
use crate::error::io_error;

/// The weights of one layer as a file holds them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileLayer {
    /// The layer's name in the file.
    pub name: String,
    /// Its tensors, in Keras's order (kernel, then bias).
    pub weights: Vec<FileTensor>,
}

/// One tensor of a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileTensor {
    /// Its name in the file: `dense/kernel:0`, `sequential/dense/kernel`, `0`, `kernel`.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f32>,
    /// Whether Keras keeps it as integers (Normalization's `count`): Keras files hold it as
    /// `int64`; densely computes with it as `f32`.
    #[serde(skip)]
    pub integer: bool,
}

impl FileTensor {
    /// Its values as an HDF5 file holds them: `int64` for an integer weight.
    pub(crate) fn file_values(&self) -> h5::Values {
        if self.integer {
            h5::Values::I64(self.values.iter().map(|&v| v.round() as i64).collect())
        } else {
            h5::Values::F32(self.values.clone())
        }
    }

    /// Checks that the shape and the number of values agree.
    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        let expected = self.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if expected != Some(self.values.len()) {
            return Err(format!(
                "tensor `{}` has shape {:?} but {} values",
                self.name,
                self.shape,
                self.values.len()
            ));
        }
        Ok(())
    }

    /// `kernel` or `bias` when the name says which, whatever its prefix and suffix.
    fn role(&self) -> Option<&str> {
        let name = self.name.strip_suffix(":0").unwrap_or(&self.name);
        let last = name.rsplit('/').next().unwrap_or(name);
        matches!(last, "kernel" | "bias").then_some(last)
    }
}

/// The state of one layer's random number generator (a Dropout's) as a file holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileGenerator {
    /// The layer's name.
    pub layer: String,
    /// Where its generator stands.
    pub state: GeneratorState,
}

/// An optimizer's state as a file holds it: the iteration count and, per slot name, one
/// tensor per trainable tensor of the file's model, in the file's tensor order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct OptimizerState {
    /// The number of updates applied.
    pub iterations: u64,
    /// `(slot name, tensors)`: `momentum`, `velocity`, `velocity_hat`, `accumulator`,
    /// `average_gradient`.
    pub slots: Vec<(String, Vec<FileTensor>)>,
}

impl OptimizerState {
    /// Appends `tensor` to the tensors of `slot`, which starts a new slot the first time.
    pub(crate) fn push(&mut self, slot: &str, tensor: FileTensor) {
        match self.slots.iter_mut().find(|(name, _)| name == slot) {
            Some((_, tensors)) => tensors.push(tensor),
            None => self.slots.push((slot.to_owned(), vec![tensor])),
        }
    }
}

/// The formats densely reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Keras's legacy HDF5 layout: `.h5` and `.hdf5`.
    KerasH5,
    /// Keras 3's `.keras` archive: a zip of the config, metadata and Keras 3's HDF5 weights.
    KerasArchive,
    /// densely's native format: serde + bincode, versioned and checksummed.
    Native,
}

impl FileFormat {
    /// The format a file is saved in, by its extension: `.h5` and `.hdf5` are Keras HDF5,
    /// `.keras` is Keras 3's archive, and every other extension is native.
    ///
    /// ```
    /// use densely::files::FileFormat;
    ///
    /// assert_eq!(FileFormat::from_path("model.h5")?, FileFormat::KerasH5);
    /// assert_eq!(FileFormat::from_path("model.keras")?, FileFormat::KerasArchive);
    /// assert_eq!(FileFormat::from_path("model.densely")?, FileFormat::Native);
    /// # Ok::<(), densely::Error>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("h5" | "hdf5") => Ok(FileFormat::KerasH5),
            Some("keras") => Ok(FileFormat::KerasArchive),
            _ => Ok(FileFormat::Native),
        }
    }
}

/// Which Keras the optimizer state of a `.h5` file is laid out for.
///
/// Both versions load the model, its weights, its losses and its optimizer's hyperparameters
/// from either layout (the optimizer config holds only keys both accept). The optimizer's
/// variables, though, are restored by position and each Keras lists them its own way, so:
///
/// - [`KerasFlavor::Keras2`] (the default): tf-keras restores the iteration count and every
///   slot (momentum, Adam's moments, ...) into the optimizer it builds from such a config (its
///   legacy optimizers, whose update rules are Keras's). Keras 3 restores the iteration count
///   and warns that it starts the slots afresh.
/// - [`KerasFlavor::Keras3`]: Keras 3's own layout. Keras 3.15 restores from it what it
///   restores from the `.h5` files it writes itself (the iteration count and learning rate:
///   it builds the optimizer before it knows the model's variables, and then cannot train
///   the loaded model until it is compiled again); tf-keras warns and starts afresh.
///
/// An optimizer without slots (SGD without momentum) restores fully in both. Weight decay
/// (AdamW, `weight_decay`) needs tf-keras's current optimizers, which Keras 3 refuses: such a
/// file compiles in tf-keras with `Keras2`, in Keras 3 with `Keras3`.
///
/// To hand Keras 3 a model with its whole optimizer state, save a `.keras` archive instead:
/// Keras 3 restores every slot from one (tf-keras cannot read archives).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KerasFlavor {
    /// tf-keras's layout (`SGD/iter:0`, `SGD/dense/kernel/momentum:0`, ...): the default.
    #[default]
    Keras2,
    /// Keras 3's layout (`sgd/iteration`, `sgd/learning_rate`, `sgd/dense_kernel_momentum`,
    /// ...).
    Keras3,
}

/// How [`Save::save_with`] writes a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveOptions {
    format: Option<FileFormat>,
    flavor: KerasFlavor,
    include_optimizer: bool,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            format: None,
            flavor: KerasFlavor::Keras2,
            include_optimizer: true,
        }
    }
}

impl SaveOptions {
    /// Writes this format whatever the extension.
    pub fn format(mut self, format: FileFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Lays a `.h5` file's optimizer state out for this Keras version.
    pub fn keras_flavor(mut self, flavor: KerasFlavor) -> Self {
        self.flavor = flavor;
        self
    }

    /// Whether to write the training config and the optimizer state (Keras's
    /// `include_optimizer`, true by default).
    pub fn include_optimizer(mut self, include: bool) -> Self {
        self.include_optimizer = include;
        self
    }
}

/// Saving and loading for every `model!` struct: Keras's `model.save`, `load_model`,
/// `save_weights` and `load_weights`.
pub trait Save: Network {
    /// Saves the architecture, the weights, the training config and the optimizer state: a
    /// `.h5` / `.hdf5` path in Keras's HDF5 layout, any other in densely's native format.
    /// The write is atomic: `path` holds the old file or the new one, never a mix.
    fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with(path, SaveOptions::default())
    }

    /// [`Save::save`] with options.
    fn save_with(&self, path: impl AsRef<Path>, options: SaveOptions) -> Result<()> {
        save_model(self, path.as_ref(), options)
    }

    /// A model with the weights of the file at `path`, compiled with the file's optimizer,
    /// its state and its metrics when the file has a training config (as
    /// `keras.models.load_model` does). Works on files densely, tf-keras 2 or Keras 3 wrote.
    ///
    /// Errors, naming the layer, when the file's architecture differs from the model's: a
    /// shape (both shapes given), an activation, a number of layers.
    fn load(path: impl AsRef<Path>) -> Result<Self>
    where
        Self: Declared,
    {
        let path = path.as_ref();
        let mut model = Self::with_seed(crate::network::DEFAULT_SEED);
        restore(&mut model, path).map_err(|error| of_file(error, path))?;
        Ok(model)
    }

    /// Saves the weights alone (Keras 2's `save_weights` layout for `.h5`).
    fn save_weights(&self, path: impl AsRef<Path>) -> Result<()> {
        save_weights(self, path.as_ref())
    }

    /// Loads weights from a weights file or a whole-model file (densely, Keras 2's
    /// `save_weights`, Keras 3's `.weights.h5`). Every shape is checked before any weight
    /// changes; the optimizer is left as it is.
    fn load_weights(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = read_any(path)?;
        apply_weights(self, path, &file, false)
            .map(|_| ())
            .map_err(|error| of_file(error, path))
    }
}

/// A shape mismatch between a model and a file, said of the file: `model.h5: layer
/// `hidden1` kernel: expected [784, 300], got [784, 200]`.
fn of_file(error: Error, path: &Path) -> Error {
    match error {
        Error::Shape {
            what,
            expected,
            actual,
        } => Error::Shape {
            what: format!("{}: {what}", path.display()),
            expected,
            actual,
        },
        other => other,
    }
}

impl<N: Network> Save for N {}

// ---------------------------------------------------------------------------------------
// Reading any file.
// ---------------------------------------------------------------------------------------

/// What any file holds, whatever its format.
pub(crate) struct Contents {
    pub model_config: Option<String>,
    pub training_config: Option<String>,
    pub keras_version: Option<String>,
    pub layers: Vec<FileLayer>,
    pub optimizer: Option<OptimizerState>,
    /// The Dropout generators' states (files densely wrote).
    pub generators: Vec<FileGenerator>,
    /// Whether the file holds weights alone.
    pub weights_only: bool,
}

/// Reads a file of either format, chosen by its first bytes.
pub(crate) fn read_any(path: &Path) -> Result<Contents> {
    let mut head = Vec::with_capacity(8);
    fs::File::open(path)
        .and_then(|f| f.take(8).read_to_end(&mut head))
        .map_err(|e| io_error(path, e))?;
    if native::is_native(&head) {
        let bytes = fs::read(path).map_err(|e| io_error(path, e))?;
        let file = native::decode(path, &bytes)?;
        return Ok(Contents {
            model_config: file.model_config,
            training_config: file.training_config,
            keras_version: None,
            layers: file.layers,
            optimizer: file.optimizer,
            generators: file.generators,
            weights_only: file.kind == NativeKind::Weights,
        });
    }
    if keras_archive::is_zip(&head) {
        return keras_archive::read(path);
    }
    if h5::is_hdf5(&head) {
        let (contents, layout) = h5::read(path)?;
        let optimizer = keras_optimizer_state(path, &contents.optimizer)?;
        return Ok(Contents {
            model_config: contents.model_config,
            training_config: contents.training_config,
            keras_version: contents.keras_version,
            layers: contents.layers,
            optimizer,
            generators: contents.generators,
            weights_only: layout != Layout::Model,
        });
    }
    Err(format_error(
        path,
        if head.is_empty() {
            "the file is empty".to_owned()
        } else {
            "neither a densely file, an HDF5 file nor a `.keras` archive".to_owned()
        },
    ))
}

/// The long name of the slot a Keras optimizer weight holds, from its name in any of
/// Keras's layouts: `Adam/m/dense/kernel:0` (tf-keras 2.11+), `Adam/dense/kernel/m:0`
/// (tf-keras's older optimizers), `adam/dense_kernel_momentum` (Keras 3).
fn slot_of(name: &str) -> Option<&'static str> {
    fn canonical(part: &str) -> Option<&'static str> {
        Some(match part {
            "m" | "momentum" => "momentum",
            "v" | "velocity" | "rms" => "velocity",
            "vhat" | "velocity_hat" => "velocity_hat",
            "accumulator" => "accumulator",
            "mg" | "average_gradient" => "average_gradient",
            _ => return None,
        })
    }
    let name = name.strip_suffix(":0").unwrap_or(name);
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() >= 3 {
        if let Some(slot) = canonical(parts[1]) {
            return Some(slot);
        }
    }
    let last = parts.last().copied().unwrap_or_default();
    if parts.len() >= 2 {
        if let Some(slot) = canonical(last) {
            return Some(slot);
        }
    }
    [
        "velocity_hat",
        "average_gradient",
        "accumulator",
        "momentum",
        "velocity",
    ]
    .into_iter()
    .find(|slot| last.ends_with(&format!("_{slot}")))
}

/// Reads Keras's optimizer weights: the iteration count and the slots by name.
fn keras_optimizer_state(path: &Path, arrays: &[NamedArray]) -> Result<Option<OptimizerState>> {
    if arrays.is_empty() {
        return Ok(None);
    }
    let mut state = OptimizerState::default();
    for array in arrays {
        let base = array.name.strip_suffix(":0").unwrap_or(&array.name);
        let last = base.rsplit('/').next().unwrap_or(base);
        if array.shape.is_empty() {
            if matches!(last, "iteration" | "iterations" | "iter") {
                let count = match &array.values {
                    Values::I64(v) => v.first().copied().unwrap_or(0),
                    Values::F32(v) => v.first().copied().unwrap_or(0.0) as i64,
                };
                state.iterations = u64::try_from(count).map_err(|_| {
                    format_error(path, format!("the optimizer's iteration count is {count}"))
                })?;
            }
            // Other scalars (Keras 3's learning_rate, Nadam's u_product) follow from the
            // config and the iteration count.
            continue;
        }
        let slot = slot_of(&array.name).ok_or_else(|| {
            format_error(
                path,
                format!("cannot tell which optimizer slot `{}` is", array.name),
            )
        })?;
        let Values::F32(values) = &array.values else {
            return Err(format_error(
                path,
                format!("optimizer weight `{}` holds integers", array.name),
            ));
        };
        state.push(
            slot,
            FileTensor {
                name: array.name.clone(),
                shape: array.shape.clone(),
                values: values.clone(),
                integer: false,
            },
        );
    }
    Ok(Some(state))
}

// ---------------------------------------------------------------------------------------
// Typed models: mapping a file's layers onto the model's.
// ---------------------------------------------------------------------------------------

/// A layer of a typed model that has weights.
struct ModelLayer {
    name: String,
    params: Vec<(&'static str, Vec<usize>)>,
}

fn model_layers<N: Network>(model: &N) -> Vec<ModelLayer> {
    let mut layers: Vec<ModelLayer> = Vec::new();
    model.visit_params(&mut |layer, param| match layers.last_mut() {
        Some(last) if last.name == layer => last.params.push((param.name, param.shape.to_vec())),
        _ => layers.push(ModelLayer {
            name: layer.to_owned(),
            params: vec![(param.name, param.shape.to_vec())],
        }),
    });
    layers
}

fn shape_text(shape: &[usize]) -> String {
    match shape {
        [single] => format!("({single},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn tensors_text<'a>(tensors: impl Iterator<Item = (&'a str, &'a [usize])>) -> String {
    let parts: Vec<String> = tensors
        .map(|(name, shape)| format!("{name} {}", shape_text(shape)))
        .collect();
    if parts.is_empty() {
        "no weights".into()
    } else {
        parts.join(", ")
    }
}

/// For every model tensor, in visiting order, the index of its tensor in the file's flat
/// list (every file layer's tensors, in file order); and per model layer its file layer.
struct Mapping {
    tensors: Vec<usize>,
    layers: Vec<usize>,
}

fn map_layers(path: &Path, model: &[ModelLayer], file: &[FileLayer]) -> Result<Mapping> {
    let mut base = Vec::with_capacity(file.len());
    let mut total = 0;
    for layer in file {
        base.push(total);
        total += layer.weights.len();
    }
    let weighted: Vec<usize> = (0..file.len())
        .filter(|&i| !file[i].weights.is_empty())
        .collect();
    let by_name: Option<Vec<usize>> = (model.len() == weighted.len())
        .then(|| {
            model
                .iter()
                .map(|m| weighted.iter().copied().find(|&f| file[f].name == m.name))
                .collect()
        })
        .flatten();
    let pairs: Vec<usize> = match by_name {
        Some(pairs) => pairs,
        None => weighted.clone(),
    };
    let mut mapping = Mapping {
        tensors: Vec::new(),
        layers: Vec::new(),
    };
    for (model_layer, &file_index) in model.iter().zip(&pairs) {
        let file_layer = &file[file_index];
        let what = if file_layer.name == model_layer.name {
            format!("layer `{}`", model_layer.name)
        } else {
            format!(
                "layer `{}` (`{}` in the file)",
                model_layer.name, file_layer.name
            )
        };
        if file_layer.weights.len() != model_layer.params.len() {
            return Err(Error::shape(
                what,
                tensors_text(model_layer.params.iter().map(|(n, s)| (*n, &s[..]))),
                tensors_text(
                    file_layer
                        .weights
                        .iter()
                        .map(|t| (t.name.as_str(), t.shape.as_slice())),
                ),
            ));
        }
        let named = file_layer.weights.iter().all(|t| t.role().is_some());
        for (position, (param, shape)) in model_layer.params.iter().enumerate() {
            let index = if named {
                file_layer
                    .weights
                    .iter()
                    .position(|t| t.role() == Some(param))
                    .ok_or_else(|| {
                        Error::shape(
                            what.clone(),
                            tensors_text(model_layer.params.iter().map(|(n, s)| (*n, &s[..]))),
                            tensors_text(
                                file_layer
                                    .weights
                                    .iter()
                                    .map(|t| (t.name.as_str(), t.shape.as_slice())),
                            ),
                        )
                    })?
            } else {
                position
            };
            let tensor = &file_layer.weights[index];
            if tensor.shape != *shape {
                return Err(Error::shape(
                    format!("{what} {param}"),
                    shape_text(shape),
                    shape_text(&tensor.shape),
                ));
            }
            mapping.tensors.push(base[file_index] + index);
        }
        mapping.layers.push(file_index);
    }
    if model.len() != pairs.len() {
        let names = |names: Vec<&str>| names.join(", ");
        return Err(format_error(
            path,
            format!(
                "the model has {} layers with weights ({}), the file {} ({})",
                model.len(),
                names(model.iter().map(|l| l.name.as_str()).collect()),
                pairs.len(),
                names(pairs.iter().map(|&i| file[i].name.as_str()).collect()),
            ),
        ));
    }
    Ok(mapping)
}

/// Checks the file's Dense layers against the model's: units, activation and bias.
fn check_architecture(
    path: &Path,
    model_graph: &Graph,
    model: &[ModelLayer],
    file: &[FileLayer],
    mapping: &Mapping,
    architecture: &Architecture,
) -> Result<()> {
    for (model_layer, &file_index) in model.iter().zip(&mapping.layers) {
        let file_name = &file[file_index].name;
        let (Some(node), Some(spec)) = (
            model_graph.node(&model_layer.name),
            architecture.layer(file_name),
        ) else {
            continue;
        };
        if let (
            NodeKind::Dense {
                units,
                activation,
                use_bias,
                ..
            },
            LayerKind::Dense {
                units: file_units,
                activation: file_activation,
                use_bias: file_bias,
                ..
            },
        ) = (&node.kind, &spec.kind)
        {
            let (units, activation, use_bias) = (*units, *activation, *use_bias);
            if units != *file_units
                || activation != file_activation.name()
                || use_bias != *file_bias
            {
                let describe = |units: usize, activation: &str, bias: bool| {
                    format!(
                        "Dense({units}, {activation}{})",
                        if bias { "" } else { ", use_bias = false" }
                    )
                };
                return Err(format_error(
                    path,
                    format!(
                        "layer `{}` is {} in the model but `{file_name}` is {} in the file",
                        model_layer.name,
                        describe(units, activation, use_bias),
                        describe(*file_units, file_activation.name(), *file_bias),
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks and copies the file's weights into `model`; returns the mapping for the optimizer.
fn apply_weights<N: Network>(
    model: &mut N,
    path: &Path,
    file: &Contents,
    check_config: bool,
) -> Result<Mapping> {
    let layers = model_layers(model);
    let mapping = map_layers(path, &layers, &file.layers)?;
    if check_config {
        if let Some(config) = &file.model_config {
            let architecture =
                keras_config::parse_model_config(config).map_err(|e| format_error(path, e))?;
            check_architecture(
                path,
                model.graph(),
                &layers,
                &file.layers,
                &mapping,
                &architecture,
            )?;
        }
    }
    let flat: Vec<&FileTensor> = file.layers.iter().flat_map(|l| &l.weights).collect();
    let mut index = 0;
    model.visit_params_mut(&mut |_, param| {
        let tensor = flat[mapping.tensors[index]];
        param.value.copy_from_slice(&tensor.values);
        index += 1;
    });
    Ok(mapping)
}

/// Freezes the model's layers the file says don't train (Keras's `trainable = False`), and
/// unfreezes the others.
fn train_as_filed<N: Network>(
    model: &mut N,
    file: &Contents,
    mapping: &Mapping,
    architecture: &Architecture,
) {
    let names: Vec<String> = model_layers(model).into_iter().map(|l| l.name).collect();
    for (name, &file_index) in names.iter().zip(&mapping.layers) {
        let filed = &file.layers[file_index].name;
        let trainable = architecture.layer(filed).is_none_or(|l| l.trainable);
        model.training_state_mut().set_trainable(name, trainable);
    }
}

/// Restores the optimizer's iteration count and slots from the file.
///
/// `trainable` says, for each of the model's weights in its own order, whether the optimizer
/// trains it: a file holds slots for those alone, in its own order of weights.
fn apply_optimizer(
    optimizer: &mut dyn Optimizer,
    path: &Path,
    file: &Contents,
    mapping: &Mapping,
    trainable: &[bool],
) -> Result<()> {
    let Some(state) = &file.optimizer else {
        return Ok(());
    };
    let all: usize = file.layers.iter().map(|l| l.weights.len()).sum();
    let mut file_trainable = vec![true; all];
    for (&file_index, &trains) in mapping.tensors.iter().zip(trainable) {
        file_trainable[file_index] = trains;
    }
    // Each trainable file weight's place among the trainable ones.
    let mut slot_of = vec![usize::MAX; all];
    let mut total = 0;
    for (index, &trains) in file_trainable.iter().enumerate() {
        if trains {
            slot_of[index] = total;
            total += 1;
        }
    }
    let used = optimizer.slot_names();
    let has_any = state.slots.iter().any(|(_, tensors)| !tensors.is_empty());
    let flat: Vec<&FileTensor> = file.layers.iter().flat_map(|l| &l.weights).collect();
    let mut slots: Vec<Vec<Vec<f32>>> = Vec::new();
    if has_any && !used.is_empty() {
        let mut per_slot = Vec::new();
        for slot in &used {
            let tensors = state
                .slots
                .iter()
                .find(|(name, _)| name == slot)
                .map(|(_, t)| t)
                .ok_or_else(|| {
                    format_error(
                        path,
                        format!(
                            "the file's optimizer state has no `{slot}` slot, which {} uses",
                            optimizer.keras_class_name()
                        ),
                    )
                })?;
            if tensors.len() != total {
                return Err(format_error(
                    path,
                    format!(
                        "the optimizer slot `{slot}` has {} tensors for {total} weights",
                        tensors.len()
                    ),
                ));
            }
            per_slot.push(tensors);
        }
        for (&file_index, _) in mapping.tensors.iter().zip(trainable).filter(|(_, &t)| t) {
            let mut tensor_slots = Vec::with_capacity(used.len());
            for (slot, tensors) in used.iter().zip(&per_slot) {
                let tensor = &tensors[slot_of[file_index]];
                if tensor.shape != flat[file_index].shape {
                    return Err(Error::shape(
                        format!("optimizer slot `{slot}` of `{}`", flat[file_index].name),
                        shape_text(&flat[file_index].shape),
                        shape_text(&tensor.shape),
                    ));
                }
                tensor_slots.push(tensor.values.clone());
            }
            slots.push(tensor_slots);
        }
    }
    optimizer
        .set_slots(state.iterations, slots)
        .map_err(|e| format_error(path, e))
}

/// A whole-model file with its architecture and (when it has one) its training config,
/// parsed.
pub(crate) fn read_model(path: &Path) -> Result<(Contents, Architecture, Option<TrainingSpec>)> {
    let file = read_any(path)?;
    let config = file.model_config.as_deref().ok_or_else(|| {
        format_error(
            path,
            "the file has no model config (it holds weights alone)",
        )
    })?;
    let architecture =
        keras_config::parse_model_config(config).map_err(|e| format_error(path, e))?;
    let training = training_spec(path, &file, &architecture.output_names())?;
    Ok((file, architecture, training))
}

/// The file's training config for a model whose outputs are `outputs`, parsed.
fn training_spec(path: &Path, file: &Contents, outputs: &[&str]) -> Result<Option<TrainingSpec>> {
    file.training_config
        .as_deref()
        .map(|text| keras_config::parse_training_config(text, outputs))
        .transpose()
        .map_err(|e| format_error(path, e))
}

/// Loads a whole model file into `model`: weights, then (when the file has a training
/// config) a compiled optimizer with the file's state.
fn restore<N: Network>(model: &mut N, path: &Path) -> Result<()> {
    restore_from(model, path, &read_any(path)?)
}

/// [`restore`] from the file's contents, already read.
pub(crate) fn restore_from<N: Network>(model: &mut N, path: &Path, file: &Contents) -> Result<()> {
    if file.weights_only {
        return Err(format_error(
            path,
            "the file holds weights alone; load it with `load_weights`",
        ));
    }
    let mapping = apply_weights(model, path, file, true)?;
    apply_generators(model, path, &file.generators)?;
    // The losses are the model's own; the training config gives the optimizer and metrics.
    let training = match &file.model_config {
        Some(config) => {
            let architecture =
                keras_config::parse_model_config(config).map_err(|e| format_error(path, e))?;
            train_as_filed(model, file, &mapping, &architecture);
            training_spec(path, file, &architecture.output_names())?
        }
        None => {
            let graph = model.graph();
            let outputs: Vec<&str> = (0..graph.outputs.len())
                .map(|i| graph.output_name(i))
                .collect();
            training_spec(path, file, &outputs)?
        }
    };
    let optimizer = match training.as_ref().and_then(|t| t.optimizer.as_ref()) {
        Some(config) => {
            Some(keras_config::optimizer_from_config(config).map_err(|e| format_error(path, e))?)
        }
        None => None,
    };
    if let (Some(optimizer), Some(training)) = (optimizer, training) {
        let mut trainable = Vec::new();
        let state = model.training_state();
        model.visit_params(&mut |layer, param| {
            trainable.push(param.trainable && state.is_trainable(layer))
        });
        let state = model.training_state_mut();
        state.compile(optimizer, training.metrics);
        let optimizer = state
            .optimizer_mut()
            .expect("an optimizer was just compiled");
        apply_optimizer(optimizer, path, file, &mapping, &trainable)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Typed models: writing.
// ---------------------------------------------------------------------------------------

/// Puts each Dropout generator of `model` where the file left it; a layer the file does not
/// mention keeps its own (files Keras wrote mention none).
fn apply_generators<N: Network>(
    model: &mut N,
    path: &Path,
    generators: &[FileGenerator],
) -> Result<()> {
    let mut names = Vec::new();
    model.visit_generators(&mut |layer, _| names.push(layer.to_owned()));
    if let Some(unknown) = generators.iter().find(|g| !names.contains(&g.layer)) {
        return Err(format_error(
            path,
            format!(
                "the file holds a generator state for layer `{}`, which is not a Dropout layer of `{}`",
                unknown.layer,
                model.graph().name
            ),
        ));
    }
    model.visit_generators_mut(&mut |layer, generator| {
        if let Some(saved) = generators.iter().find(|g| g.layer == layer) {
            generator.set_state(saved.state);
        }
    });
    Ok(())
}

/// The states of `model`'s Dropout generators, in layer order.
fn file_generators<N: Network>(model: &N) -> Vec<FileGenerator> {
    let mut generators = Vec::new();
    model.visit_generators(&mut |layer, generator| {
        generators.push(FileGenerator {
            layer: layer.to_owned(),
            state: generator.state(),
        })
    });
    generators
}

/// The file layers of `model` in Keras's `model.layers` order, Keras 2 weight names.
fn file_layers<N: Network>(model: &N, all_layers: bool) -> Vec<FileLayer> {
    let names = if all_layers {
        keras_config::keras_layer_names(model.graph())
    } else {
        model.graph().layers().map(|n| &n.name[..]).collect()
    };
    let mut layers: Vec<FileLayer> = names
        .iter()
        .map(|&name| FileLayer {
            name: name.to_owned(),
            weights: Vec::new(),
        })
        .collect();
    let graph = model.graph();
    model.visit_params(&mut |layer, param| {
        if let Some(file_layer) = layers.iter_mut().find(|l| l.name == layer) {
            file_layer.weights.push(FileTensor {
                name: file_weight_name(layer, param.name),
                shape: param.shape.to_vec(),
                values: param.value.to_vec(),
                integer: integer_weight(graph, layer, param.name),
            });
        }
    });
    layers
}

/// Whether weight `weight` of layer `layer` is one Keras keeps as integers, as its kind's
/// spec says.
fn integer_weight(graph: &Graph, layer: &str, weight: &str) -> bool {
    let kind = graph
        .nodes
        .iter()
        .find(|n| n.name == layer)
        .map(|n| &n.kind);
    match kind {
        Some(NodeKind::Op { kind, .. }) => kind
            .spec()
            .weights
            .iter()
            .any(|w| w.name == weight && w.integer),
        _ => false,
    }
}

/// The optimizer's state in file form, tensors named like the model's weights and in the
/// order of `layers` (Keras's), which Keras reads them in. `weight_names` are the names of
/// the model's weights in its own order, which the optimizer's slots follow.
fn optimizer_state(
    optimizer: &dyn Optimizer,
    layers: &[FileLayer],
    weight_names: &[String],
) -> OptimizerState {
    let flat: Vec<&FileTensor> = layers.iter().flat_map(|l| &l.weights).collect();
    let mut state = OptimizerState {
        iterations: optimizer.iterations(),
        slots: Vec::new(),
    };
    let mut slots: Vec<(usize, &str, &[f32])> = optimizer
        .slots()
        .into_iter()
        .filter_map(|(tensor, slot, values)| {
            let name = weight_names.get(tensor)?;
            let position = flat.iter().position(|weight| weight.name == *name)?;
            Some((position, slot, values))
        })
        .collect();
    slots.sort_by_key(|&(position, _, _)| position);
    for (position, slot, values) in slots {
        let weight = flat[position];
        state.push(
            slot,
            FileTensor {
                name: weight.name.clone(),
                shape: weight.shape.clone(),
                values: values.to_vec(),
                integer: false,
            },
        );
    }
    state
}

/// The file names of the weights the optimizer trains (`dense/kernel:0`), in the model's
/// own order: the order of the optimizer's slots.
pub(crate) fn trainable_weight_names<N: Network>(model: &N) -> Vec<String> {
    let mut names = Vec::new();
    let state = model.training_state();
    model.visit_params(&mut |layer, param| {
        if param.trainable && state.is_trainable(layer) {
            names.push(file_weight_name(layer, param.name));
        }
    });
    names
}

/// `layers` with only the weights named in `trainable`: what a file's optimizer state
/// follows.
pub(crate) fn trainable_layers(layers: &[FileLayer], trainable: &[String]) -> Vec<FileLayer> {
    layers
        .iter()
        .map(|layer| FileLayer {
            name: layer.name.clone(),
            weights: layer
                .weights
                .iter()
                .filter(|w| trainable.contains(&w.name))
                .cloned()
                .collect(),
        })
        .collect()
}

/// A weight's name in a file: `dense/kernel:0`.
fn file_weight_name(layer: &str, weight: &str) -> String {
    format!("{layer}/{weight}:0")
}

/// Keras's groups of slots, each created per variable in turn (`add_optimizer_variables`
/// with several names interleaves them; separate calls don't).
fn slot_groups(class: &str, used: &[&str]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let interleaved = matches!(class, "Adam" | "AdamW" | "Nadam");
    for slot in used {
        match groups.last_mut() {
            Some(last) if interleaved && *slot == "velocity" && last == &["momentum"] => {
                last.push((*slot).to_owned())
            }
            _ => groups.push(vec![(*slot).to_owned()]),
        }
    }
    groups
}

/// tf-keras's short slot names, in its current optimizers and in its legacy ones.
fn tf_keras_slot(class: &str, slot: &str, legacy: bool) -> String {
    match (class, slot, legacy) {
        ("RMSprop", "velocity", true) => "rms".into(),
        ("RMSprop", "average_gradient", true) => "mg".into(),
        ("RMSprop" | "Adagrad", _, _) => slot.to_owned(),
        ("SGD", "momentum", true) => "momentum".into(),
        (_, "momentum", _) => "m".into(),
        (_, "velocity", _) => "v".into(),
        (_, "velocity_hat", _) => "vhat".into(),
        _ => slot.to_owned(),
    }
}

/// tf-keras's legacy Nadam `momentum_cache` after `iterations` steps (its schedule decays
/// by `0.96 ^ (0.004 t)`).
fn legacy_nadam_cache(beta_1: f32, iterations: u64) -> f32 {
    let mut product = 1.0f32;
    for step in 1..=iterations {
        product *= beta_1 * (1.0 - 0.5 * 0.96f32.powf(0.004 * step as f32));
    }
    product
}

/// Keras 3's Nadam `u_product` after `iterations` steps, computed as Keras computes it.
fn nadam_u_product(beta_1: f32, iterations: u64) -> f32 {
    let mut product = 1.0f32;
    for step in 0..iterations {
        product = product * beta_1 * (1.0 - 0.5 * 0.96f32.powf((step + 1) as f32));
    }
    product
}

/// The `optimizer_weights` of a Keras file, in the order `flavor`'s Keras restores them.
fn keras_optimizer_arrays(
    graph: &Graph,
    optimizer: &dyn Optimizer,
    state: &OptimizerState,
    layers: &[FileLayer],
    flavor: KerasFlavor,
) -> Vec<NamedArray> {
    let class = optimizer.keras_class_name();
    let used: Vec<&str> = state.slots.iter().map(|(n, _)| n.as_str()).collect();
    let groups = slot_groups(class, &used);
    let flat: Vec<(&str, &FileTensor)> = layers
        .iter()
        .flat_map(|l| l.weights.iter().map(move |w| (l.name.as_str(), w)))
        .collect();
    let slot_values = |slot: &str, index: usize| -> &FileTensor {
        let (_, tensors) = state
            .slots
            .iter()
            .find(|(n, _)| n == slot)
            .expect("grouped slots come from the state");
        &tensors[index]
    };
    let iterations = state.iterations as i64;
    let mut arrays = Vec::new();
    let param = |tensor: &FileTensor| -> String {
        let name = tensor.name.strip_suffix(":0").unwrap_or(&tensor.name);
        name.rsplit('/').next().unwrap_or(name).to_owned()
    };
    let beta_1 = || {
        optimizer
            .config()
            .get("beta_1")
            .and_then(Value::as_f64)
            .unwrap_or(0.9) as f32
    };
    match flavor {
        KerasFlavor::Keras2 if keras_config::needs_current_tf_keras(optimizer) => {
            // tf-keras's current optimizers: `iteration:0`, then the slots created together
            // interleaved per variable.
            arrays.push(NamedArray {
                name: "iteration:0".into(),
                shape: vec![],
                values: Values::I64(vec![iterations]),
            });
            for group in &groups {
                for (index, (layer, tensor)) in flat.iter().enumerate() {
                    for slot in group {
                        arrays.push(NamedArray {
                            name: format!(
                                "{class}/{}/{layer}/{}:0",
                                tf_keras_slot(class, slot, false),
                                param(tensor)
                            ),
                            shape: tensor.shape.clone(),
                            values: Values::F32(slot_values(slot, index).values.clone()),
                        });
                    }
                }
            }
        }
        KerasFlavor::Keras2 => {
            // tf-keras's legacy optimizers: `iter`, then each kind of slot for every variable.
            arrays.push(NamedArray {
                name: format!("{class}/iter:0"),
                shape: vec![],
                values: Values::I64(vec![iterations]),
            });
            if class == "Nadam" && !used.is_empty() {
                arrays.push(NamedArray {
                    name: format!("{class}/momentum_cache:0"),
                    shape: vec![],
                    values: Values::F32(vec![legacy_nadam_cache(beta_1(), state.iterations)]),
                });
            }
            for slot in &used {
                for (index, (layer, tensor)) in flat.iter().enumerate() {
                    arrays.push(NamedArray {
                        name: format!(
                            "{class}/{layer}/{}/{}:0",
                            param(tensor),
                            tf_keras_slot(class, slot, true)
                        ),
                        shape: tensor.shape.clone(),
                        values: Values::F32(slot_values(slot, index).values.clone()),
                    });
                }
            }
        }
        KerasFlavor::Keras3 => {
            let prefix = class.to_ascii_lowercase();
            let scope = if graph.is_sequential() {
                format!("{}_", keras_config::snake_case(&graph.name))
            } else {
                String::new()
            };
            arrays.push(NamedArray {
                name: format!("{prefix}/iteration"),
                shape: vec![],
                values: Values::I64(vec![iterations]),
            });
            arrays.push(NamedArray {
                name: format!("{prefix}/learning_rate"),
                shape: vec![],
                values: Values::F32(vec![optimizer.learning_rate()]),
            });
            for group in &groups {
                for (index, (layer, tensor)) in flat.iter().enumerate() {
                    for slot in group {
                        arrays.push(NamedArray {
                            name: format!("{prefix}/{scope}{layer}_{}_{slot}", param(tensor)),
                            shape: tensor.shape.clone(),
                            values: Values::F32(slot_values(slot, index).values.clone()),
                        });
                    }
                }
            }
            if class == "Nadam" && !groups.is_empty() {
                arrays.push(NamedArray {
                    name: format!("{prefix}/u_product"),
                    shape: vec![],
                    values: Values::F32(vec![nadam_u_product(beta_1(), state.iterations)]),
                });
            }
        }
    }
    arrays
}

fn save_model<N: Network>(model: &N, path: &Path, options: SaveOptions) -> Result<()> {
    let format = match options.format {
        Some(format) => format,
        None => FileFormat::from_path(path)?,
    };
    match format {
        FileFormat::KerasArchive => keras_archive::write(model, path, &options),
        FileFormat::Native => save_native(model, path, &options),
        FileFormat::KerasH5 => save_h5(model, path, &options),
    }
}

/// What a whole-model file holds: the model config, the training config (written in
/// `style`), the layers and the optimizer's state.
struct SavedModel<'m> {
    model_config: String,
    training_config: Option<String>,
    layers: Vec<FileLayer>,
    /// `layers` with the trainable weights alone, which the optimizer's state follows.
    trainable: Vec<FileLayer>,
    optimizer: Option<(&'m dyn Optimizer, OptimizerState)>,
}

fn saved_model<'m, N: Network>(
    model: &'m N,
    options: &SaveOptions,
    style: impl FnOnce(&dyn Optimizer) -> ConfigStyle,
) -> SavedModel<'m> {
    let state = model.training_state();
    let optimizer = state.optimizer().filter(|_| options.include_optimizer);
    let training_config = optimizer
        .and_then(|o| keras_config::training_config(model.graph(), state, style(o)))
        .map(|c| c.to_string());
    let layers = file_layers(model, true);
    let names = trainable_weight_names(model);
    let trainable = trainable_layers(&layers, &names);
    let optimizer = optimizer.map(|o| (o, optimizer_state(o, &trainable, &names)));
    SavedModel {
        // tf-keras's argument names, which Keras 3 reads too (it warns that LeakyReLU's
        // `alpha` is now `negative_slope`, as it does for tf-keras's own files): an `.h5`
        // file of either flavor loads in both.
        model_config: keras_config::model_config(
            model.graph(),
            keras_config::ArgNames::Keras2,
            model.training_state().frozen(),
        )
        .to_string(),
        training_config,
        layers,
        trainable,
        optimizer,
    }
}

fn save_native<N: Network>(model: &N, path: &Path, options: &SaveOptions) -> Result<()> {
    let saved = saved_model(model, options, |_| ConfigStyle::Full);
    let file = NativeFile {
        kind: NativeKind::Model,
        densely_version: env!("CARGO_PKG_VERSION").into(),
        model_config: Some(saved.model_config),
        training_config: saved.training_config,
        layers: saved.layers,
        optimizer: saved.optimizer.map(|(_, state)| state),
        generators: file_generators(model),
    };
    crate::io::write_atomically(path, &native::encode(&file))
}

fn save_h5<N: Network>(model: &N, path: &Path, options: &SaveOptions) -> Result<()> {
    let flavor = options.flavor;
    let saved = saved_model(model, options, |optimizer| {
        match (keras_config::needs_current_tf_keras(optimizer), flavor) {
            (true, KerasFlavor::Keras2) => ConfigStyle::TfKeras,
            (true, KerasFlavor::Keras3) => ConfigStyle::Keras3,
            (false, _) => ConfigStyle::Portable,
        }
    });
    let arrays = match &saved.optimizer {
        Some((optimizer, state)) => {
            keras_optimizer_arrays(model.graph(), *optimizer, state, &saved.trainable, flavor)
        }
        None => Vec::new(),
    };
    let contents = H5Contents {
        keras_version: Some(
            match flavor {
                KerasFlavor::Keras2 => h5::KERAS_VERSION,
                KerasFlavor::Keras3 => "3.15.1",
            }
            .into(),
        ),
        backend: Some("tensorflow".into()),
        model_config: Some(saved.model_config),
        training_config: saved.training_config,
        layers: saved.layers,
        optimizer: arrays,
        generators: file_generators(model),
        ..H5Contents::default()
    };
    h5::write(path, &contents, Layout::Model)
}

fn save_weights<N: Network>(model: &N, path: &Path) -> Result<()> {
    let format = FileFormat::from_path(path)?;
    let layers = file_layers(model, true);
    match format {
        FileFormat::KerasArchive => Err(format_error(
            path,
            "a `.keras` archive holds a whole model: save it with `save`, or save the weights \
             alone as `.h5` or `.densely`",
        )),
        FileFormat::Native => {
            let file = NativeFile {
                kind: NativeKind::Weights,
                densely_version: env!("CARGO_PKG_VERSION").into(),
                model_config: None,
                training_config: None,
                layers,
                optimizer: None,
                generators: Vec::new(),
            };
            crate::io::write_atomically(path, &native::encode(&file))
        }
        FileFormat::KerasH5 => {
            let contents = H5Contents {
                keras_version: Some(h5::KERAS_VERSION.into()),
                backend: Some("tensorflow".into()),
                layers,
                ..H5Contents::default()
            };
            h5::write(path, &contents, Layout::Keras2Weights)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_recognised_in_every_keras_layout() {
        assert_eq!(slot_of("SGD/m/dense/kernel:0"), Some("momentum"));
        assert_eq!(slot_of("Adam/v/dense_2/bias:0"), Some("velocity"));
        assert_eq!(slot_of("Adam/vhat/dense_2/bias:0"), Some("velocity_hat"));
        assert_eq!(slot_of("Adam/dense/kernel/m:0"), Some("momentum"));
        assert_eq!(slot_of("RMSprop/dense/kernel/rms:0"), Some("velocity"));
        assert_eq!(
            slot_of("sgd/sequential_dense_kernel_momentum"),
            Some("momentum")
        );
        assert_eq!(slot_of("adam/dense_3_kernel_velocity"), Some("velocity"));
        assert_eq!(
            slot_of("adam/dense_3_kernel_velocity_hat"),
            Some("velocity_hat")
        );
        assert_eq!(
            slot_of("rmsprop/d_bias_average_gradient"),
            Some("average_gradient")
        );
        assert_eq!(slot_of("adagrad/d_bias_accumulator"), Some("accumulator"));
        assert_eq!(slot_of("sgd/learning_rate"), None);
    }

    #[test]
    fn keras_creates_slots_in_these_groups() {
        let groups = |class, used: &[&str]| slot_groups(class, used);
        assert_eq!(
            groups("Adam", &["momentum", "velocity", "velocity_hat"]),
            [vec!["momentum", "velocity"], vec!["velocity_hat"]]
        );
        assert_eq!(
            groups("RMSprop", &["velocity", "momentum", "average_gradient"]),
            [vec!["velocity"], vec!["momentum"], vec!["average_gradient"]]
        );
        assert_eq!(groups("SGD", &["momentum"]), [vec!["momentum"]]);
    }

    #[test]
    fn the_nadam_product_decays() {
        assert_eq!(nadam_u_product(0.9, 0), 1.0);
        let one = 0.9 * (1.0 - 0.5 * 0.96f32);
        assert_eq!(nadam_u_product(0.9, 1), one);
    }
}
