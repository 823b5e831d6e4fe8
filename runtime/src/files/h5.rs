//! Keras's legacy HDF5 layout, read and written through `hdf5-metno` over the system's libhdf5.
//!
//! Reads whole-model files (`model_weights`, `optimizer_weights`, root attributes), Keras 2
//! `save_weights` files (the same layout at the root) and Keras 3 `.weights.h5` files
//! (`layers/<name>/vars/<i>`). Writes Keras 2's layout, which tf-keras 2 and Keras 3 both load.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use hdf5::types::{FixedAscii, FixedUnicode, TypeDescriptor, VarLenAscii, VarLenUnicode};
use hdf5::{Attribute, Group, Location};
use hdf5_metno as hdf5;

use super::{format_error, FileGenerator, FileLayer, FileTensor};
use crate::error::{Error, Result};

/// The first eight bytes of every HDF5 file (with no user block).
pub(crate) const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// The values of one array of an HDF5 file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Values {
    /// Floating-point values, as f32.
    F32(Vec<f32>),
    /// Integer values (Keras's iteration counts).
    I64(Vec<i64>),
}

/// A named array: an optimizer weight.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NamedArray {
    /// Its name as listed in `weight_names` (`iteration:0`, `Adam/m/dense/kernel:0`).
    pub name: String,
    /// Its shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Its values.
    pub values: Values,
}

/// How the weights of a file are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// A whole model: `model_weights` (Keras 2 and 3 `model.save("x.h5")`).
    Model,
    /// Keras 2 `save_weights("x.h5")`: `layer_names` and layer groups at the root.
    Keras2Weights,
    /// Keras 3 `save_weights("x.weights.h5")`: `layers/<name>/vars/<i>`.
    Keras3Weights,
}

/// Everything densely reads from, or writes to, a Keras HDF5 file.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct H5Contents {
    /// Root attribute `keras_version`.
    pub keras_version: Option<String>,
    /// Root attribute `backend`.
    pub backend: Option<String>,
    /// Root attribute `model_config` (JSON).
    pub model_config: Option<String>,
    /// Root attribute `training_config` (JSON).
    pub training_config: Option<String>,
    /// Keras's `model.layers` in order, each with its weights (possibly none).
    pub layers: Vec<FileLayer>,
    /// `optimizer_weights`, in `weight_names` order.
    pub optimizer: Vec<NamedArray>,
    /// Root attribute `densely_generators` (JSON): the Dropout generators' states, which
    /// Keras ignores.
    pub generators: Vec<FileGenerator>,
    /// Keras 3's `optimizer/vars/<i>` (in the weights of a `.keras` archive), in index order,
    /// each named by its index.
    pub optimizer_vars: Vec<NamedArray>,
}

fn h5_error(path: &Path, error: impl std::fmt::Display) -> Error {
    format_error(path, format!("HDF5: {error}"))
}

/// Whether `bytes` start like an HDF5 file.
pub(crate) fn is_hdf5(bytes: &[u8]) -> bool {
    bytes.starts_with(SIGNATURE)
}

// ---------------------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------------------

/// Reads a Keras HDF5 file: a whole model or weights alone, Keras 2 or 3.
pub(crate) fn read(path: &Path) -> Result<(H5Contents, Layout)> {
    read_as(path, path)
}

