//! Where a model's input samples come from: anything that can copy chosen samples into a
//! batch, so that data need not be a `Batch` of `f32` in memory.
//!
//! `predict`, `fit`, `evaluate` and `validation_data` take, for each `input`, a reference to
//! any [`SampleRows`] of the input's shape:
//!
//! - a [`Batch`], the values themselves;
//! - [`ByteSamples`], bytes that stay bytes in memory and become `f32` batch by batch (the
//!   Fashion-MNIST images as 47 MB of pixels rather than 188 MB of floats:
//!   [`ImageSet::scaled_view`](crate::datasets::ImageSet::scaled_view));
//! - [`NpyFile`](crate::numpy::NpyFile), a `.npy` file read sample by sample as batches need
//!   them, for data larger than memory.
//!
//! ```
//! use densely::prelude::*;
//! use densely::inputs::ByteSamples;
//!
//! model! {
//!     struct Net {
//!         input pixels: [4];
//!         output y = Dense(1), loss = mse;
//!     }
//! }
//!
//! let bytes = vec![0, 51, 102, 255, 255, 0, 0, 0];
//! let scaled = ByteSamples::<Shape1<4>>::new(&bytes, |b| f32::from(b) / 255.0)?;
//! let floats = Batch::<Shape1<4>>::from_vec(bytes.iter().map(|&b| f32::from(b) / 255.0).collect())?;
//! let mut model = Net::new();
//! assert_eq!(model.predict(&scaled)?, model.predict(&floats)?);
//! # Ok::<(), densely::Error>(())
//! ```

use std::fmt;
use std::marker::PhantomData;

use crate::data::Batch;
use crate::error::{Error, Result};
use crate::network::{InputsOf, Network};
use crate::shape::Shape;

/// Samples of shape `S` a model can read an input from, copied into batches as they are
/// needed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` holds no samples of shape `{S}`",
    label = "not samples of shape `{S}`",
    note = "an input of shape `{S}` reads a `&Batch`, `&ByteSamples` or `&NpyFile` of that shape"
)]
pub trait SampleRows<S: Shape> {
    /// The number of samples.
    fn samples(&self) -> usize;
    /// Writes the samples `rows`, one after the other, into `into` (`rows.len() * S::SIZE`
    /// values). Errors say what could not be read (a file that changed under the reader).
    fn stage(&self, rows: &[usize], into: &mut [f32]) -> Result<()>;
}

impl<S: Shape> SampleRows<S> for Batch<S> {
    fn samples(&self) -> usize {
        self.len()
    }

    fn stage(&self, rows: &[usize], into: &mut [f32]) -> Result<()> {
        let values = self.as_slice();
        for (slot, &row) in into.chunks_exact_mut(S::SIZE).zip(rows) {
            slot.copy_from_slice(&values[row * S::SIZE..(row + 1) * S::SIZE]);
        }
        Ok(())
    }
}

/// One input of a model as it reads it: any [`SampleRows`] of the input's shape.
pub struct Input<'a, S: Shape> {
    rows: &'a (dyn SampleRows<S> + 'a),
}

impl<'a, S: Shape> Input<'a, S> {
    /// The input read from `rows`.
    pub fn new(rows: &'a (dyn SampleRows<S> + 'a)) -> Self {
        Input { rows }
    }

    /// The number of samples.
    pub fn samples(self) -> usize {
        self.rows.samples()
    }

    /// Writes the samples `rows`, one after the other, into `into`.
    pub fn stage_into(self, rows: &[usize], into: &mut [f32]) -> Result<()> {
        self.rows.stage(rows, into)
    }
}

impl<S: Shape> Clone for Input<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Shape> Copy for Input<'_, S> {}

impl<S: Shape> fmt::Debug for Input<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Input<{:?}>({} samples)", S::DIMS, self.samples())
    }
}

