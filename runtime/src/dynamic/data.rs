//! What a model built at run time reads: samples and targets whose shapes are known when the
//! program runs, checked against the model before any batch is staged.

use std::fmt;

use crate::data::{Batch, Labels};
use crate::error::Result;
use crate::inputs::{ByteSamples, Input, SampleRows};
use crate::inspect::Array;
use crate::network::{InputsOf, TargetsOf};
use crate::numpy::NpyFile;
use crate::shape::Shape;

use super::DynamicModel;

/// Samples of a shape known at run time: what each input of a
/// [`DynamicModel`] reads. A [`Batch`], [`ByteSamples`] and [`NpyFile`] of any shape are
/// such samples, and so is an [`Array`] whose first axis counts the samples (NumPy's
/// layout).
pub trait AnySamples {
    /// The shape of one sample.
    fn sample_shape(&self) -> &[usize];
    /// The number of samples.
    fn samples(&self) -> usize;
    /// Writes the samples `rows`, one after the other, into `into` (`rows.len()` samples).
    fn stage(&self, rows: &[usize], into: &mut [f32]) -> Result<()>;
}

/// Every [`SampleRows`] of a shape known while the program compiles is samples of that
/// shape at run time too.
macro_rules! any_samples_of_typed_rows {
    ($($ty:ty),*) => {$(
        impl<S: Shape> AnySamples for $ty {
            fn sample_shape(&self) -> &[usize] {
                S::DIMS
            }

            fn samples(&self) -> usize {
                SampleRows::<S>::samples(self)
            }

            fn stage(&self, rows: &[usize], into: &mut [f32]) -> Result<()> {
                SampleRows::<S>::stage(self, rows, into)
            }
        }
    )*};
}

any_samples_of_typed_rows!(Batch<S>, ByteSamples<'_, S>, NpyFile<S>);

impl<S: Shape> AnySamples for Input<'_, S> {
    fn sample_shape(&self) -> &[usize] {
        S::DIMS
    }

    fn samples(&self) -> usize {
        Input::samples(*self)
    }

    fn stage(&self, rows: &[usize], into: &mut [f32]) -> Result<()> {
        self.stage_into(rows, into)
    }
}

impl AnySamples for Array {
    fn sample_shape(&self) -> &[usize] {
        self.shape().get(1..).unwrap_or_default()
    }

    fn samples(&self) -> usize {
        self.shape().first().copied().unwrap_or(0)
    }

    fn stage(&self, rows: &[usize], into: &mut [f32]) -> Result<()> {
        let width: usize = self.sample_shape().iter().product();
        let values = self.values();
        for (slot, &row) in into.chunks_exact_mut(width.max(1)).zip(rows) {
            slot.copy_from_slice(&values[row * width..(row + 1) * width]);
        }
        Ok(())
    }
}

/// The targets of one output, as a model built at run time reads them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TargetRows<'a> {
    /// Class labels, one per sample (for `sparse_categorical_crossentropy`).
    Classes(&'a [u32]),
    /// Values, `width` per sample (for every other loss).
    Values {
        /// The values, sample after sample.
        values: &'a [f32],
        /// The values per sample.
        width: usize,
    },
}

impl TargetRows<'_> {
    /// The number of samples.
    pub fn samples(self) -> usize {
        match self {
            TargetRows::Classes(labels) => labels.len(),
            TargetRows::Values { values, width } => values.len() / width.max(1),
        }
    }
}

/// Targets of a kind known at run time: what each output of a [`DynamicModel`] is trained
/// on. [`Labels`], a `Vec` of `u32` labels, a [`Batch`] and an [`Array`] (first axis
/// the samples) are such targets.
pub trait AnyTargets {
    /// The targets, sample after sample.
    fn target_rows(&self) -> TargetRows<'_>;
}

impl<const C: usize> AnyTargets for Labels<C> {
    fn target_rows(&self) -> TargetRows<'_> {
        TargetRows::Classes(self.as_slice())
    }
}

impl AnyTargets for Vec<u32> {
    fn target_rows(&self) -> TargetRows<'_> {
        TargetRows::Classes(self)
    }
}

impl<S: Shape> AnyTargets for Batch<S> {
    fn target_rows(&self) -> TargetRows<'_> {
        TargetRows::Values {
            values: self.as_slice(),
            width: S::SIZE,
        }
    }
}

impl AnyTargets for Array {
    fn target_rows(&self) -> TargetRows<'_> {
        TargetRows::Values {
            values: self.values(),
            width: self.shape().get(1..).unwrap_or_default().iter().product(),
        }
    }
}