/// Reads the HDF5 file at `file_path`, naming `path` in errors (the archive it came from).
pub(crate) fn read_as(file_path: &Path, path: &Path) -> Result<(H5Contents, Layout)> {
    hdf5::silence_errors(true);
    let file = hdf5::File::open(file_path).map_err(|e| h5_error(path, e))?;
    let mut contents = H5Contents {
        keras_version: read_optional_string(path, &file, "keras_version")?,
        backend: read_optional_string(path, &file, "backend")?,
        model_config: read_optional_string(path, &file, "model_config")?,
        training_config: read_optional_string(path, &file, "training_config")?,
        generators: read_generators(path, &file)?,
        ..H5Contents::default()
    };
    let layout = if file.link_exists("model_weights") {
        let group = file.group("model_weights").map_err(|e| h5_error(path, e))?;
        contents.layers = read_layers(path, &group)?;
        Layout::Model
    } else if has_attr(&file, "layer_names") || has_attr(&file, "layer_names0") {
        contents.layers = read_layers(path, &file)?;
        Layout::Keras2Weights
    } else if file.link_exists("layers") {
        let group = file.group("layers").map_err(|e| h5_error(path, e))?;
        contents.layers = read_keras3_layers(path, &group)?;
        if file.link_exists("optimizer/vars") {
            let vars = file
                .group("optimizer/vars")
                .map_err(|e| h5_error(path, e))?;
            for index in indexed_members(path, &vars)? {
                let dataset = vars.dataset(&index).map_err(|e| h5_error(path, e))?;
                let name = format!("optimizer/vars/{index}");
                contents
                    .optimizer_vars
                    .push(read_array(path, &dataset, &name)?);
            }
        }
        Layout::Keras3Weights
    } else {
        return Err(format_error(
            path,
            "an HDF5 file without Keras weights (no `model_weights` group, `layer_names` attribute or `layers` group)",
        ));
    };
    if layout == Layout::Model && file.link_exists("optimizer_weights") {
        let group = file
            .group("optimizer_weights")
            .map_err(|e| h5_error(path, e))?;
        let names = read_chunked_strings(path, &group, "weight_names")?.unwrap_or_default();
        for name in names {
            let dataset = group.dataset(&name).map_err(|e| {
                format_error(
                    path,
                    format!("optimizer weight `{name}` is listed but missing: {e}"),
                )
            })?;
            contents.optimizer.push(read_array(path, &dataset, &name)?);
        }
    }
    Ok((contents, layout))
}

/// The attribute densely keeps its Dropout generators' states in.
const GENERATORS: &str = "densely_generators";

fn read_generators(path: &Path, location: &Location) -> Result<Vec<FileGenerator>> {
    match read_optional_string(path, location, GENERATORS)? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| format_error(path, format!("attribute `{GENERATORS}`: {e}"))),
        None => Ok(Vec::new()),
    }
}

fn has_attr(location: &Location, name: &str) -> bool {
    location
        .attr_names()
        .map(|names| names.iter().any(|n| n == name))
        .unwrap_or(false)
}

fn read_optional_string(path: &Path, location: &Location, name: &str) -> Result<Option<String>> {
    if !has_attr(location, name) {
        return Ok(None);
    }
    let attr = location.attr(name).map_err(|e| h5_error(path, e))?;
    let mut strings = read_strings(path, &attr, name)?;
    if strings.len() != 1 {
        return Err(format_error(
            path,
            format!(
                "attribute `{name}` holds {} strings, not one",
                strings.len()
            ),
        ));
    }
    Ok(strings.pop())
}

/// A string attribute split as Keras splits long ones: `NAME`, or `NAME0`, `NAME1`, ...
fn read_chunked_strings(
    path: &Path,
    location: &Location,
    name: &str,
) -> Result<Option<Vec<String>>> {
    if has_attr(location, name) {
        let attr = location.attr(name).map_err(|e| h5_error(path, e))?;
        return read_strings(path, &attr, name).map(Some);
    }
    let mut all = Vec::new();
    let mut chunk = 0;
    while has_attr(location, &format!("{name}{chunk}")) {
        let chunk_name = format!("{name}{chunk}");
        let attr = location.attr(&chunk_name).map_err(|e| h5_error(path, e))?;
        all.extend(read_strings(path, &attr, &chunk_name)?);
        chunk += 1;
    }
    Ok((chunk > 0).then_some(all))
}

macro_rules! read_fixed {
    ($path:expr, $attr:expr, $name:expr, $ty:ident, $len:expr) => {{
        let len = $len;
        if len <= 256 {
            read_string_values::<$ty<256>>($path, $attr, $name, |s| s.as_str().to_owned())
        } else if len <= 4096 {
            read_string_values::<$ty<4096>>($path, $attr, $name, |s| s.as_str().to_owned())
        } else if len <= 65536 {
            read_string_values::<$ty<65536>>($path, $attr, $name, |s| s.as_str().to_owned())
        } else {
            Err(format_error(
                $path,
                format!(
                    "attribute `{}` holds fixed-length strings of {len} bytes",
                    $name
                ),
            ))
        }
    }};
}

