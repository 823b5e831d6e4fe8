//! Reading Keras's HDF5 layouts.
//!
//! A damaged file must give an error, never a panic, a hang or a wrong number: the whole read
//! runs behind a panic boundary, the walk over groups is bounded in depth and in objects, and a
//! dataset may declare no more values than its file can hold.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use hdf5_pure::{AttrValue, DType, Dataset, Group};

use super::{
    h5_error, is_hdf5, string_checksum, H5Contents, Layout, NamedArray, Values, CHECKSUM,
    GENERATORS, STRING_CHECKSUMS,
};
use crate::error::{Error, Result};
use crate::files::{format_error, FileGenerator, FileLayer, FileTensor};

/// How deep the search for a layer's datasets goes (Keras nests them two or three deep).
const MAX_DEPTH: usize = 8;
/// How many groups and datasets one layer's search may visit.
const MAX_OBJECTS: usize = 100_000;
/// How many times its stored size a filtered (compressed) dataset may expand to; deflate
/// cannot exceed about 1,032.
const MAX_EXPANSION: u64 = 1_100;

/// Reads a Keras HDF5 file: a whole model or weights alone, Keras 2 or 3.
pub(crate) fn read(path: &Path) -> Result<(H5Contents, Layout)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_bytes(bytes, path)
}

/// Reads an HDF5 file held in memory, naming `path` in errors (the file, or the archive it
/// came from).
pub(crate) fn read_bytes(bytes: Vec<u8>, path: &Path) -> Result<(H5Contents, Layout)> {
    if !is_hdf5(&bytes) {
        return Err(format_error(path, "not an HDF5 file (no HDF5 signature)"));
    }
    let file_len = bytes.len() as u64;
    catch_unwind(AssertUnwindSafe(|| {
        let file = hdf5_pure::File::from_bytes(bytes).map_err(|e| h5_error(path, e))?;
        let declared = file.superblock().eof_address;
        if declared > file_len {
            return Err(format_error(
                path,
                format!("the file is cut short: it has {file_len} bytes of the {declared} its HDF5 header declares"),
            ));
        }
        Reader { path, file_len }.contents(&file.root())
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format_error(
            path,
            format!("the HDF5 structure is damaged (the reader stopped: {what})"),
        ))
    })
}

/// One file's read: its path for errors, and its length to bound what datasets may claim.
struct Reader<'a> {
    path: &'a Path,
    file_len: u64,
}

