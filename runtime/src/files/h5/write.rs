//! Writing Keras's HDF5 layouts, built whole in memory and then written atomically.
//!
//! `hdf5-pure` wants each group finished before it joins its parent, so the file is first laid
//! out as a [`Node`] tree (nested weight names such as `dense/kernel:0` make groups on the
//! way) and then emitted depth first.

use std::collections::BTreeMap;
use std::path::Path;

use hdf5_pure::{AttrValue, DatasetBuilder, FileBuilder, GroupBuilder};

use super::{
    h5_error, string_checksum, H5Contents, Layout, NamedArray, Values, CHECKSUM, GENERATORS,
    KERAS_VERSION, STRING_CHECKSUMS,
};
use crate::error::Result;
use crate::files::{format_error, FileGenerator, FileLayer};

/// A group of the file being built: its attributes, subgroups (in name order, as HDF5 lists
/// them) and datasets.
#[derive(Default)]
struct Node {
    attrs: Vec<(String, AttrValue)>,
    groups: BTreeMap<String, Node>,
    datasets: Vec<(String, Vec<usize>, Values)>,
}

impl Node {
    /// The group at `parts` below this one, created as needed.
    fn group(&mut self, parts: &[&str]) -> &mut Node {
        parts.iter().fold(self, |node, part| {
            node.groups.entry((*part).to_owned()).or_default()
        })
    }

    fn set_string(&mut self, name: &str, value: &str) {
        self.attrs
            .push((name.to_owned(), AttrValue::VarLenString(value.to_owned())));
    }

    /// A list of names, as an array of strings; an empty list as h5py writes one (an empty
    /// float64 array).
    fn set_names(&mut self, name: &str, values: &[&str]) {
        let value = if values.is_empty() {
            AttrValue::F64Array(Vec::new())
        } else {
            AttrValue::VarLenStringArray(values.iter().map(|v| (*v).to_owned()).collect())
        };
        self.attrs.push((name.to_owned(), value));
    }

    /// Adds an array under its (possibly nested) name.
    fn add_array(
        &mut self,
        path: &Path,
        name: &str,
        shape: &[usize],
        values: Values,
    ) -> Result<()> {
        let parts: Vec<&str> = name.split('/').collect();
        let (last, parents) = parts
            .split_last()
            .filter(|(last, _)| !last.is_empty())
            .ok_or_else(|| format_error(path, format!("cannot store a weight named {name:?}")))?;
        self.group(parents)
            .datasets
            .push(((*last).to_owned(), shape.to_vec(), values));
        Ok(())
    }
}

/// What a node is emitted into: the file's root or a group.
trait Container {
    fn attr(&mut self, name: &str, value: AttrValue);
    fn dataset(&mut self, name: &str) -> &mut DatasetBuilder;
    fn subgroup(&mut self, name: &str) -> GroupBuilder;
    fn add(&mut self, group: hdf5_pure::FinishedGroup);
}

impl Container for FileBuilder {
    fn attr(&mut self, name: &str, value: AttrValue) {
        self.set_attr(name, value);
    }
    fn dataset(&mut self, name: &str) -> &mut DatasetBuilder {
        self.create_dataset(name)
    }
    fn subgroup(&mut self, name: &str) -> GroupBuilder {
        self.create_group(name)
    }
    fn add(&mut self, group: hdf5_pure::FinishedGroup) {
        self.add_group(group);
    }
}

impl Container for GroupBuilder {
    fn attr(&mut self, name: &str, value: AttrValue) {
        self.set_attr(name, value);
    }
    fn dataset(&mut self, name: &str) -> &mut DatasetBuilder {
        self.create_dataset(name)
    }
    fn subgroup(&mut self, name: &str) -> GroupBuilder {
        self.create_group(name)
    }
    fn add(&mut self, group: hdf5_pure::FinishedGroup) {
        self.add_group(group);
    }
}

fn emit(node: Node, into: &mut impl Container) {
    for (name, value) in node.attrs {
        into.attr(&name, value);
    }
    for (name, shape, values) in node.datasets {
        let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        let checksum = values.checksum();
        let dataset = into.dataset(&name);
        match &values {
            Values::F32(v) => dataset.with_f32_data(v),
            Values::I64(v) => dataset.with_i64_data(v),
        };
        dataset
            .with_shape(&shape)
            .set_attr(CHECKSUM, AttrValue::U32(checksum));
    }
    for (name, child) in node.groups {
        let mut group = into.subgroup(&name);
        emit(child, &mut group);
        into.add(group.finish());
    }
}