/// The most parts a tuple gives; a slice gives any number.
const INLINE_PARTS: usize = 8;

/// One part per input (or output) of a model built at run time, in its order: what `fit`,
/// `evaluate` and `predict` take from a reference (one part), a tuple of references, or
/// [`Parts::from_slice`] for any number of them.
pub struct Parts<'a, T: ?Sized> {
    repr: PartsRepr<'a, T>,
}

enum PartsRepr<'a, T: ?Sized> {
    Inline([Option<&'a T>; INLINE_PARTS], usize),
    Slice(&'a [&'a T]),
}

impl<'a, T: ?Sized> Parts<'a, T> {
    /// The parts of a tuple, in order.
    fn inline(given: &[&'a T]) -> Self {
        let mut items = [None; INLINE_PARTS];
        for (slot, &part) in items.iter_mut().zip(given) {
            *slot = Some(part);
        }
        Parts {
            repr: PartsRepr::Inline(items, given.len()),
        }
    }

    /// The parts of a slice, any number of them.
    pub fn from_slice(parts: &'a [&'a T]) -> Self {
        Parts {
            repr: PartsRepr::Slice(parts),
        }
    }

    /// The number of parts.
    pub fn len(&self) -> usize {
        match &self.repr {
            PartsRepr::Inline(_, len) => *len,
            PartsRepr::Slice(parts) => parts.len(),
        }
    }

    /// Whether there is no part.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Part `index`.
    pub fn get(&self, index: usize) -> Option<&'a T> {
        match &self.repr {
            PartsRepr::Inline(items, len) => items[..*len].get(index).copied().flatten(),
            PartsRepr::Slice(parts) => parts.get(index).copied(),
        }
    }

    /// The parts, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a T> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }
}

impl<T: ?Sized> Clone for Parts<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Parts<'_, T> {}

impl<T: ?Sized> Clone for PartsRepr<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for PartsRepr<'_, T> {}

impl<T: ?Sized> fmt::Debug for Parts<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Parts({} parts)", self.len())
    }
}

/// The inputs of a [`DynamicModel`]: samples per input, in the model's input order.
pub type DynInputs<'a> = Parts<'a, dyn AnySamples + 'a>;
/// The targets of a [`DynamicModel`]: targets per output, in the model's output order.
pub type DynTargets<'a> = Parts<'a, dyn AnyTargets + 'a>;

#[diagnostic::do_not_recommend]
impl<'a, R: AnySamples + 'a> InputsOf<'a, DynamicModel> for &'a R {
    fn into_inputs(self) -> DynInputs<'a> {
        Parts::inline(&[self as &dyn AnySamples])
    }
}

#[diagnostic::do_not_recommend]
impl<'a> InputsOf<'a, DynamicModel> for DynInputs<'a> {
    fn into_inputs(self) -> DynInputs<'a> {
        self
    }
}

#[diagnostic::do_not_recommend]
impl<'a, R: AnyTargets + 'a> TargetsOf<'a, DynamicModel> for &'a R {
    fn into_targets(self) -> DynTargets<'a> {
        Parts::inline(&[self as &dyn AnyTargets])
    }
}

#[diagnostic::do_not_recommend]
impl<'a> TargetsOf<'a, DynamicModel> for DynTargets<'a> {
    fn into_targets(self) -> DynTargets<'a> {
        self
    }
}

/// Tuples of references, one per input or output, as Keras's `fit((x_wide, x_deep), ...)`.
macro_rules! tuples_of_parts {
    ($(($($part:ident),+)),*) => {$(
        #[diagnostic::do_not_recommend]
        impl<'a, $($part: AnySamples + 'a),+> InputsOf<'a, DynamicModel> for ($(&'a $part,)+) {
            #[allow(non_snake_case)]
            fn into_inputs(self) -> DynInputs<'a> {
                let ($($part,)+) = self;
                Parts::inline(&[$($part as &dyn AnySamples),+])
            }
        }

        #[diagnostic::do_not_recommend]
        impl<'a, $($part: AnyTargets + 'a),+> TargetsOf<'a, DynamicModel> for ($(&'a $part,)+) {
            #[allow(non_snake_case)]
            fn into_targets(self) -> DynTargets<'a> {
                let ($($part,)+) = self;
                Parts::inline(&[$($part as &dyn AnyTargets),+])
            }
        }
    )*};
}

tuples_of_parts!(
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F),
    (A, B, C, D, E, F, G),
    (A, B, C, D, E, F, G, H)
);
