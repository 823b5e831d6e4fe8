//! Keras's HDF5 files, read and written in pure Rust through `hdf5-pure` (no C library).
//!
//! Reads whole-model files (`model_weights`, `optimizer_weights`, root attributes), Keras 2
//! `save_weights` files (the same layout at the root) and Keras 3 `.weights.h5` files
//! (`layers/<name>/vars/<i>`). Writes Keras 2's layout, which tf-keras 2 and Keras 3 both load,
//! and the weights of Keras 3's `.keras` archives.
//!
//! HDF5 checksums its metadata but not its data. Every array densely writes carries the CRC-32
//! of its values in an attribute, [`CHECKSUM`], that Keras ignores; a reader that finds one
//! checks it, so a damaged weight in a file densely wrote is an error, not a wrong number. The
//! root's string attributes (the model's configuration) are checksummed the same way, in
//! [`STRING_CHECKSUMS`].

mod read;
mod write;

pub(crate) use read::{read, read_bytes};
pub(crate) use write::{build_keras3_weights, write, Keras3Group};

use std::path::Path;

use super::{format_error, FileGenerator, FileLayer};
use crate::error::Error;

/// The first eight bytes of every HDF5 file (with no user block).
pub(crate) const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// The Keras version written into files: the tf-keras release whose layout densely writes.
pub(crate) const KERAS_VERSION: &str = "2.21.0";

/// The root attribute densely keeps its Dropout generators' states in (JSON; Keras ignores it).
const GENERATORS: &str = "densely_generators";

/// The attribute of each dataset densely writes that holds the CRC-32 (IEEE) of its values,
/// as little-endian bytes in the dataset's own type (f32 or i64).
const CHECKSUM: &str = "densely_crc32";

/// The root attribute that holds, as JSON, the CRC-32 of each of the root's string
/// attributes (`model_config`, `training_config`, ...) by name, so that a damaged
/// configuration is an error rather than another model.
const STRING_CHECKSUMS: &str = "densely_attribute_crc32";

/// The CRC-32 of a string attribute's UTF-8 bytes: what [`STRING_CHECKSUMS`] holds.
fn string_checksum(value: &str) -> u32 {
    crc32fast::hash(value.as_bytes())
}

/// The values of one array of an HDF5 file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Values {
    /// Floating-point values, as f32.
    F32(Vec<f32>),
    /// Integer values (Keras's iteration counts).
    I64(Vec<i64>),
}

impl Values {
    /// How many values there are.
    fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::I64(v) => v.len(),
        }
    }

    /// The CRC-32 of the values' little-endian bytes: what [`CHECKSUM`] holds.
    fn checksum(&self) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        match self {
            Values::F32(v) => v.iter().for_each(|x| hasher.update(&x.to_le_bytes())),
            Values::I64(v) => v.iter().for_each(|x| hasher.update(&x.to_le_bytes())),
        }
        hasher.finalize()
    }
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

/// Whether `bytes` start like an HDF5 file.
pub(crate) fn is_hdf5(bytes: &[u8]) -> bool {
    bytes.starts_with(SIGNATURE)
}

/// An error of the HDF5 layer, naming the file the user gave.
fn h5_error(path: &Path, error: impl std::fmt::Display) -> Error {
    format_error(path, format!("HDF5: {error}"))
}
