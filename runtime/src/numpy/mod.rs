//! NumPy's `.npy` and `.npz` files, as `np.save` and `np.savez` write them, into [`Batch`]
//! and [`Labels`] with the model's static shapes checked against the file's.
//!
//! The formats are read by the `npyz` crate (the `.npy` arrays) and the `zip` crate (the
//! `.npz` archives, stored or compressed). Element types: `float32`, `float64`, `uint8`,
//! `int32`, `int64` and `bool`, in either byte order; C and Fortran order (a Fortran array
//! comes back in C order, as `np.ascontiguousarray` gives it).
//!
//! ```no_run
//! use densely::prelude::*;
//!
//! // np.save("x.npy", x)  # x.shape == (n, 8), y.shape == (n,)
//! let x = Batch::<Shape1<8>>::from_npy("x.npy")?;
//! let y = Labels::<3>::from_npy("y.npy")?;
//! // np.savez("data.npz", x_train=..., y_train=...)
//! let data = densely::numpy::load_npz("data.npz")?;
//! let x_train: Batch<Shape1<8>> = data.batch("x_train")?;
//! let y_train: Labels<3> = data.labels("y_train")?;
//! # Ok::<(), densely::Error>(())
//! ```

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;

use npyz::Order;

mod file;

pub use file::NpyFile;
use file::{element_of, Element};

use crate::data::{Batch, Labels};
use crate::error::{format_error, io_error, quoted_list, Error, Result};
use crate::inspect::Array;
use crate::shape::Shape;

/// The values of an array, in C order, in the element type the file holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Elements {
    /// `float32`.
    F32(Vec<f32>),
    /// `float64`.
    F64(Vec<f64>),
    /// `uint8`, such as image pixels.
    U8(Vec<u8>),
    /// `int32`.
    I32(Vec<i32>),
    /// `int64`, numpy's default integer.
    I64(Vec<i64>),
    /// `bool`.
    Bool(Vec<bool>),
}

/// An array read from a `.npy` file or an `.npz` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// Where it was read from (`x.npy`, or `data.npz` and the entry), for errors.
    origin: String,
    shape: Vec<usize>,
    elements: Elements,
}

/// The arrays of an `.npz` archive, by name (without `.npy`), as `np.load` gives them.
#[derive(Clone, Debug)]
pub struct Npz {
    path: String,
    arrays: BTreeMap<String, NpyArray>,
}

/// Reads the `.npy` file at `path`, as `np.load` does.
pub fn load(path: impl AsRef<Path>) -> Result<NpyArray> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|source| io_error(path, source))?;
    read_array(io::BufReader::new(file), path.display().to_string())
        .map_err(|reason| format_error(path, reason))
}

/// Writes `array` to a `.npy` file at `path` as `float32`, as `np.save` does; the write is
/// atomic (the previous file stays whole on an error).
pub fn save(path: impl AsRef<Path>, array: &Array) -> Result<()> {
    use npyz::WriterBuilder;
    let path = path.as_ref();
    let shape: Vec<u64> = array.shape().iter().map(|&d| d as u64).collect();
    let mut bytes = Vec::new();
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&shape)
        .writer(&mut bytes)
        .begin_nd()
        .map_err(|source| io_error(path, source))?;
    writer
        .extend(array.values().iter().copied())
        .map_err(|source| io_error(path, source))?;
    writer.finish().map_err(|source| io_error(path, source))?;
    crate::io::write_atomically(path, &bytes)
}

/// Reads every array of the `.npz` archive at `path`, as `np.load` does.
pub fn load_npz(path: impl AsRef<Path>) -> Result<Npz> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|source| io_error(path, source))?;
    read_npz(io::BufReader::new(file), path)
}

