//! Batches to and from nalgebra matrices and ndarray arrays, in every memory layout.

use densely::ndarray;
use densely::prelude::*;

#[test]
fn ndarray_views_of_any_layout_give_samples_in_order() {
    // A transposed view: logical (2, 3), stored column by column.
    let stored =
        ndarray::Array::from_shape_vec((3, 2), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]).unwrap();
    let view = stored.t();
    assert!(!view.is_standard_layout());
    let batch = Batch::<Shape1<3>>::from_ndarray(view).unwrap();
    assert_eq!(batch.as_slice(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let images = ndarray::Array::from_shape_fn((2, 2, 3), |(n, r, c)| (n * 6 + r * 3 + c) as f32);
    let batch = Batch::<Shape2<2, 3>>::from_ndarray(images.view()).unwrap();
    assert_eq!(batch.to_ndarray(), images.into_dyn());

    let err = Batch::<Shape1<2>>::from_ndarray(view)
        .unwrap_err()
        .to_string();
    assert!(err.contains("(n, 2)") && err.contains("(2, 3)"), "{err}");
}

#[test]
fn nalgebra_matrices_hold_a_sample_per_column() {
    let batch = Batch::<Shape1<3>>::from_fn(4, |s, i| (s * 3 + i) as f32);
    let matrix = batch.as_matrix().into_owned();
    assert_eq!((matrix.nrows(), matrix.ncols()), (3, 4));
    assert_eq!(Batch::<Shape1<3>>::from_matrix(&matrix).unwrap(), batch);
    let err = Batch::<Shape1<4>>::from_matrix(&matrix)
        .unwrap_err()
        .to_string();
    assert!(err.contains("4 rows") && err.contains("3 x 4"), "{err}");
}
