//! Matrix products on plain slices, through nalgebra's views and its matrixmultiply path.
//!
//! Activations are stored one sample after another, which is a column-major matrix with one
//! column per sample; a Keras kernel `(input_dim, units)` in row-major order is a column-major
//! `units x input_dim` matrix. So every product of a forward or backward pass reads contiguous
//! memory, and transposes are only strides.

use nalgebra::{DMatrixView, DMatrixViewMut, Dyn};

/// A column-major `rows x cols` matrix in `data`.
pub fn view(data: &[f32], rows: usize, cols: usize) -> DMatrixView<'_, f32, Dyn, Dyn> {
    DMatrixView::from_slice_with_strides_generic(
        &data[..rows * cols],
        Dyn(rows),
        Dyn(cols),
        Dyn(1),
        Dyn(rows),
    )
}

/// The transpose of the column-major `cols x rows` matrix in `data`, as a `rows x cols` view.
pub fn view_transposed(data: &[f32], rows: usize, cols: usize) -> DMatrixView<'_, f32, Dyn, Dyn> {
    DMatrixView::from_slice_with_strides_generic(
        &data[..rows * cols],
        Dyn(rows),
        Dyn(cols),
        Dyn(cols),
        Dyn(1),
    )
}

/// A mutable column-major `rows x cols` matrix in `data`.
pub fn view_mut(data: &mut [f32], rows: usize, cols: usize) -> DMatrixViewMut<'_, f32, Dyn, Dyn> {
    DMatrixViewMut::from_slice_with_strides_generic(
        &mut data[..rows * cols],
        Dyn(rows),
        Dyn(cols),
        Dyn(1),
        Dyn(rows),
    )
}

/// `c = a * b + beta * c`, where `c` is never read when `beta` is 0.
pub fn gemm(
    c: &mut DMatrixViewMut<'_, f32, Dyn, Dyn>,
    a: &DMatrixView<'_, f32, Dyn, Dyn>,
    b: &DMatrixView<'_, f32, Dyn, Dyn>,
    beta: f32,
) {
    c.gemm(1.0, a, b, beta);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_view_reads_strides() {
        // 2 x 3 column-major: columns [1, 2], [3, 4], [5, 6].
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let t = view_transposed(&data, 3, 2);
        assert_eq!(t[(0, 0)], 1.0);
        assert_eq!(t[(0, 1)], 2.0);
        assert_eq!(t[(2, 1)], 6.0);
    }

    #[test]
    fn gemm_matches_a_naive_product_for_large_and_small_sizes() {
        for &(m, k, n) in &[(2, 3, 4), (7, 9, 11), (1, 30, 32)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5).collect();
            let mut c = vec![f32::NAN; m * n];
            gemm(
                &mut view_mut(&mut c, m, n),
                &view(&a, m, k),
                &view(&b, k, n),
                0.0,
            );
            for i in 0..m {
                for j in 0..n {
                    let expected: f32 = (0..k).map(|p| a[i + p * m] * b[p + j * k]).sum();
                    assert!(
                        (c[i + j * m] - expected).abs() < 1e-4,
                        "{m}x{k}x{n} at ({i},{j})"
                    );
                }
            }
        }
    }
}
