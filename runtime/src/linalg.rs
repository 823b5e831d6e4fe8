//! Matrix products on plain slices, through matrixmultiply (nalgebra's own gemm kernel).
//!
//! Activations are stored one sample after another, which is a column-major matrix with one
//! column per sample; a Keras kernel `(input_dim, units)` in row-major order is a column-major
//! `units x input_dim` matrix. So every product of a forward or backward pass reads contiguous
//! memory, and a transpose is only a change of strides.

/// A read-only matrix in a slice: its size and the strides between rows and columns.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Mat<'a> {
    /// The column-major `rows x cols` matrix at the start of `data`.
    ///
    /// # Panics
    /// If `data` is shorter than `rows * cols`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(
            data.len() >= rows * cols,
            "matrix {rows}x{cols} over {} values",
            data.len()
        );
        Mat {
            data,
            rows,
            cols,
            row_stride: 1,
            col_stride: rows,
        }
    }

    /// The transpose, without moving data.
    pub fn t(self) -> Self {
        Mat {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

/// `c = a * b + beta * c` for the column-major `c` of `a.rows x b.cols` values; `c` is never
/// read when `beta` is 0.
///
/// # Panics
/// If the sizes don't agree or `c` is too short.
pub fn gemm(c: &mut [f32], a: Mat<'_>, b: Mat<'_>, beta: f32) {
    assert_eq!(a.cols, b.rows, "gemm: inner sizes differ");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(
        c.len() >= m * n,
        "gemm: output of {m}x{n} over {} values",
        c.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: each matrix's last element, at (rows-1)*row_stride + (cols-1)*col_stride, lies
    // within its slice (checked by `Mat::new` and above, and preserved by `t`), and `c` does
    // not alias `a` or `b` since it is borrowed mutably.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.data.as_ptr(),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            beta,
            c.as_mut_ptr(),
            1,
            m as isize,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_are_strides() {
        // 2 x 3 column-major: columns [1, 2], [3, 4], [5, 6].
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let identity = [1.0, 0.0, 0.0, 1.0];
        let mut c = [0.0; 6];
        gemm(
            &mut c,
            Mat::new(&data, 2, 3).t(),
            Mat::new(&identity, 2, 2),
            0.0,
        );
        assert_eq!(c, [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn gemm_matches_a_naive_product_for_every_layout() {
        for &(m, k, n) in &[(2, 3, 4), (7, 9, 11), (1, 30, 32), (12, 5, 8)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5).collect();
            let at = |i: usize, p: usize| a[i + p * m];
            let bt = |p: usize, j: usize| b[p + j * k];
            let mut c = vec![f32::NAN; m * n];
            gemm(&mut c, Mat::new(&a, m, k), Mat::new(&b, k, n), 0.0);
            // The same product from transposed storage: (b^T a^T)^T.
            let a_t: Vec<f32> = (0..m * k).map(|i| at(i / k, i % k)).collect(); // k x m col-major
            let b_t: Vec<f32> = (0..k * n).map(|i| bt(i % k, i / k)).collect();
            let mut c2 = vec![1.0; m * n];
            let b_t_view = Mat::new(&b_t, k, n); // same values as b
            gemm(&mut c2, Mat::new(&a_t, k, m).t(), b_t_view, 0.0);
            for i in 0..m {
                for j in 0..n {
                    let expected: f32 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
                    assert!(
                        (c[i + j * m] - expected).abs() < 1e-4,
                        "{m}x{k}x{n} at ({i},{j})"
                    );
                    assert!(
                        (c2[i + j * m] - expected).abs() < 1e-4,
                        "transposed {m}x{k}x{n}"
                    );
                }
            }
        }
    }

    #[test]
    fn beta_accumulates() {
        let a = [2.0];
        let b = [3.0];
        let mut c = [1.0];
        gemm(&mut c, Mat::new(&a, 1, 1), Mat::new(&b, 1, 1), 1.0);
        assert_eq!(c, [7.0]);
    }
}
