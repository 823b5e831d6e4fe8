//! [`ImageSet`]: 28 x 28 grayscale images kept as the bytes the data sets store.

use std::fmt;
use std::ops::Range;

use crate::data::Batch;
use crate::error::{Error, Result};
use crate::inputs::ByteSamples;
use crate::shape::Shape2;

/// Rows of one image.
pub const IMAGE_ROWS: usize = 28;
/// Columns of one image.
pub const IMAGE_COLS: usize = 28;
/// Pixels in one image: 28 x 28 = 784.
pub const IMAGE_PIXELS: usize = IMAGE_ROWS * IMAGE_COLS;

/// `pixel / 255.0`, computed in `f64` and rounded once to `f32`, exactly as NumPy's
/// `(X / 255.0).astype("float32")`.
const SCALED: [f32; 256] = {
    let mut table = [0.0f32; 256];
    let mut value = 0;
    while value < 256 {
        table[value] = (value as f64 / 255.0) as f32;
        value += 1;
    }
    table
};

/// Grayscale 28 x 28 images as unsigned bytes (0 = background, 255 = full ink), the NumPy array
/// of shape `(n, 28, 28)` and dtype `uint8` that Keras's `load_data()` returns.
///
/// The pixels stay bytes (a quarter of the memory of `f32`) until a model needs them:
/// [`scaled`](Self::scaled) gives the `Batch<Shape2<28, 28>>` in `[0, 1]` that the book feeds a
/// model (its `X / 255.0`).
///
/// ```
/// use densely::datasets::ImageSet;
///
/// let images = ImageSet::from_pixels(vec![255; 3 * 28 * 28])?;
/// assert_eq!(images.shape(), [3, 28, 28]);
/// let (valid, train) = images.split_at(1); // X[:1], X[1:]
/// assert_eq!((valid.len(), train.len()), (1, 2));
/// assert_eq!(train.scaled().sample(0)[0], 1.0);
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ImageSet {
    pixels: Vec<u8>,
}

impl ImageSet {
    /// Wraps image-major, row-major pixels; errors unless they make whole 28 x 28 images.
    pub fn from_pixels(pixels: Vec<u8>) -> Result<Self> {
        if !pixels.len().is_multiple_of(IMAGE_PIXELS) {
            return Err(Error::shape(
                "ImageSet of 28 x 28 images",
                format!("a multiple of {IMAGE_PIXELS} pixels"),
                format!("{} pixels", pixels.len()),
            ));
        }
        Ok(ImageSet { pixels })
    }

    /// The number of images, like `len(X)`.
    pub fn len(&self) -> usize {
        self.pixels.len() / IMAGE_PIXELS
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }

    /// `[images, 28, 28]`, like NumPy's `X.shape == (60000, 28, 28)`.
    pub fn shape(&self) -> [usize; 3] {
        [self.len(), IMAGE_ROWS, IMAGE_COLS]
    }

    /// Every pixel, image after image and row after row within an image.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The 784 pixels of image `index`, row after row: pixel `(row, col)` is at `row * 28 + col`.
    ///
    /// # Panics
    /// If `index >= self.len()`, like slice indexing.
    pub fn image(&self, index: usize) -> &[u8] {
        &self.pixels[index * IMAGE_PIXELS..(index + 1) * IMAGE_PIXELS]
    }

    /// Pixel `(row, col)` of image `index`, like NumPy's `X[index, row, col]`.
    ///
    /// # Panics
    /// If any index is out of range.
    pub fn pixel(&self, index: usize, row: usize, col: usize) -> u8 {
        assert!(
            row < IMAGE_ROWS && col < IMAGE_COLS,
            "pixel ({row}, {col}) is outside a 28 x 28 image"
        );
        self.image(index)[row * IMAGE_COLS + col]
    }

    /// Splits into the first `at` images and the rest, like `X[:at], X[at:]` (an `at` past the
    /// end gives every image and an empty rest, as NumPy does).
    pub fn split_at(&self, at: usize) -> (Self, Self) {
        let (head, tail) = self.pixels.split_at(at.min(self.len()) * IMAGE_PIXELS);
        (
            ImageSet {
                pixels: head.to_vec(),
            },
            ImageSet {
                pixels: tail.to_vec(),
            },
        )
    }

    /// The images `range`, copied, like `X[start:end]`: cut to the images there are, as
    /// NumPy and [`Batch::slice`](crate::data::Batch::slice) do.
    pub fn slice(&self, range: Range<usize>) -> Self {
        let range = crate::data::within(range, self.len());
        ImageSet {
            pixels: self.pixels[range.start * IMAGE_PIXELS..range.end * IMAGE_PIXELS].to_vec(),
        }
    }