/// Every string of an attribute, scalar or 1-D, variable- or fixed-length, ASCII or UTF-8; an
/// empty numeric array (how h5py stores an empty list) reads as no strings.
fn read_strings(path: &Path, attr: &Attribute, name: &str) -> Result<Vec<String>> {
    let descriptor = attr
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(|e| h5_error(path, e))?;
    match descriptor {
        TypeDescriptor::VarLenAscii => {
            read_string_values::<VarLenAscii>(path, attr, name, |s| s.as_str().to_owned())
        }
        TypeDescriptor::VarLenUnicode => {
            read_string_values::<VarLenUnicode>(path, attr, name, |s| s.as_str().to_owned())
        }
        TypeDescriptor::FixedAscii(len) => read_fixed!(path, attr, name, FixedAscii, len),
        TypeDescriptor::FixedUnicode(len) => read_fixed!(path, attr, name, FixedUnicode, len),
        _ if attr.size() == 0 && !attr.is_scalar() => Ok(Vec::new()),
        other => Err(format_error(
            path,
            format!("attribute `{name}` holds {other}, not strings"),
        )),
    }
}

fn read_string_values<T: hdf5::H5Type>(
    path: &Path,
    attr: &Attribute,
    name: &str,
    convert: impl Fn(&T) -> String,
) -> Result<Vec<String>> {
    let context = |e: hdf5::Error| format_error(path, format!("attribute `{name}`: HDF5: {e}"));
    if attr.is_scalar() {
        Ok(vec![convert(&attr.read_scalar::<T>().map_err(context)?)])
    } else if attr.ndim() == 1 {
        Ok(attr
            .read_raw::<T>()
            .map_err(context)?
            .iter()
            .map(convert)
            .collect())
    } else {
        Err(format_error(
            path,
            format!("attribute `{name}` has {} dimensions", attr.ndim()),
        ))
    }
}

/// Reads a dataset: floats as f32, integers as i64.
fn read_array(path: &Path, dataset: &hdf5::Dataset, name: &str) -> Result<NamedArray> {
    let context = |e: hdf5::Error| format_error(path, format!("dataset `{name}`: HDF5: {e}"));
    let shape = dataset.shape();
    let descriptor = dataset
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(context)?;
    let values = match descriptor {
        TypeDescriptor::Float(_) => Values::F32(dataset.read_raw::<f32>().map_err(context)?),
        TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_) | TypeDescriptor::Boolean => {
            Values::I64(dataset.read_raw::<i64>().map_err(context)?)
        }
        other => {
            return Err(format_error(
                path,
                format!("dataset `{name}` holds {other}, not numbers"),
            ))
        }
    };
    let len = match &values {
        Values::F32(v) => v.len(),
        Values::I64(v) => v.len(),
    };
    let expected = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if expected != Some(len) {
        return Err(format_error(
            path,
            format!("dataset `{name}` has shape {shape:?} but {len} values"),
        ));
    }
    Ok(NamedArray {
        name: name.to_owned(),
        shape,
        values,
    })
}

fn read_tensor(path: &Path, group: &Group, name: &str, layer: &str) -> Result<FileTensor> {
    let dataset = group.dataset(name).map_err(|e| {
        format_error(
            path,
            format!("weight `{name}` of layer `{layer}` is listed but missing: {e}"),
        )
    })?;
    let array = read_array(path, &dataset, name)?;
    match array.values {
        Values::F32(values) => Ok(FileTensor {
            name: name.to_owned(),
            shape: array.shape,
            values,
        }),
        Values::I64(_) => Err(format_error(
            path,
            format!("weight `{name}` of layer `{layer}` holds integers"),
        )),
    }
}

/// Every dataset under `group`, depth first, in name order (for layers without
/// `weight_names`); kernels come before biases as Keras orders them.
fn dataset_paths(group: &Group, prefix: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    let Ok(names) = group.member_names() else {
        return;
    };
    for name in names {
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if let Ok(sub) = group.group(&name) {
            dataset_paths(&sub, &full, out, depth + 1);
        } else if group.dataset(&name).is_ok() {
            out.push(full);
        }
    }
}