/// Reads an `.npz` archive from `reader`; errors name `path`.
fn read_npz(reader: impl Read + io::Seek, path: &Path) -> Result<Npz> {
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| format_error(path, format!("not a zip archive, which an .npz is: {e}")))?;
    let mut arrays = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| format_error(path, format!("entry {index}: {e}")))?;
        let entry_name = entry.name().to_owned();
        let Some(name) = entry_name.strip_suffix(".npy") else {
            continue;
        };
        let origin = format!("{} (entry `{name}`)", path.display());
        // Read whole first: the zip reader checks the entry's CRC-32 only at its end.
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format_error(path, format!("entry `{name}`: {e}")))?;
        let array = read_array(bytes.as_slice(), origin)
            .map_err(|reason| format_error(path, format!("entry `{name}`: {reason}")))?;
        arrays.insert(name.to_owned(), array);
    }
    Ok(Npz {
        path: path.display().to_string(),
        arrays,
    })
}

impl Npz {
    /// The names of its arrays, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.arrays.keys().map(String::as_str)
    }

    /// The array called `name`; the error lists the names there are.
    pub fn array(&self, name: &str) -> Result<&NpyArray> {
        self.arrays.get(name).ok_or_else(|| Error::Format {
            path: self.path.clone(),
            reason: format!("no array `{name}`; it holds {}", quoted_list(self.names())),
        })
    }

    /// The array called `name` as a batch of samples of shape `S`.
    pub fn batch<S: Shape>(&self, name: &str) -> Result<Batch<S>> {
        self.array(name)?.to_batch()
    }

    /// The array called `name` as class labels below `C`.
    pub fn labels<const C: usize>(&self, name: &str) -> Result<Labels<C>> {
        self.array(name)?.to_labels()
    }
}

impl NpyArray {
    /// The shape, as numpy gives it: samples first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The values in C order.
    pub fn elements(&self) -> &Elements {
        &self.elements
    }

    /// The values as a batch of samples of shape `S`: the array's shape must be `(n, *S)`.
    /// Integers and booleans convert to `f32` exactly up to 2^24, as numpy's `astype` does.
    pub fn to_batch<S: Shape>(&self) -> Result<Batch<S>> {
        let shape: Vec<u64> = self.shape.iter().map(|&d| d as u64).collect();
        check_sample_shape::<S>(&shape).map_err(|reason| self.error(reason))?;
        let values = match &self.elements {
            Elements::F32(v) => v.clone(),
            other => other.to_f64().into_iter().map(|x| x as f32).collect(),
        };
        Batch::from_vec(values).map_err(|e| self.error(e.to_string()))
    }

    /// The values as an [`Array`] of `f32` of the same shape, whatever the element type (as
    /// numpy's `astype(np.float32)`): what a model built at run time reads.
    pub fn to_array(&self) -> Result<Array> {
        let values = match &self.elements {
            Elements::F32(v) => v.clone(),
            other => other.to_f64().into_iter().map(|x| x as f32).collect(),
        };
        Array::new(self.shape.clone(), values).map_err(|e| self.error(e.to_string()))
    }

    /// The values as class labels below `C`: shape `(n,)` or `(n, 1)`, integers (or floats
    /// that are whole numbers, as pandas often leaves them). The error names the first label
    /// that isn't one, by its index.
    pub fn to_labels<const C: usize>(&self) -> Result<Labels<C>> {
        if !(self.shape.len() == 1 || (self.shape.len() == 2 && self.shape[1] == 1)) {
            return Err(self.error(format!(
                "has shape {:?}; labels are one class per sample, shape (n,) or (n, 1)",
                self.shape
            )));
        }
        let as_class = |index: usize, value: f64| -> Result<u32> {
            if value.fract() == 0.0 && value >= 0.0 && value < C as f64 {
                Ok(value as u32)
            } else {
                Err(self.error(format!("label {index} is {value}, not a class in 0..{C}")))
            }
        };
        let classes: Result<Vec<u32>> = self
            .elements
            .to_f64()
            .into_iter()
            .enumerate()
            .map(|(i, x)| as_class(i, x))
            .collect();
        Labels::new(classes?).map_err(|e| self.error(e.to_string()))
    }

    fn error(&self, reason: String) -> Error {
        Error::Format {
            path: self.origin.clone(),
            reason,
        }
    }
}