/// Copies the samples `rows` of `input` into the front of `staging`, growing it only when it
/// is too small (so a training loop allocates once).
pub fn stage<S: Shape>(input: Input<'_, S>, rows: &[usize], staging: &mut Vec<f32>) -> Result<()> {
    let needed = rows.len() * S::SIZE;
    if staging.len() < needed {
        staging.resize(needed, 0.0);
    }
    input.rows.stage(rows, &mut staging[..needed])
}

/// A model with a single `input`, as the `model!` macro declares it: it takes a reference to
/// any samples of that input's shape.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has several inputs, and this gives one",
    label = "one input of several",
    note = "give every input of `{Self}`, as a tuple in declaration order: `(&wide, &deep)`"
)]
pub trait OneInput: Network {
    /// The shape of a sample of the input.
    type Shape: Shape;
    /// The input as the model reads it.
    fn wrap(input: Input<'_, Self::Shape>) -> Self::Inputs<'_>;
}

/// A model with a single input takes a reference to any samples of its shape.
impl<'a, N, R> InputsOf<'a, N> for &'a R
where
    N: OneInput,
    R: SampleRows<N::Shape> + 'a,
{
    fn into_inputs(self) -> N::Inputs<'a> {
        N::wrap(Input::new(self))
    }
}

/// A model's single input, already as it reads it.
impl<'a, N: OneInput> InputsOf<'a, N> for Input<'a, N::Shape> {
    fn into_inputs(self) -> N::Inputs<'a> {
        N::wrap(self)
    }
}

/// Samples held as bytes, each byte turned into an `f32` through a table as a batch is
/// staged: a quarter of the memory of the same samples as floats, and the very same values.
pub struct ByteSamples<'a, S: Shape> {
    bytes: &'a [u8],
    table: Box<[f32; 256]>,
    _shape: PhantomData<S>,
}

impl<'a, S: Shape> ByteSamples<'a, S> {
    /// `bytes`, sample after sample, read as `value(byte)`; errors unless they hold a whole
    /// number of samples.
    pub fn new(bytes: &'a [u8], value: impl Fn(u8) -> f32) -> Result<Self> {
        if S::SIZE == 0 || !bytes.len().is_multiple_of(S::SIZE) {
            return Err(Error::shape(
                format!("ByteSamples<{:?}>", S::DIMS),
                format!("a multiple of {} bytes", S::SIZE),
                format!("{} bytes", bytes.len()),
            ));
        }
        let mut table = Box::new([0.0; 256]);
        for (byte, slot) in table.iter_mut().enumerate() {
            *slot = value(byte as u8);
        }
        Ok(ByteSamples {
            bytes,
            table,
            _shape: PhantomData,
        })
    }

    /// The bytes, sample after sample.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl<S: Shape> SampleRows<S> for ByteSamples<'_, S> {
    fn samples(&self) -> usize {
        self.bytes.len() / S::SIZE
    }

    fn stage(&self, rows: &[usize], into: &mut [f32]) -> Result<()> {
        for (slot, &row) in into.chunks_exact_mut(S::SIZE).zip(rows) {
            let sample = &self.bytes[row * S::SIZE..(row + 1) * S::SIZE];
            for (value, &byte) in slot.iter_mut().zip(sample) {
                *value = self.table[usize::from(byte)];
            }
        }
        Ok(())
    }
}

impl<S: Shape> fmt::Debug for ByteSamples<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ByteSamples<{:?}>({} samples)",
            S::DIMS,
            self.bytes.len() / S::SIZE
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Shape1;

    #[test]
    fn bytes_stage_as_their_table_says() {
        let bytes = [0, 1, 2, 3, 4, 255];
        let samples = ByteSamples::<Shape1<2>>::new(&bytes, |b| f32::from(b) * 0.5 - 1.0).unwrap();
        assert_eq!(samples.samples(), 3);
        let mut staging = Vec::new();
        stage(Input::new(&samples), &[2, 0], &mut staging).unwrap();
        assert_eq!(staging, [1.0, 126.5, -1.0, -0.5]);
        let error = ByteSamples::<Shape1<4>>::new(&bytes, f32::from)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("a multiple of 4 bytes") && error.contains("6 bytes"),
            "{error}"
        );
    }
}