fn read_layers(path: &Path, root: &Group) -> Result<Vec<FileLayer>> {
    let names = read_chunked_strings(path, root, "layer_names")?
        .ok_or_else(|| format_error(path, "the weights have no `layer_names` attribute"))?;
    let mut layers = Vec::with_capacity(names.len());
    for name in names {
        let group = root.group(&name).map_err(|e| {
            format_error(
                path,
                format!("layer `{name}` is listed but has no group: {e}"),
            )
        })?;
        let weight_names = match read_chunked_strings(path, &group, "weight_names")? {
            Some(names) => names,
            None => {
                let mut found = Vec::new();
                dataset_paths(&group, "", &mut found, 0);
                found.sort_by_key(|n| (!n.contains("kernel"), n.clone()));
                found
            }
        };
        let weights = weight_names
            .iter()
            .map(|w| read_tensor(path, &group, w, &name))
            .collect::<Result<Vec<_>>>()?;
        layers.push(FileLayer { name, weights });
    }
    Ok(layers)
}

/// `dense_12` → `("dense", 12)`, `dense` → `("dense", 0)`: Keras 3's per-class numbering of
/// the groups of a `.weights.h5` file, which follows the model's layer order.
fn group_order(name: &str) -> (String, u64) {
    if let Some((stem, number)) = name.rsplit_once('_') {
        if let Ok(n) = number.parse::<u64>() {
            return (stem.to_owned(), n);
        }
    }
    (name.to_owned(), 0)
}

/// The members of a Keras 3 `vars` group (`0`, `1`, ..., `10`), in numeric order.
fn indexed_members(path: &Path, vars: &Group) -> Result<Vec<String>> {
    let mut indices: Vec<(u64, String)> = vars
        .member_names()
        .map_err(|e| h5_error(path, e))?
        .into_iter()
        .map(|n| (n.parse::<u64>().unwrap_or(u64::MAX), n))
        .collect();
    indices.sort();
    Ok(indices.into_iter().map(|(_, name)| name).collect())
}

fn read_keras3_layers(path: &Path, layers_group: &Group) -> Result<Vec<FileLayer>> {
    let mut groups = layers_group.member_names().map_err(|e| h5_error(path, e))?;
    groups.sort_by_key(|name| group_order(name));
    let mut layers = Vec::new();
    for group_name in groups {
        let group = layers_group
            .group(&group_name)
            .map_err(|e| h5_error(path, e))?;
        let mut name = group_name.clone();
        let mut weights = Vec::new();
        if group.link_exists("vars") {
            let vars = group.group("vars").map_err(|e| h5_error(path, e))?;
            if let Some(real) = read_optional_string(path, &vars, "name")? {
                name = real;
            }
            for var in indexed_members(path, &vars)? {
                weights.push(read_tensor(path, &vars, &var, &name)?);
            }
        }
        layers.push(FileLayer { name, weights });
    }
    Ok(layers)
}

// ---------------------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------------------

fn unicode(path: &Path, text: &str) -> Result<VarLenUnicode> {
    text.parse::<VarLenUnicode>()
        .map_err(|e| format_error(path, format!("cannot store {text:?} in HDF5: {e}")))
}

fn write_string_attr(path: &Path, location: &Location, name: &str, value: &str) -> Result<()> {
    let value = unicode(path, value)?;
    location
        .new_attr::<VarLenUnicode>()
        .shape(())
        .create(name)
        .and_then(|attr| attr.write_scalar(&value))
        .map_err(|e| h5_error(path, e))
}

/// A list of names, as an array of strings; an empty list as h5py writes one (an empty
/// float64 array).
fn write_names_attr(path: &Path, location: &Location, name: &str, values: &[&str]) -> Result<()> {
    if values.is_empty() {
        return location
            .new_attr::<f64>()
            .shape([0])
            .create(name)
            .map(|_| ())
            .map_err(|e| h5_error(path, e));
    }
    let values = values
        .iter()
        .map(|v| unicode(path, v))
        .collect::<Result<Vec<_>>>()?;
    location
        .new_attr::<VarLenUnicode>()
        .shape([values.len()])
        .create(name)
        .and_then(|attr| attr.write_raw(&values))
        .map_err(|e| h5_error(path, e))
}

