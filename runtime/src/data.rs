//! Batches of samples with statically known shapes, and class labels.
//!
//! Runtime data enters through checked constructors: a `Batch<Shape1<5>>` always holds a whole
//! number of 5-value samples, and `Labels<10>` only classes `0..10`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use nalgebra::{DMatrixView, Dyn};

use crate::error::{Error, Result};
use crate::shape::{Shape, Shape1};

/// A batch of samples of shape `S`, stored sample after sample (row-major, like NumPy).
///
/// ```
/// use densely::prelude::*;
///
/// let batch = Batch::<Shape1<3>>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
/// assert_eq!(batch.len(), 2);
/// assert_eq!(batch.sample(1), &[4.0, 5.0, 6.0]);
/// assert!(Batch::<Shape1<4>>::from_vec(vec![0.0; 6]).is_err());
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Batch<S: Shape> {
    data: Vec<f32>,
    _shape: PhantomData<S>,
}

impl<S: Shape> Batch<S> {
    /// Wraps sample-major values; errors unless their count is a multiple of the sample size.
    pub fn from_vec(data: Vec<f32>) -> Result<Self> {
        if S::SIZE == 0 || !data.len().is_multiple_of(S::SIZE) {
            return Err(Error::shape(
                format!("Batch<{:?}>", S::DIMS),
                format!("a multiple of {} values", S::SIZE),
                format!("{} values", data.len()),
            ));
        }
        Ok(Batch {
            data,
            _shape: PhantomData,
        })
    }

    /// Builds a batch from rows given one sample each; errors on a row of the wrong length.
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R]) -> Result<Self> {
        let mut data = Vec::with_capacity(rows.len() * S::SIZE);
        for (index, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != S::SIZE {
                return Err(Error::shape(
                    format!("Batch<{:?}> row {index}", S::DIMS),
                    format!("{} values", S::SIZE),
                    format!("{} values", row.len()),
                ));
            }
            data.extend_from_slice(row);
        }
        Ok(Batch {
            data,
            _shape: PhantomData,
        })
    }

    /// A batch of `samples` zero samples.
    pub fn zeros(samples: usize) -> Self {
        Batch {
            data: vec![0.0; samples * S::SIZE],
            _shape: PhantomData,
        }
    }

    /// Builds a batch sample by sample from `f(sample, index within the sample)`.
    pub fn from_fn(samples: usize, mut f: impl FnMut(usize, usize) -> f32) -> Self {
        let data = (0..samples * S::SIZE)
            .map(|i| f(i / S::SIZE, i % S::SIZE))
            .collect();
        Batch {
            data,
            _shape: PhantomData,
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.data.len() / S::SIZE
    }

    /// Whether the batch holds no sample.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The per-sample shape, like Keras's `x.shape[1:]`.
    pub fn sample_shape(&self) -> &'static [usize] {
        S::DIMS
    }

    /// The values of sample `index`, flattened.
    ///
    /// # Panics
    /// If `index >= self.len()`, like slice indexing.
    pub fn sample(&self, index: usize) -> &[f32] {
        &self.data[index * S::SIZE..(index + 1) * S::SIZE]
    }

    /// All values, sample after sample.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// All values, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The values as a matrix with one column per sample (features x samples).
    pub fn as_matrix(&self) -> DMatrixView<'_, f32> {
        DMatrixView::from_slice_generic(&self.data, Dyn(S::SIZE), Dyn(self.len()))
    }

    /// The values, consuming the batch.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Splits into the first `at` samples and the rest, like `x[:at], x[at:]`.
    pub fn split_at(&self, at: usize) -> (Self, Self) {
        let at = at.min(self.len()) * S::SIZE;
        (
            Batch {
                data: self.data[..at].to_vec(),
                _shape: PhantomData,
            },
            Batch {
                data: self.data[at..].to_vec(),
                _shape: PhantomData,
            },
        )
    }

    /// The samples `range`, copied, like `x[start:end]`: a range past the end is cut to the
    /// samples there are, as NumPy does, so it never panics.
    ///
    /// ```
    /// use densely::prelude::*;
    ///
    /// let x = Batch::<Shape1<2>>::from_vec(vec![1., 2., 3., 4., 5., 6.])?;
    /// assert_eq!(x.slice(1..9).as_slice(), [3., 4., 5., 6.]);
    /// assert!(x.slice(5..9).is_empty());
    /// # Ok::<(), densely::Error>(())
    /// ```
    pub fn slice(&self, range: Range<usize>) -> Self {
        let range = within(range, self.len());
        Batch {
            data: self.data[range.start * S::SIZE..range.end * S::SIZE].to_vec(),
            _shape: PhantomData,
        }
    }

    /// The same values with every one passed through `f` (scaling to `[0, 1]`, say).
    pub fn map(mut self, f: impl Fn(f32) -> f32) -> Self {
        self.data.iter_mut().for_each(|v| *v = f(*v));
        self
    }
}

impl<S: Shape> fmt::Debug for Batch<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Batch<{:?}>({} samples)", S::DIMS, self.len())
    }
}

/// Class labels `0..C` for an output of `C` classes (Keras's sparse targets).
///
/// ```
/// use densely::prelude::*;
///
/// let labels = Labels::<3>::new(vec![0, 2, 1])?;
/// assert_eq!(labels.len(), 3);
/// assert!(Labels::<3>::new(vec![3]).is_err());
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Labels<const C: usize> {
    classes: Vec<u32>,
}