impl Reader<'_> {
    fn contents(&self, root: &Group) -> Result<(H5Contents, Layout)> {
        let attrs = self.attrs(root, "/")?;
        self.verify_string_checksums(&attrs)?;
        let mut contents = H5Contents {
            keras_version: self.optional_string(&attrs, "keras_version")?,
            backend: self.optional_string(&attrs, "backend")?,
            model_config: self.optional_string(&attrs, "model_config")?,
            training_config: self.optional_string(&attrs, "training_config")?,
            generators: self.generators(&attrs)?,
            ..H5Contents::default()
        };
        let groups = self.group_names(root)?;
        let has_group = |name: &str| groups.iter().any(|g| g == name);
        let layout = if has_group("model_weights") {
            let group = self.group(root, "model_weights")?;
            contents.layers = self.layers(&group)?;
            Layout::Model
        } else if attrs.contains_key("layer_names") || attrs.contains_key("layer_names0") {
            contents.layers = self.layers(root)?;
            Layout::Keras2Weights
        } else if has_group("layers") {
            let group = self.group(root, "layers")?;
            contents.layers = self.keras3_layers(&group)?;
            if has_group("optimizer") {
                let optimizer = self.group(root, "optimizer")?;
                if self.group_names(&optimizer)?.iter().any(|g| g == "vars") {
                    let vars = self.group(&optimizer, "vars")?;
                    for index in self.indexed_members(&vars)? {
                        let name = format!("optimizer/vars/{index}");
                        contents
                            .optimizer_vars
                            .push(self.array(&vars, &index, &name)?);
                    }
                }
            }
            Layout::Keras3Weights
        } else {
            return Err(format_error(
                self.path,
                "an HDF5 file without Keras weights (no `model_weights` group, `layer_names` attribute or `layers` group)",
            ));
        };
        if layout == Layout::Model && has_group("optimizer_weights") {
            let group = self.group(root, "optimizer_weights")?;
            let attrs = self.attrs(&group, "optimizer_weights")?;
            let names = self
                .chunked_strings(&attrs, "weight_names")?
                .ok_or_else(|| {
                    self.error("group `optimizer_weights` has no `weight_names` attribute")
                })?;
            for name in names {
                contents.optimizer.push(self.array(&group, &name, &name)?);
            }
        }
        Ok((contents, layout))
    }

    fn error(&self, reason: impl Into<String>) -> Error {
        format_error(self.path, reason)
    }

    fn attrs(&self, group: &Group, name: &str) -> Result<HashMap<String, AttrValue>> {
        group
            .attrs()
            .map_err(|e| self.error(format!("the attributes of `{name}`: HDF5: {e}")))
    }

    fn group_names(&self, group: &Group) -> Result<Vec<String>> {
        group.groups().map_err(|e| h5_error(self.path, e))
    }

    fn group(&self, parent: &Group, name: &str) -> Result<Group> {
        parent
            .group(name)
            .map_err(|e| self.error(format!("group `{name}`: HDF5: {e}")))
    }

    fn generators(&self, attrs: &HashMap<String, AttrValue>) -> Result<Vec<FileGenerator>> {
        match self.optional_string(attrs, GENERATORS)? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| self.error(format!("attribute `{GENERATORS}`: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    fn optional_string(
        &self,
        attrs: &HashMap<String, AttrValue>,
        name: &str,
    ) -> Result<Option<String>> {
        let Some(value) = attrs.get(name) else {
            return Ok(None);
        };
        let mut strings = self.strings(value, name)?;
        if strings.len() != 1 {
            return Err(self.error(format!(
                "attribute `{name}` holds {} strings, not one",
                strings.len()
            )));
        }
        Ok(strings.pop())
    }

    /// A string attribute split as Keras splits long ones: `NAME`, or `NAME0`, `NAME1`, ...
    fn chunked_strings(
        &self,
        attrs: &HashMap<String, AttrValue>,
        name: &str,
    ) -> Result<Option<Vec<String>>> {
        if let Some(value) = attrs.get(name) {
            return self.strings(value, name).map(Some);
        }
        let mut all = Vec::new();
        let mut chunk = 0;
        while let Some(value) = attrs.get(&format!("{name}{chunk}")) {
            all.extend(self.strings(value, &format!("{name}{chunk}"))?);
            chunk += 1;
        }
        Ok((chunk > 0).then_some(all))
    }

    /// Every string of an attribute, scalar or 1-D, variable- or fixed-length, ASCII or
    /// UTF-8; an empty numeric array (how h5py stores an empty list) reads as no strings.
    fn strings(&self, value: &AttrValue, name: &str) -> Result<Vec<String>> {
        if let Some(strings) = value.as_strings() {
            return Ok(strings.to_vec());
        }
        let empty = match value {
            AttrValue::F64Array(v) => v.is_empty(),
            AttrValue::F32Array(v) => v.is_empty(),
            AttrValue::I64Array(v) => v.is_empty(),
            AttrValue::I32Array(v) => v.is_empty(),
            AttrValue::U8Array(v) => v.is_empty(),
            _ => false,
        };
        if empty {
            Ok(Vec::new())
        } else {
            Err(self.error(format!("attribute `{name}` holds numbers, not strings")))
        }
    }

    /// Reads a dataset: floats as f32, integers as i64, checked against its checksum when it
    /// has one.
    fn array(&self, group: &Group, member: &str, name: &str) -> Result<NamedArray> {
        let context = |e: hdf5_pure::Error| self.error(format!("dataset `{name}`: HDF5: {e}"));
        let dataset = group
            .dataset(member)
            .map_err(|e| self.error(format!("`{name}` is listed but cannot be read: HDF5: {e}")))?;
        let shape = dataset
            .shape()
            .map_err(context)?
            .into_iter()
            .map(|d| usize::try_from(d).unwrap_or(usize::MAX))
            .collect::<Vec<_>>();
        self.check_size(&dataset, &shape, name)?;
        let values = match dataset.dtype().map_err(context)? {
            DType::F32 | DType::F64 => Values::F32(dataset.read_f32().map_err(context)?),
            DType::I8
            | DType::I16
            | DType::I32
            | DType::I64
            | DType::U8
            | DType::U16
            | DType::U32
            | DType::U64 => Values::I64(dataset.read_i64().map_err(context)?),
            other => return Err(self.error(format!("dataset `{name}` holds {other}, not numbers"))),
        };
        let expected = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if expected != Some(values.len()) {
            return Err(self.error(format!(
                "dataset `{name}` has shape {shape:?} but {} values",
                values.len()
            )));
        }
        self.verify_checksum(&dataset, &values, name)?;
        Ok(NamedArray {
            name: name.to_owned(),
            shape,
            values,
        })
    }

    /// Refuses a dataset that declares more data than the file could hold (a damaged size
    /// would otherwise have the reader fill gigabytes of fill values).
    fn check_size(&self, dataset: &Dataset, shape: &[usize], name: &str) -> Result<()> {
        let element = dataset.element_size().unwrap_or(1).max(1);
        let bytes = shape
            .iter()
            .try_fold(element, |a, &d| a.checked_mul(d as u64));
        let room = if dataset.filters().is_empty() {
            self.file_len
        } else {
            self.file_len.saturating_mul(MAX_EXPANSION)
        };
        match bytes {
            Some(bytes) if bytes <= room => Ok(()),
            _ => Err(self.error(format!(
                "dataset `{name}` declares shape {shape:?}, more than a file of {} bytes holds",
                self.file_len
            ))),
        }
    }

    fn verify_checksum(&self, dataset: &Dataset, values: &Values, name: &str) -> Result<()> {
        let attrs = dataset
            .attrs()
            .map_err(|e| self.error(format!("the attributes of `{name}`: HDF5: {e}")))?;
        let Some(stored) = attrs.get(CHECKSUM) else {
            return Ok(());
        };
        let stored = match stored {
            AttrValue::U32(v) => u64::from(*v),
            AttrValue::I64(v) => u64::try_from(*v).unwrap_or(u64::MAX),
            AttrValue::U64(v) => *v,
            _ => u64::MAX,
        };
        if stored != u64::from(values.checksum()) {
            return Err(self.error(format!(
                "the values of `{name}` fail their checksum: the file is damaged"
            )));
        }
        Ok(())
    }

    /// Checks the root's string attributes against [`STRING_CHECKSUMS`], when present.
    fn verify_string_checksums(&self, attrs: &HashMap<String, AttrValue>) -> Result<()> {
        let Some(json) = self.optional_string(attrs, STRING_CHECKSUMS)? else {
            return Ok(());
        };
        let damaged = |what: &str| {
            self.error(format!(
                "attribute `{what}` fails its checksum: the file is damaged"
            ))
        };
        let checksums: HashMap<String, u32> =
            serde_json::from_str(&json).map_err(|_| damaged(STRING_CHECKSUMS))?;
        for (name, checksum) in checksums {
            match self.optional_string(attrs, &name)? {
                Some(text) if string_checksum(&text) == checksum => {}
                _ => return Err(damaged(&name)),
            }
        }
        Ok(())
    }

    fn tensor(&self, group: &Group, name: &str, layer: &str) -> Result<FileTensor> {
        let label = format!("weight `{name}` of layer `{layer}`");
        let array = self.array(group, name, &label)?;
        match array.values {
            Values::F32(values) => Ok(FileTensor {
                name: name.to_owned(),
                shape: array.shape,
                values,
                integer: false,
            }),
            // Normalization's `count`: a small whole number, exact as an f32.
            Values::I64(values) => Ok(FileTensor {
                name: name.to_owned(),
                shape: array.shape,
                values: values.iter().map(|&v| v as f32).collect(),
                integer: true,
            }),
        }
    }

    /// Every dataset under `group`, depth first, in name order (for layers without
    /// `weight_names`), within [`MAX_DEPTH`] and [`MAX_OBJECTS`].
    fn dataset_paths(
        &self,
        group: &Group,
        prefix: &str,
        depth: usize,
        budget: &mut usize,
        out: &mut Vec<String>,
    ) -> Result<()> {
        let join = |name: &str| {
            if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}/{name}")
            }
        };
        let datasets = group.datasets().map_err(|e| h5_error(self.path, e))?;
        let groups = self.group_names(group)?;
        *budget = budget.saturating_sub(datasets.len() + groups.len());
        if depth > MAX_DEPTH || *budget == 0 {
            return Err(self.error(format!(
                "the groups under `{prefix}` nest too deep or hold too many objects"
            )));
        }
        out.extend(datasets.iter().map(|name| join(name)));
        for name in groups {
            let sub = self.group(group, &name)?;
            self.dataset_paths(&sub, &join(&name), depth + 1, budget, out)?;
        }
        Ok(())
    }

    fn layers(&self, root: &Group) -> Result<Vec<FileLayer>> {
        let attrs = self.attrs(root, "model_weights")?;
        let names = self
            .chunked_strings(&attrs, "layer_names")?
            .ok_or_else(|| self.error("the weights have no `layer_names` attribute"))?;
        let mut layers = Vec::with_capacity(names.len().min(4096));
        for name in names {
            let group = root.group(&name).map_err(|e| {
                self.error(format!(
                    "layer `{name}` is listed but has no group: HDF5: {e}"
                ))
            })?;
            let attrs = self.attrs(&group, &name)?;
            let weight_names = match self.chunked_strings(&attrs, "weight_names")? {
                Some(names) => names,
                None => {
                    let mut found = Vec::new();
                    self.dataset_paths(&group, "", 0, &mut MAX_OBJECTS.clone(), &mut found)?;
                    found.sort_by_key(|n| (!n.contains("kernel"), n.clone()));
                    found
                }
            };
            let weights = weight_names
                .iter()
                .map(|w| self.tensor(&group, w, &name))
                .collect::<Result<Vec<_>>>()?;
            layers.push(FileLayer { name, weights });
        }
        Ok(layers)
    }

    /// The members of a Keras 3 `vars` group (`0`, `1`, ..., `10`), in numeric order.
    fn indexed_members(&self, vars: &Group) -> Result<Vec<String>> {
        let mut indices: Vec<(u64, String)> = vars
            .datasets()
            .map_err(|e| h5_error(self.path, e))?
            .into_iter()
            .map(|n| (n.parse::<u64>().unwrap_or(u64::MAX), n))
            .collect();
        indices.sort();
        Ok(indices.into_iter().map(|(_, name)| name).collect())
    }

    fn keras3_layers(&self, layers_group: &Group) -> Result<Vec<FileLayer>> {
        let mut groups = self.group_names(layers_group)?;
        groups.sort_by_key(|name| group_order(name));
        let mut layers = Vec::new();
        for group_name in groups {
            let group = self.group(layers_group, &group_name)?;
            let mut name = group_name.clone();
            let mut weights = Vec::new();
            if self.group_names(&group)?.iter().any(|g| g == "vars") {
                let vars = self.group(&group, "vars")?;
                let attrs = self.attrs(&vars, &group_name)?;
                if let Some(real) = self.optional_string(&attrs, "name")? {
                    name = real;
                }
                for var in self.indexed_members(&vars)? {
                    weights.push(self.tensor(&vars, &var, &name)?);
                }
            }
            layers.push(FileLayer { name, weights });
        }
        Ok(layers)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A dataset that declares more values than its file could hold is refused before a value
    /// is read (a damaged dimension must not have the reader fill gigabytes).
    #[test]
    fn a_dataset_larger_than_its_file_is_refused() {
        let mut builder = hdf5_pure::FileBuilder::new();
        builder
            .create_dataset("kernel")
            .with_f32_data(&[0.5; 1000])
            .with_shape(&[10, 100]);
        let bytes = builder.finish().unwrap();
        let file = hdf5_pure::File::from_bytes(bytes.clone()).unwrap();
        let path = Path::new("model.h5");
        let whole = Reader {
            path,
            file_len: bytes.len() as u64,
        };
        assert_eq!(
            whole.array(&file.root(), "kernel", "kernel").unwrap().shape,
            [10, 100]
        );
        let small = Reader {
            path,
            file_len: 3999,
        };
        let error = small.array(&file.root(), "kernel", "kernel").unwrap_err();
        assert!(
            error.to_string().contains("declares shape [10, 100]"),
            "{error}"
        );
    }
}