/// The group at `parts` under `root`, created as needed.
fn nested_group(path: &Path, root: &Group, parts: &[&str]) -> Result<Group> {
    let mut group = root.clone();
    for part in parts {
        group = if group.link_exists(part) {
            group.group(part)
        } else {
            group.create_group(part)
        }
        .map_err(|e| h5_error(path, e))?;
    }
    Ok(group)
}

fn write_array(
    path: &Path,
    root: &Group,
    name: &str,
    shape: &[usize],
    values: &Values,
) -> Result<()> {
    let parts: Vec<&str> = name.split('/').collect();
    let (last, parents) = parts
        .split_last()
        .ok_or_else(|| format_error(path, "an empty weight name"))?;
    let group = nested_group(path, root, parents)?;
    let result = match values {
        Values::F32(v) => {
            let dataset = group.new_dataset::<f32>().shape(shape).create(*last);
            dataset.and_then(|d| {
                if shape.is_empty() {
                    d.write_scalar(&v[0])
                } else {
                    d.write_raw(v.as_slice())
                }
            })
        }
        Values::I64(v) => {
            let dataset = group.new_dataset::<i64>().shape(shape).create(*last);
            dataset.and_then(|d| {
                if shape.is_empty() {
                    d.write_scalar(&v[0])
                } else {
                    d.write_raw(v.as_slice())
                }
            })
        }
    };
    result.map_err(|e| h5_error(path, e))
}

/// Writes `layer_names` and one group per layer, with `weight_names` and the datasets, as
/// Keras's `save_weights_to_hdf5_group` does.
fn write_layers(path: &Path, root: &Group, contents: &H5Contents) -> Result<()> {
    let names: Vec<&str> = contents.layers.iter().map(|l| l.name.as_str()).collect();
    write_names_attr(path, root, "layer_names", &names)?;
    write_string_attr(
        path,
        root,
        "backend",
        contents.backend.as_deref().unwrap_or("tensorflow"),
    )?;
    write_string_attr(
        path,
        root,
        "keras_version",
        contents.keras_version.as_deref().unwrap_or(KERAS_VERSION),
    )?;
    let mut sorted: Vec<&FileLayer> = contents.layers.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for layer in sorted {
        let group = root
            .create_group(&layer.name)
            .map_err(|e| h5_error(path, e))?;
        let weight_names: Vec<&str> = layer.weights.iter().map(|w| w.name.as_str()).collect();
        write_names_attr(path, &group, "weight_names", &weight_names)?;
        for tensor in &layer.weights {
            write_array(
                path,
                &group,
                &tensor.name,
                &tensor.shape,
                &Values::F32(tensor.values.clone()),
            )?;
        }
    }
    Ok(())
}

/// The Keras version written into files: the tf-keras release whose layout densely writes.
pub(crate) const KERAS_VERSION: &str = "2.21.0";

static BUILD_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `contents` to `path` atomically: the HDF5 library builds the file beside `path`
/// under a temporary name, and its bytes then replace `path` through
/// [`crate::io::write_atomically`].
pub(crate) fn write(path: &Path, contents: &H5Contents, layout: Layout) -> Result<()> {
    let bytes = build(path, contents, layout)?;
    crate::io::write_atomically(path, &bytes)
}

/// The bytes of the HDF5 file for `contents`.
pub(crate) fn build(path: &Path, contents: &H5Contents, layout: Layout) -> Result<Vec<u8>> {
    build_with(path, |file| match layout {
        Layout::Model => write_model(path, file, contents),
        Layout::Keras2Weights => write_layers(path, file, contents),
        Layout::Keras3Weights => Err(format_error(
            path,
            "Keras 3 weights are written with `build_keras3_weights`",
        )),
    })
}

/// One layer of a Keras 3 weights file: its group (`dense_1`, numbered per class in the
/// model's layer order) and the layer.
pub(crate) struct Keras3Group<'a> {
    /// The group's name under `layers/`.
    pub group: String,
    /// The layer, by its own name, with its weights.
    pub layer: &'a FileLayer,
}

