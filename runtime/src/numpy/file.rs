//! A `.npy` file read sample by sample, as batches need them: data larger than memory.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use npyz::{DType, Endianness, NpyHeader, Order, TypeChar};

use crate::error::{format_error, io_error, Result};
use crate::inputs::SampleRows;
use crate::shape::Shape;

/// The element types a file can hold, with their byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Element {
    F32,
    F64,
    U8,
    I32,
    I64,
    Bool,
}

impl Element {
    fn size(self) -> usize {
        match self {
            Element::U8 | Element::Bool => 1,
            Element::F32 | Element::I32 => 4,
            Element::F64 | Element::I64 => 8,
        }
    }
}

/// A `.npy` file of samples of shape `S` (array shape `(n, *S)`), left on disk: each batch
/// reads just its samples, so memory stays flat however large the file. `fit`, `evaluate`
/// and `predict` take it as they take a [`Batch`](crate::Batch), shuffling included.
///
/// Samples are read with ordinary reads (no memory map): a file cut short while training is
/// an error naming it, never a crash, and the pages read are the kernel's cache to drop.
/// Values convert to `f32` as [`Batch::from_npy`](crate::Batch::from_npy) converts them;
/// [`map_values`](Self::map_values) adds a conversion of its own, as `x / 255.0`.
///
/// ```no_run
/// use densely::prelude::*;
/// use densely::numpy::NpyFile;
///
/// model! {
///     struct Net {
///         input x: [784];
///         hidden = Dense(100, relu);
///         output y = Dense(10, softmax), loss = sparse_categorical_crossentropy;
///     }
/// }
///
/// // np.save("x_train.npy", x)  # uint8, shape (n, 784), larger than memory
/// let x = NpyFile::<Shape1<784>>::open("x_train.npy")?.map_values(|v| v / 255.0);
/// let y = Labels::<10>::from_npy("y_train.npy")?;
/// let mut model = Net::new();
/// model.compile(Sgd::default(), [Metric::Accuracy]);
/// model.fit(&x, &y, FitOptions::default().epochs(3))?;
/// # Ok::<(), densely::Error>(())
/// ```
pub struct NpyFile<S: Shape> {
    path: PathBuf,
    reader: Mutex<Reader>,
    data_start: u64,
    samples: usize,
    element: Element,
    big_endian: bool,
    map: Option<Box<dyn Fn(f32) -> f32 + Send + Sync>>,
    _shape: PhantomData<S>,
}

/// The open file and a buffer for the bytes of a run of samples.
struct Reader {
    file: File,
    bytes: Vec<u8>,
}