/// The bytes of the HDF5 file whose root is `root`, its string attributes checksummed.
fn finish(path: &Path, mut root: Node) -> Result<Vec<u8>> {
    let checksums: BTreeMap<&str, u32> = root
        .attrs
        .iter()
        .filter_map(|(name, value)| match value {
            AttrValue::VarLenString(text) => Some((name.as_str(), string_checksum(text))),
            _ => None,
        })
        .collect();
    let checksums = serde_json::to_string(&checksums).expect("names and numbers");
    root.set_string(STRING_CHECKSUMS, &checksums);
    let mut builder = FileBuilder::new();
    emit(root, &mut builder);
    builder.finish().map_err(|e| h5_error(path, e))
}

/// Writes `contents` to `path` atomically, in `layout` (a whole model or Keras 2's weights).
pub(crate) fn write(path: &Path, contents: &H5Contents, layout: Layout) -> Result<()> {
    let mut root = Node::default();
    match layout {
        Layout::Model => model(path, &mut root, contents)?,
        Layout::Keras2Weights => layers(path, &mut root, contents)?,
        Layout::Keras3Weights => {
            return Err(format_error(
                path,
                "Keras 3 weights are written with `build_keras3_weights`",
            ))
        }
    }
    crate::io::write_atomically(path, &finish(path, root)?)
}

/// `layer_names` and one group per layer, with `weight_names` and the datasets, as Keras's
/// `save_weights_to_hdf5_group` writes them.
fn layers(path: &Path, root: &mut Node, contents: &H5Contents) -> Result<()> {
    let names: Vec<&str> = contents.layers.iter().map(|l| l.name.as_str()).collect();
    root.set_names("layer_names", &names);
    root.set_string(
        "backend",
        contents.backend.as_deref().unwrap_or("tensorflow"),
    );
    root.set_string(
        "keras_version",
        contents.keras_version.as_deref().unwrap_or(KERAS_VERSION),
    );
    for layer in &contents.layers {
        let group = root.group(&[&layer.name]);
        let weight_names: Vec<&str> = layer.weights.iter().map(|w| w.name.as_str()).collect();
        group.set_names("weight_names", &weight_names);
        for tensor in &layer.weights {
            group.add_array(path, &tensor.name, &tensor.shape, tensor.file_values())?;
        }
    }
    Ok(())
}

fn generators_json(generators: &[FileGenerator]) -> String {
    serde_json::to_string(generators).expect("generator states are plain data")
}

fn model(path: &Path, root: &mut Node, contents: &H5Contents) -> Result<()> {
    root.set_string(
        "keras_version",
        contents.keras_version.as_deref().unwrap_or(KERAS_VERSION),
    );
    root.set_string(
        "backend",
        contents.backend.as_deref().unwrap_or("tensorflow"),
    );
    root.set_string("densely_version", env!("CARGO_PKG_VERSION"));
    if let Some(config) = &contents.model_config {
        root.set_string("model_config", config);
    }
    if let Some(config) = &contents.training_config {
        root.set_string("training_config", config);
    }
    if !contents.generators.is_empty() {
        root.set_string(GENERATORS, &generators_json(&contents.generators));
    }
    let weights = root.group(&["model_weights"]);
    layers(path, weights, contents)?;
    weights
        .group(&["top_level_model_weights"])
        .set_names("weight_names", &[]);
    if !contents.optimizer.is_empty() {
        let group = root.group(&["optimizer_weights"]);
        let names: Vec<&str> = contents.optimizer.iter().map(|a| a.name.as_str()).collect();
        group.set_names("weight_names", &names);
        for array in &contents.optimizer {
            group.add_array(path, &array.name, &array.shape, array.values.clone())?;
        }
    }
    Ok(())
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
    let mut root = Node::default();
    let layers = root.group(&["layers"]);
    for Keras3Group { group, layer } in groups {
        let vars = layers.group(&[group, "vars"]);
        vars.set_string("name", &layer.name);
        for (index, tensor) in layer.weights.iter().enumerate() {
            vars.add_array(
                path,
                &index.to_string(),
                &tensor.shape,
                tensor.file_values(),
            )?;
        }
    }
    if let Some((name, arrays)) = optimizer {
        let vars = root.group(&["optimizer", "vars"]);
        vars.set_string("name", name);
        for (index, array) in arrays.iter().enumerate() {
            vars.add_array(path, &index.to_string(), &array.shape, array.values.clone())?;
        }
    }
    root.group(&["vars"]).set_string("name", model_name);
    if !generators.is_empty() {
        root.set_string(GENERATORS, &generators_json(generators));
    }
    finish(path, root)
}