/// The bytes of the `model.weights.h5` of a `.keras` archive: `layers/<group>/vars/<i>`
/// (each `vars` naming its layer), `optimizer/vars/<i>` and a root `vars` naming the model;
/// the Dropout generators ride along in the root attribute `densely_generators`.
pub(crate) fn build_keras3_weights(
    path: &Path,
    model_name: &str,
    groups: &[Keras3Group<'_>],
    optimizer: Option<(&str, &[NamedArray])>,
    generators: &[FileGenerator],
) -> Result<Vec<u8>> {
    build_with(path, |file| {
        let layers = file.create_group("layers").map_err(|e| h5_error(path, e))?;
        for Keras3Group { group, layer } in groups {
            let vars = nested_group(path, &layers, &[group, "vars"])?;
            write_string_attr(path, &vars, "name", &layer.name)?;
            for (index, tensor) in layer.weights.iter().enumerate() {
                write_array(
                    path,
                    &vars,
                    &index.to_string(),
                    &tensor.shape,
                    &Values::F32(tensor.values.clone()),
                )?;
            }
        }
        if let Some((name, arrays)) = optimizer {
            let vars = nested_group(path, file, &["optimizer", "vars"])?;
            write_string_attr(path, &vars, "name", name)?;
            for (index, array) in arrays.iter().enumerate() {
                write_array(path, &vars, &index.to_string(), &array.shape, &array.values)?;
            }
        }
        let vars = file.create_group("vars").map_err(|e| h5_error(path, e))?;
        write_string_attr(path, &vars, "name", model_name)?;
        if !generators.is_empty() {
            let json = serde_json::to_string(generators).expect("generator states are plain data");
            write_string_attr(path, file, GENERATORS, &json)?;
        }
        Ok(())
    })
}

/// The bytes of an HDF5 file that `write` fills, built in a scratch file beside `path`.
fn build_with(path: &Path, write: impl FnOnce(&hdf5::File) -> Result<()>) -> Result<Vec<u8>> {
    hdf5::silence_errors(true);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Named like the writer's temporary (`.NAME.PID.….tmp`), so that the next save clears
    // one a killed process left behind.
    let scratch = path.with_file_name(format!(
        ".{name}.{}.build{}.tmp",
        std::process::id(),
        BUILD_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    struct Remove<'a>(&'a Path);
    impl Drop for Remove<'_> {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(self.0);
        }
    }
    let _remove = Remove(&scratch);
    {
        let file = hdf5::File::create(&scratch).map_err(|e| h5_error(path, e))?;
        write(&file)?;
        file.close().map_err(|e| h5_error(path, e))?;
    }
    std::fs::read(&scratch).map_err(|source| Error::Io {
        path: scratch.display().to_string(),
        source,
    })
}

fn write_model(path: &Path, file: &hdf5::File, contents: &H5Contents) -> Result<()> {
    write_string_attr(
        path,
        file,
        "keras_version",
        contents.keras_version.as_deref().unwrap_or(KERAS_VERSION),
    )?;
    write_string_attr(
        path,
        file,
        "backend",
        contents.backend.as_deref().unwrap_or("tensorflow"),
    )?;
    write_string_attr(path, file, "densely_version", env!("CARGO_PKG_VERSION"))?;
    if let Some(config) = &contents.model_config {
        write_string_attr(path, file, "model_config", config)?;
    }
    if let Some(config) = &contents.training_config {
        write_string_attr(path, file, "training_config", config)?;
    }
    if !contents.generators.is_empty() {
        let json =
            serde_json::to_string(&contents.generators).expect("generator states are plain data");
        write_string_attr(path, file, GENERATORS, &json)?;
    }
    let weights = file
        .create_group("model_weights")
        .map_err(|e| h5_error(path, e))?;
    write_layers(path, &weights, contents)?;
    let top = weights
        .create_group("top_level_model_weights")
        .map_err(|e| h5_error(path, e))?;
    write_names_attr(path, &top, "weight_names", &[])?;
    if !contents.optimizer.is_empty() {
        let group = file
            .create_group("optimizer_weights")
            .map_err(|e| h5_error(path, e))?;
        let names: Vec<&str> = contents.optimizer.iter().map(|a| a.name.as_str()).collect();
        write_names_attr(path, &group, "weight_names", &names)?;
        for array in &contents.optimizer {
            write_array(path, &group, &array.name, &array.shape, &array.values)?;
        }
    }
    Ok(())
}