    /// The images as `f32` values in `[0, 1]`: every pixel divided by 255, the book's
    /// `X_train / 255.0`. This is what a model is trained on.
    pub fn scaled(&self) -> Batch<Shape2<IMAGE_ROWS, IMAGE_COLS>> {
        self.map_to_batch(|pixel| SCALED[usize::from(pixel)])
    }

    /// The images as model inputs that stay bytes in memory: each pixel becomes
    /// `pixel / 255.0`, the very value [`scaled`](Self::scaled) gives, only as a batch is
    /// staged, so that 60,000 images take 47 MB rather than 188 MB.
    ///
    /// ```
    /// # use densely::prelude::*;
    /// # use densely::datasets::ImageSet;
    /// # model! { struct Mlp { input image: [28, 28]; flatten = Flatten; output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy; } }
    /// let images = ImageSet::from_pixels((0..2 * 784).map(|i| (i % 256) as u8).collect())?;
    /// let mut model = Mlp::new();
    /// assert_eq!(model.predict(&images.scaled_view())?, model.predict(&images.scaled())?);
    /// # Ok::<(), densely::Error>(())
    /// ```
    pub fn scaled_view(&self) -> ByteSamples<'_, Shape2<IMAGE_ROWS, IMAGE_COLS>> {
        ByteSamples::new(&self.pixels, |pixel| SCALED[usize::from(pixel)])
            .expect("an ImageSet holds whole 28 x 28 images")
    }

    /// The images as `f32` values *unscaled*, in `[0, 255]` (NumPy's `X.astype("float32")`), for
    /// code that normalizes the data itself; see [`scaled`](Self::scaled) for the book's `/ 255.0`.
    pub fn to_batch(&self) -> Batch<Shape2<IMAGE_ROWS, IMAGE_COLS>> {
        self.map_to_batch(f32::from)
    }

    /// The images as `f32` values given by `f(pixel)`, for any other preprocessing.
    pub fn map_to_batch(&self, f: impl Fn(u8) -> f32) -> Batch<Shape2<IMAGE_ROWS, IMAGE_COLS>> {
        let values: Vec<f32> = self.pixels.iter().map(|&pixel| f(pixel)).collect();
        Batch::from_vec(values).expect("an ImageSet holds whole 28 x 28 images")
    }

    /// The pixels, consuming the set.
    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }
}

impl fmt::Debug for ImageSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ImageSet({} images of {IMAGE_ROWS} x {IMAGE_COLS})",
            self.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(images: usize) -> ImageSet {
        ImageSet::from_pixels(
            (0..images * IMAGE_PIXELS)
                .map(|i| (i % 256) as u8)
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn from_pixels_rejects_partial_images() {
        let err = ImageSet::from_pixels(vec![0; IMAGE_PIXELS + 1]).unwrap_err();
        assert!(err.to_string().contains("multiple of 784"), "{err}");
        assert!(ImageSet::from_pixels(Vec::new()).unwrap().is_empty());
    }

    #[test]
    fn shape_split_and_slice_follow_numpy() {
        let images = numbered(5);
        assert_eq!(images.shape(), [5, 28, 28]);
        let (head, tail) = images.split_at(2);
        assert_eq!((head.shape(), tail.shape()), ([2, 28, 28], [3, 28, 28]));
        assert_eq!(tail.image(0), images.image(2));
        let (all, none) = images.split_at(99);
        assert_eq!((all.len(), none.len()), (5, 0));
        assert_eq!(images.slice(3..5).image(1), images.image(4));
        assert_eq!(
            images.pixel(1, 2, 3),
            ((IMAGE_PIXELS + 2 * 28 + 3) % 256) as u8
        );
        assert_eq!(format!("{images:?}"), "ImageSet(5 images of 28 x 28)");
    }

    #[test]
    fn scaled_divides_by_255_like_numpy_and_to_batch_keeps_the_bytes() {
        let images = numbered(2);
        let scaled = images.scaled();
        assert_eq!(scaled.len(), 2);
        assert_eq!(scaled.sample_shape(), &[28, 28]);
        for (&pixel, &value) in images.pixels().iter().zip(scaled.as_slice()) {
            assert_eq!(value, (f64::from(pixel) / 255.0) as f32);
            assert!((0.0..=1.0).contains(&value));
        }
        assert_eq!(scaled.as_slice()[255], 1.0);
        assert_eq!(images.to_batch().as_slice()[255], 255.0);
        assert_eq!(
            images.map_to_batch(|p| f32::from(p) * 2.0).as_slice()[3],
            6.0
        );
    }
}
