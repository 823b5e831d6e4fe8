//! Batches to and from the matrices of nalgebra and, with the `ndarray` feature, the arrays
//! of ndarray, the crate Rust's numeric code uses: shapes checked, values in sample order.

use nalgebra::DMatrix;

use crate::data::Batch;
use crate::error::{Error, Result};
use crate::shape::Shape;

impl<S: Shape> Batch<S> {
    /// A batch from a matrix with one column per sample (features x samples), the layout of
    /// [`Batch::as_matrix`]; errors unless it has `S::SIZE` rows.
    ///
    /// ```
    /// use densely::prelude::*;
    ///
    /// let m = nalgebra::DMatrix::from_column_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// let batch = Batch::<Shape1<2>>::from_matrix(&m)?;
    /// assert_eq!(batch.sample(2), &[5.0, 6.0]);
    /// assert_eq!(batch.as_matrix(), m);
    /// # Ok::<(), densely::Error>(())
    /// ```
    pub fn from_matrix(matrix: &DMatrix<f32>) -> Result<Self> {
        if matrix.nrows() != S::SIZE {
            return Err(Error::Shape {
                what: format!("Batch<{:?}> from a matrix", S::DIMS),
                expected: format!("{} rows, one per value of a sample", S::SIZE),
                actual: format!("{} x {} matrix", matrix.nrows(), matrix.ncols()),
            });
        }
        Batch::from_vec(matrix.as_slice().to_vec())
    }
}

#[cfg(feature = "ndarray")]
mod with_ndarray {
    use ndarray::{Array, ArrayView, Dimension, IxDyn};

    use super::*;

    impl<S: Shape> Batch<S> {
        /// A batch from an array of shape `(n, *S)`, in any memory order (a Fortran-order
        /// or transposed view is copied in sample order).
        ///
        /// ```
        /// use densely::prelude::*;
        ///
        /// let a = ndarray::Array::from_shape_vec((2, 3), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        /// let batch = Batch::<Shape1<3>>::from_ndarray(a.view())?;
        /// assert_eq!(batch.sample(1), &[4.0, 5.0, 6.0]);
        /// assert_eq!(batch.to_ndarray(), a.into_dyn());
        /// # Ok::<(), densely::Error>(())
        /// ```
        pub fn from_ndarray<D: Dimension>(array: ArrayView<'_, f32, D>) -> Result<Self> {
            let shape = array.shape();
            if shape.is_empty() || shape[1..] != *S::DIMS {
                return Err(Error::Shape {
                    what: format!("Batch<{:?}> from an array", S::DIMS),
                    expected: format!("(n, {})", dims(S::DIMS)),
                    actual: format!("({})", dims(shape)),
                });
            }
            // `iter` walks in logical (C) order whatever the memory layout.
            Batch::from_vec(array.iter().copied().collect())
        }

        /// The batch as an array of shape `(n, *S)`.
        pub fn to_ndarray(&self) -> Array<f32, IxDyn> {
            let mut shape = vec![self.len()];
            shape.extend_from_slice(S::DIMS);
            Array::from_shape_vec(IxDyn(&shape), self.as_slice().to_vec())
                .expect("a batch holds whole samples")
        }
    }

    fn dims(dims: &[usize]) -> String {
        dims.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