impl<S: Shape> Batch<S> {
    /// Reads the `.npy` file at `path` (shape `(n, *S)`) into a batch; see [`crate::numpy`].
    pub fn from_npy(path: impl AsRef<Path>) -> Result<Self> {
        load(path)?.to_batch()
    }
}

impl<const C: usize> Labels<C> {
    /// Reads the `.npy` file at `path` (shape `(n,)`) into labels; see [`crate::numpy`].
    pub fn from_npy(path: impl AsRef<Path>) -> Result<Self> {
        load(path)?.to_labels()
    }
}

/// Checks that an array of `shape` holds samples of shape `S`: `(n, *S)`.
fn check_sample_shape<S: Shape>(shape: &[u64]) -> std::result::Result<(), String> {
    let fits = shape.len() == S::DIMS.len() + 1
        && shape[1..]
            .iter()
            .zip(S::DIMS)
            .all(|(&d, &want)| d == want as u64);
    if fits {
        return Ok(());
    }
    let dims: Vec<String> = S::DIMS.iter().map(usize::to_string).collect();
    Err(format!(
        "has shape {shape:?}; samples of shape {:?} need (n, {})",
        S::DIMS,
        dims.join(", ")
    ))
}

/// Reads one array; the error says what is wrong, for the caller to name the file.
fn read_array(reader: impl Read, origin: String) -> std::result::Result<NpyArray, String> {
    let npy = npyz::NpyFile::new(reader).map_err(|e| format!("not a .npy array: {e}"))?;
    let shape: Vec<usize> = npy
        .shape()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("dimension {d} is too large")))
        .collect::<std::result::Result<_, _>>()?;
    let order = npy.order();
    let (element, _) = element_of(&npy.dtype())?;
    let truncated = |e: io::Error| format!("its data is cut short or unreadable: {e}");
    let elements = match element {
        Element::F32 => Elements::F32(npy.into_vec().map_err(truncated)?),
        Element::F64 => Elements::F64(npy.into_vec().map_err(truncated)?),
        Element::U8 => Elements::U8(npy.into_vec().map_err(truncated)?),
        Element::I32 => Elements::I32(npy.into_vec().map_err(truncated)?),
        Element::I64 => Elements::I64(npy.into_vec().map_err(truncated)?),
        Element::Bool => Elements::Bool(npy.into_vec().map_err(truncated)?),
    };
    let elements = match order {
        Order::C => elements,
        Order::Fortran => elements.to_c_order(&shape),
    };
    Ok(NpyArray {
        origin,
        shape,
        elements,
    })
}

impl Elements {
    /// The values as `f64`, booleans as 0 and 1: exact for every type but the largest
    /// `int64`s.
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Elements::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Elements::F64(v) => v.clone(),
            Elements::U8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Elements::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Elements::I64(v) => v.iter().map(|&x| x as f64).collect(),
            Elements::Bool(v) => v.iter().map(|&x| f64::from(u8::from(x))).collect(),
        }
    }

    /// numpy's name of the element type.
    pub fn dtype(&self) -> &'static str {
        match self {
            Elements::F32(_) => "float32",
            Elements::F64(_) => "float64",
            Elements::U8(_) => "uint8",
            Elements::I32(_) => "int32",
            Elements::I64(_) => "int64",
            Elements::Bool(_) => "bool",
        }
    }

    fn to_c_order(&self, shape: &[usize]) -> Elements {
        match self {
            Elements::F32(v) => Elements::F32(c_order(v, shape)),
            Elements::F64(v) => Elements::F64(c_order(v, shape)),
            Elements::U8(v) => Elements::U8(c_order(v, shape)),
            Elements::I32(v) => Elements::I32(c_order(v, shape)),
            Elements::I64(v) => Elements::I64(c_order(v, shape)),
            Elements::Bool(v) => Elements::Bool(c_order(v, shape)),
        }
    }
}

