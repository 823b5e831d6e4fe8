//! Per-sample shapes known at compile time.
//!
//! A shape is a type: `Shape1<5>` is Keras's `Input(shape=[5])`, `Shape2<28, 28>` is an image.
//! Batches and layers carry their shapes in their types, so a batch of the wrong shape does not
//! compile where another is expected.

/// The shape of one sample, without the batch dimension.
pub trait Shape: Copy + Default + Send + Sync + 'static {
    /// The dimensions, outermost first, like Keras's `input_shape`.
    const DIMS: &'static [usize];
    /// The number of values in one sample: the product of the dimensions.
    const SIZE: usize;
}

/// A rank-1 shape `[A]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape1<const A: usize>;

/// A rank-2 shape `[A, B]`, such as a 28 x 28 image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape2<const A: usize, const B: usize>;

/// A rank-3 shape `[A, B, C]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape3<const A: usize, const B: usize, const C: usize>;

/// A rank-4 shape `[A, B, C, D]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape4<const A: usize, const B: usize, const C: usize, const D: usize>;

impl<const A: usize> Shape for Shape1<A> {
    const DIMS: &'static [usize] = &[A];
    const SIZE: usize = A;
}

impl<const A: usize, const B: usize> Shape for Shape2<A, B> {
    const DIMS: &'static [usize] = &[A, B];
    const SIZE: usize = A * B;
}

impl<const A: usize, const B: usize, const C: usize> Shape for Shape3<A, B, C> {
    const DIMS: &'static [usize] = &[A, B, C];
    const SIZE: usize = A * B * C;
}

impl<const A: usize, const B: usize, const C: usize, const D: usize> Shape for Shape4<A, B, C, D> {
    const DIMS: &'static [usize] = &[A, B, C, D];
    const SIZE: usize = A * B * C * D;
}

/// Formats dimensions the way Keras prints them: `(None, 28, 28)` with the batch axis first.
pub fn keras_shape(dims: &[usize]) -> String {
    let mut text = String::from("(None");
    for dim in dims {
        text.push_str(", ");
        text.push_str(&dim.to_string());
    }
    text.push(')');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_products_of_dimensions() {
        assert_eq!(Shape1::<5>::SIZE, 5);
        assert_eq!(Shape2::<28, 28>::SIZE, 784);
        assert_eq!(Shape3::<2, 3, 4>::DIMS, &[2, 3, 4]);
        assert_eq!(Shape4::<2, 3, 4, 5>::SIZE, 120);
    }

    #[test]
    fn keras_shape_puts_the_batch_axis_first() {
        assert_eq!(keras_shape(&[28, 28]), "(None, 28, 28)");
        assert_eq!(keras_shape(&[10]), "(None, 10)");
    }
}