impl<const C: usize> Labels<C> {
    /// Wraps labels; errors on the first one that is not below `C`.
    pub fn new(classes: Vec<u32>) -> Result<Self> {
        if let Some((index, &label)) = classes
            .iter()
            .enumerate()
            .find(|(_, &label)| label as usize >= C)
        {
            return Err(Error::Label {
                label,
                index,
                classes: C,
            });
        }
        Ok(Labels { classes })
    }

    /// Converts byte labels, as data sets store them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::new(bytes.iter().map(|&b| u32::from(b)).collect())
    }

    /// The number of labels.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether there is no label.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The labels.
    pub fn as_slice(&self) -> &[u32] {
        &self.classes
    }

    /// Splits into the first `at` labels and the rest.
    pub fn split_at(&self, at: usize) -> (Self, Self) {
        let (head, tail) = self.classes.split_at(at.min(self.len()));
        (
            Labels {
                classes: head.to_vec(),
            },
            Labels {
                classes: tail.to_vec(),
            },
        )
    }

    /// The labels `range`, copied, cut to the labels there are as [`Batch::slice`] is.
    pub fn slice(&self, range: Range<usize>) -> Self {
        Labels {
            classes: self.classes[within(range, self.len())].to_vec(),
        }
    }

    /// One-hot rows, for categorical cross-entropy.
    pub fn one_hot(&self) -> Batch<Shape1<C>> {
        Batch::from_fn(self.len(), |sample, class| {
            f32::from(self.classes[sample] as usize == class)
        })
    }
}

impl<const C: usize> fmt::Debug for Labels<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Labels<{C}>({} labels)", self.len())
    }
}

/// Data laid out sample after sample that a model can stage a batch from.
pub trait Samples {
    /// The element type: `f32` for values, `u32` for class labels.
    type Elem: Copy + Default + 'static;
    /// Values per sample.
    const WIDTH: usize;
    /// The number of samples.
    fn samples(&self) -> usize;
    /// All elements, sample after sample.
    fn elements(&self) -> &[Self::Elem];
}

impl<S: Shape> Samples for Batch<S> {
    type Elem = f32;
    const WIDTH: usize = S::SIZE;
    fn samples(&self) -> usize {
        self.len()
    }
    fn elements(&self) -> &[f32] {
        &self.data
    }
}

impl<const C: usize> Samples for Labels<C> {
    type Elem = u32;
    const WIDTH: usize = 1;
    fn samples(&self) -> usize {
        self.len()
    }
    fn elements(&self) -> &[u32] {
        &self.classes
    }
}

/// Copies the samples `rows` of `source` into the front of `staging`, growing it only when it is
/// too small (so a training loop allocates once).
pub fn stage_rows<D: Samples + ?Sized>(source: &D, rows: &[usize], staging: &mut Vec<D::Elem>) {
    let width = D::WIDTH;
    let needed = rows.len() * width;
    if staging.len() < needed {
        staging.resize(needed, D::Elem::default());
    }
    let elements = source.elements();
    for (slot, &row) in staging.chunks_exact_mut(width).zip(rows) {
        slot.copy_from_slice(&elements[row * width..(row + 1) * width]);
    }
}

/// Checks that every part of a model's data has `expected` samples; names the first that differs.
pub fn check_samples(what: &str, part: &str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::shape(
            format!("{what} `{part}`"),
            format!("{expected} samples"),
            format!("{actual} samples"),
        ))
    }
}

/// `range` cut to `0..len`, as NumPy cuts `x[start:end]`: past the end is empty, never a
/// panic.
pub(crate) fn within(range: Range<usize>, len: usize) -> Range<usize> {
    let end = range.end.min(len);
    range.start.min(end)..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Shape2;

    #[test]
    fn from_vec_rejects_partial_samples_naming_both_sizes() {
        let err = Batch::<Shape2<2, 2>>::from_vec(vec![0.0; 6]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("[2, 2]"), "{text}");
        assert!(text.contains("multiple of 4"), "{text}");
        assert!(text.contains("6 values"), "{text}");
    }

    #[test]
    fn from_rows_names_the_bad_row() {
        let err = Batch::<Shape1<2>>::from_rows(&[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
    }

    #[test]
    fn labels_outside_the_classes_are_rejected() {
        let err = Labels::<10>::from_bytes(&[1, 9, 10]).unwrap_err();
        assert!(err.to_string().contains("label 10 at sample 2"), "{err}");
    }

    #[test]
    fn split_and_slice_keep_samples_whole() {
        let batch = Batch::<Shape1<2>>::from_fn(5, |s, i| (s * 10 + i) as f32);
        let (head, tail) = batch.split_at(2);
        assert_eq!(head.len(), 2);
        assert_eq!(tail.sample(0), &[20.0, 21.0]);
        assert_eq!(batch.slice(3..5).sample(1), &[40.0, 41.0]);
        assert_eq!(batch.as_matrix()[(1, 4)], 41.0);
    }

    #[test]
    fn staging_gathers_rows_and_reuses_its_buffer() {
        let batch = Batch::<Shape1<2>>::from_fn(4, |s, i| (s * 10 + i) as f32);
        let mut staging = Vec::new();
        stage_rows(&batch, &[3, 0], &mut staging);
        assert_eq!(staging, vec![30.0, 31.0, 0.0, 1.0]);
        let capacity = staging.capacity();
        stage_rows(&batch, &[1], &mut staging);
        assert_eq!(&staging[..2], &[10.0, 11.0]);
        assert_eq!(staging.capacity(), capacity);
    }

    #[test]
    fn one_hot_marks_the_class() {
        let labels = Labels::<3>::new(vec![2, 0]).unwrap();
        assert_eq!(labels.one_hot().as_slice(), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    }
}