/// Fortran-order values (first index fastest) rearranged in C order (last index fastest).
fn c_order<T: Copy>(fortran: &[T], shape: &[usize]) -> Vec<T> {
    // Stride of each dimension in the Fortran layout.
    let mut strides = Vec::with_capacity(shape.len());
    let mut stride = 1;
    for &dim in shape {
        strides.push(stride);
        stride *= dim;
    }
    let mut index = vec![0; shape.len()];
    let mut out = Vec::with_capacity(fortran.len());
    for _ in 0..fortran.len() {
        let at: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.push(fortran[at]);
        // The next C-order index: the last dimension moves fastest.
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            if index[axis] < shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    out
}

/// Writers of `.npy` arrays and zip archives, for the tests of the loaders built on this
/// module.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::Write;

    /// A `.npy` array of unsigned bytes, as numpy writes it.
    pub fn npy(shape: &[usize], data: &[u8]) -> Vec<u8> {
        let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
        let shape = match dims.len() {
            1 => format!("({},)", dims[0]),
            _ => format!("({})", dims.join(", ")),
        };
        let mut header = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    /// A zip archive of `entries`, deflated when `deflate`, else stored.
    pub fn zip(entries: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{npy, zip};
    use super::*;

    fn parse(bytes: &[u8]) -> std::result::Result<Npz, String> {
        read_npz(io::Cursor::new(bytes), Path::new("test.npz")).map_err(|e| e.to_string())
    }

    #[test]
    fn stored_and_deflated_archives_round_trip() {
        let images: Vec<u8> = (0..2 * 784).map(|i| (i % 251) as u8).collect();
        for deflate in [false, true] {
            let archive = zip(
                &[
                    ("x_train.npy", npy(&[2, 28, 28], &images)),
                    ("y_train.npy", npy(&[2], &[5, 0])),
                ],
                deflate,
            );
            let npz = parse(&archive).unwrap();
            let x = npz.array("x_train").unwrap();
            assert_eq!(x.shape(), [2, 28, 28]);
            assert_eq!(x.elements(), &Elements::U8(images.clone()));
            assert_eq!(
                npz.array("y_train").unwrap().elements(),
                &Elements::U8(vec![5, 0])
            );
        }
    }

    #[test]
    fn damaged_archives_and_arrays_are_errors() {
        let archive = zip(&[("y.npy", npy(&[3], &[1, 2, 3]))], true);
        assert!(parse(&archive[..archive.len() - 30])
            .unwrap_err()
            .contains("zip"));
        assert!(parse(b"PK").is_err());
        assert!(parse(&[]).is_err());

        let mut flipped = zip(&[("y.npy", npy(&[3], &[1, 2, 3]))], false);
        let data = flipped.windows(3).position(|w| w == [1, 2, 3]).unwrap();
        flipped[data + 2] ^= 1;
        let err = parse(&flipped).unwrap_err();
        assert!(
            err.contains("test.npz") && err.contains("entry `y`"),
            "{err}"
        );

        let short = zip(&[("y.npy", npy(&[4], &[1, 2, 3]))], false);
        assert!(parse(&short).unwrap_err().contains("cut short"));

        let mut floats = npy(&[1], &[0; 2]);
        let at = floats.windows(3).position(|w| w == b"|u1").unwrap();
        floats[at..at + 3].copy_from_slice(b"<f2");
        let err = parse(&zip(&[("x.npy", floats)], false)).unwrap_err();
        assert!(err.contains("<f2") && err.contains("astype"), "{err}");
    }

    #[test]
    fn fortran_order_becomes_c_order() {
        // np.arange(6).reshape(2, 3) in Fortran order is stored 0 3 1 4 2 5.
        assert_eq!(
            c_order(&[0, 3, 1, 4, 2, 5], &[2, 3]),
            vec![0, 1, 2, 3, 4, 5]
        );
        // A (2, 2, 2) array: element (i, j, k) stored at i + 2j + 4k.
        let fortran: Vec<usize> = (0..8).collect();
        let c = c_order(&fortran, &[2, 2, 2]);
        let expected: Vec<usize> = (0..8)
            .map(|n| (n >> 2) + 2 * ((n >> 1) & 1) + 4 * (n & 1))
            .collect();
        assert_eq!(c, expected);
    }
}