impl<S: Shape> NpyFile<S> {
    /// Opens the `.npy` file at `path` and checks its header: shape `(n, *S)`, C order, and
    /// one of the element types [`crate::numpy`] reads; and that it holds all its data.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let mut file = File::open(path).map_err(|source| io_error(path, source))?;
        let header = NpyHeader::from_reader(&mut file)
            .map_err(|e| format_error(path, format!("not a .npy array: {e}")))?;
        let data_start = file
            .stream_position()
            .map_err(|source| io_error(path, source))?;
        let fail = |reason: String| format_error(path, reason);
        let npy = npyz::NpyFile::with_header(header, std::io::empty());
        let (element, big_endian) = element_of(&npy.dtype()).map_err(fail)?;
        let shape: Vec<u64> = npy.shape().to_vec();
        super::check_sample_shape::<S>(&shape).map_err(fail)?;
        if npy.order() == Order::Fortran && shape[0] > 1 && S::SIZE > 1 {
            return Err(fail(
                "is stored in Fortran order, where a sample's values lie apart: save it with \
                 np.save(path, np.ascontiguousarray(x)), or read it whole with Batch::from_npy"
                    .into(),
            ));
        }
        let samples = usize::try_from(shape[0])
            .map_err(|_| fail(format!("holds {} samples, too many to index", shape[0])))?;
        let needed = (samples as u64)
            .checked_mul((S::SIZE * element.size()) as u64)
            .and_then(|bytes| bytes.checked_add(data_start))
            .ok_or_else(|| fail(format!("declares a shape too large to read: {shape:?}")))?;
        let length = file
            .metadata()
            .map_err(|source| io_error(path, source))?
            .len();
        if length < needed {
            return Err(fail(format!(
                "is cut short: its shape {shape:?} needs {needed} bytes and it holds {length}"
            )));
        }
        Ok(NpyFile {
            path: path.to_path_buf(),
            reader: Mutex::new(Reader {
                file,
                bytes: Vec::new(),
            }),
            data_start,
            samples,
            element,
            big_endian,
            map: None,
            _shape: PhantomData,
        })
    }

    /// Each value, once converted to `f32`, becomes `f(value)` (`|v| v / 255.0` for pixels).
    pub fn map_values(mut self, f: impl Fn(f32) -> f32 + Send + Sync + 'static) -> Self {
        self.map = Some(Box::new(f));
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads `count` samples from sample `first` on into `into`.
    fn read_run(&self, reader: &mut Reader, first: usize, into: &mut [f32]) -> Result<()> {
        let width = S::SIZE * self.element.size();
        let Reader { file, bytes } = reader;
        bytes.resize(into.len() * self.element.size(), 0);
        let at = self.data_start + (first * width) as u64;
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(bytes))
            .map_err(|e| {
                format_error(
                    &self.path,
                    format!(
                        "samples {first}..{} could not be read: {e} (did the file change?)",
                        first + into.len() / S::SIZE.max(1)
                    ),
                )
            })?;
        self.decode(bytes, into);
        Ok(())
    }

    /// Converts the bytes of whole samples into `f32` values.
    fn decode(&self, bytes: &[u8], into: &mut [f32]) {
        macro_rules! decode {
            ($ty:ty, $n:literal, $convert:expr) => {
                for (value, raw) in into.iter_mut().zip(bytes.chunks_exact($n)) {
                    let raw: [u8; $n] = raw.try_into().expect("chunks of the element size");
                    let number = if self.big_endian {
                        <$ty>::from_be_bytes(raw)
                    } else {
                        <$ty>::from_le_bytes(raw)
                    };
                    *value = $convert(number);
                }
            };
        }
        match self.element {
            Element::F32 => decode!(f32, 4, |x: f32| x),
            Element::F64 => decode!(f64, 8, |x: f64| x as f32),
            Element::I32 => decode!(i32, 4, |x: i32| x as f32),
            Element::I64 => decode!(i64, 8, |x: i64| x as f32),
            Element::U8 => {
                for (value, &byte) in into.iter_mut().zip(bytes) {
                    *value = f32::from(byte);
                }
            }
            Element::Bool => {
                for (value, &byte) in into.iter_mut().zip(bytes) {
                    *value = f32::from(u8::from(byte != 0));
                }
            }
        }
        if let Some(map) = &self.map {
            for value in into.iter_mut() {
                *value = map(*value);
            }
        }
    }
}

impl<S: Shape> SampleRows<S> for NpyFile<S> {
    fn samples(&self) -> usize {
        self.samples
    }

    /// Reads each run of consecutive rows with one read.
    fn stage(&self, rows: &[usize], into: &mut [f32]) -> Result<()> {
        let mut reader = self
            .reader
            .lock()
            .map_err(|_| format_error(&self.path, "an earlier read panicked"))?;
        let mut start = 0;
        while start < rows.len() {
            let mut end = start + 1;
            while end < rows.len() && rows[end] == rows[end - 1] + 1 {
                end += 1;
            }
            let slots = &mut into[start * S::SIZE..end * S::SIZE];
            self.read_run(&mut reader, rows[start], slots)?;
            start = end;
        }
        Ok(())
    }
}

impl<S: Shape> fmt::Debug for NpyFile<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NpyFile<{:?}>({}, {} samples of {:?})",
            S::DIMS,
            self.path.display(),
            self.samples,
            self.element
        )
    }
}

/// The element type and byte order of `dtype`, or why it can't be read.
pub(super) fn element_of(dtype: &DType) -> std::result::Result<(Element, bool), String> {
    let DType::Plain(type_str) = dtype else {
        return Err(format!(
            "holds records (`{}`); only plain numbers and booleans are read",
            dtype.descr()
        ));
    };
    let element = match (type_str.type_char(), type_str.size_field()) {
        (TypeChar::Float, 4) => Element::F32,
        (TypeChar::Float, 8) => Element::F64,
        (TypeChar::Uint, 1) => Element::U8,
        (TypeChar::Int, 4) => Element::I32,
        (TypeChar::Int, 8) => Element::I64,
        (TypeChar::Bool, 1) => Element::Bool,
        _ => {
            return Err(format!(
                "holds `{type_str}` values; densely reads float32, float64, uint8, int32, int64 and bool (convert with `astype` first)"
            ))
        }
    };
    Ok((element, type_str.endianness() == Endianness::Big))
}
