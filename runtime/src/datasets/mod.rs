//! Data sets from the book: Fashion-MNIST and MNIST, loaded like `keras.datasets`.
//!
//! [`fashion_mnist::load_data`] and [`mnist::load_data`] return
//! `((x_train, y_train), (x_test, y_test))`: the images as an [`ImageSet`] of `uint8` pixels
//! of shape `(n, 28, 28)` and the labels as [`Labels<10>`](crate::Labels), as Keras does.
//!
//! # Where the files are looked for
//!
//! In order, the first folder holding every file wins:
//!
//! 1. `$DENSELY_DATA/fashion-mnist` (or `/mnist`), then `$DENSELY_DATA` itself;
//! 2. the user cache folder, `$XDG_CACHE_HOME/densely/fashion-mnist` or
//!    `~/.cache/densely/fashion-mnist` (where downloads are saved);
//! 3. for Fashion-MNIST, `/usr/share/datasets/fashion-mnist`, where Debian's package
//!    `dataset-fashion-mnist` installs it (`apt-get install dataset-fashion-mnist`).
//!
//! If none has them and the `download` feature is on (it is by default), the files are downloaded
//! from the mirror Keras uses into the cache folder, checked against their published checksums
//! and written atomically. Otherwise the error lists the folders and every way to get the data.
//!
//! Fashion-MNIST and MNIST files have the same names, so a `$DENSELY_DATA` holding one data set's
//! files directly is taken for either: prefer its `fashion-mnist` and `mnist` subfolders.
//!
//! # Formats
//!
//! A folder holds the four IDX files, gzip-compressed (`train-images-idx3-ubyte.gz`,
//! `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`) or
//! already decompressed (the same names without `.gz`); see [`idx`]. For MNIST it may instead
//! hold Keras's `mnist.npz`, which is what gets downloaded.

#[cfg(feature = "download")]
mod download;
pub mod fashion_mnist;
pub mod idx;
mod images;
mod locate;
pub mod mnist;

use std::path::{Path, PathBuf};

pub use images::{ImageSet, IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS};
pub use locate::DATA_ENV;

use crate::data::Labels;
use crate::error::Result;
use idx::format_error;

/// The four IDX files of MNIST and Fashion-MNIST: training images and labels, test images and
/// labels, as their publishers name them.
pub const IDX_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// One split of a data set: the images and their labels.
type Split = (ImageSet, Labels<10>);

/// Loads the four IDX files of `dir`, checking that every label has its image.
fn load_idx_folder(dir: &Path) -> Result<(Split, Split)> {
    let path = |name: &str| locate::resolve(dir, name).unwrap_or_else(|| dir.join(name));
    let [train_images, train_labels, test_images, test_labels] = IDX_FILES.map(path);
    let train = load_split(&train_images, &train_labels)?;
    let test = load_split(&test_images, &test_labels)?;
    Ok((train, test))
}

fn load_split(images_path: &PathBuf, labels_path: &PathBuf) -> Result<Split> {
    let images = idx::read_images(images_path)?;
    let labels = idx::read_labels::<10>(labels_path)?;
    check_counts(&images, &labels, images_path, labels_path)?;
    Ok((images, labels))
}

fn check_counts(
    images: &ImageSet,
    labels: &Labels<10>,
    images_path: &Path,
    labels_path: &Path,
) -> Result<()> {
    if images.len() == labels.len() {
        return Ok(());
    }
    Err(format_error(
        labels_path,
        format!(
            "holds {} labels but {} holds {} images: one label per image is expected",
            labels.len(),
            images_path.display(),
            images.len()
        ),
    ))
}

/// Temporary folders for tests, removed when dropped.
#[cfg(test)]
pub(crate) mod test_dir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub struct TestDir(PathBuf);

    impl TestDir {
        pub fn new(name: &str) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "densely-{name}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TestDir(dir)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }

        /// Writes `bytes` to `relative` (creating its folders) and returns its path.
        pub fn write(&self, relative: impl AsRef<Path>, bytes: &[u8]) -> PathBuf {
            let path = self.0.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Tiny data sets written the way the real ones are, for tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::path::Path;

    use super::idx::testing::{gzip, idx_bytes, pixels};
    use super::idx::{IMAGES_MAGIC, LABELS_MAGIC};
    use super::test_dir::TestDir;
    use super::IDX_FILES;

    /// The four gzipped IDX files in `dir/relative`: `train` training and `test` test images,
    /// whose pixels start from `seed`, labelled `0, 1, 2, ...` modulo 10.
    pub fn write_idx(dir: &TestDir, relative: impl AsRef<Path>, train: u32, test: u32, seed: u8) {
        let relative = relative.as_ref();
        for (pair, count) in [train, test].into_iter().enumerate() {
            let images = idx_bytes(
                IMAGES_MAGIC,
                &[count, 28, 28],
                &pixels(count as usize, seed),
            );
            let labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
            let labels = idx_bytes(LABELS_MAGIC, &[count], &labels);
            dir.write(relative.join(IDX_FILES[2 * pair]), &gzip(&images));
            dir.write(relative.join(IDX_FILES[2 * pair + 1]), &gzip(&labels));
        }
    }

    /// An `mnist.npz` like Keras's (deflated entries), with `train` and `test` images labelled
    /// `0, 1, 2, ...` modulo 10.
    pub fn tiny_npz(train: usize, test: usize) -> Vec<u8> {
        use crate::numpy::testing::{npy, zip};
        let labels = |n: usize| (0..n).map(|i| (i % 10) as u8).collect::<Vec<u8>>();
        zip(
            &[
                ("x_train.npy", npy(&[train, 28, 28], &pixels(train, 1))),
                ("y_train.npy", npy(&[train], &labels(train))),
                ("x_test.npy", npy(&[test, 28, 28], &pixels(test, 2))),
                ("y_test.npy", npy(&[test], &labels(test))),
            ],
            true,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::write_idx;
    use super::idx::testing::{gzip, idx_bytes, pixels};
    use super::idx::{IMAGES_MAGIC, LABELS_MAGIC};
    use super::test_dir::TestDir;
    use super::*;
    use crate::error::Error;

    #[test]
    fn a_folder_of_idx_files_loads_like_keras() {
        let dir = TestDir::new("folder");
        write_idx(&dir, "", 12, 4, 3);
        let ((x_train, y_train), (x_test, y_test)) = load_idx_folder(dir.path()).unwrap();
        assert_eq!(x_train.shape(), [12, 28, 28]);
        assert_eq!(x_test.shape(), [4, 28, 28]);
        assert_eq!(x_train.pixels(), &pixels(12, 3)[..]);
        assert_eq!(y_train.as_slice()[..3], [0, 1, 2]);
        assert_eq!(y_test.len(), 4);
    }

    #[test]
    fn a_label_count_that_differs_from_the_image_count_is_an_error_naming_both_files() {
        let dir = TestDir::new("count");
        write_idx(&dir, "", 3, 2, 0);
        let labels = dir.write(
            IDX_FILES[3],
            &gzip(&idx_bytes(LABELS_MAGIC, &[3], &[1, 2, 3])),
        );
        let err = load_idx_folder(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Format { .. }), "{text}");
        assert!(text.starts_with(&labels.display().to_string()), "{text}");
        assert!(
            text.contains(&format!(
                "holds 3 labels but {} holds 2 images",
                dir.path().join(IDX_FILES[2]).display()
            )),
            "{text}"
        );
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let dir = TestDir::new("missing");
        write_idx(&dir, "", 1, 1, 0);
        std::fs::remove_file(dir.path().join(IDX_FILES[1])).unwrap();
        let text = load_idx_folder(dir.path()).unwrap_err().to_string();
        assert!(text.contains(IDX_FILES[1]), "{text}");
        let images = idx_bytes(IMAGES_MAGIC, &[1, 28, 28], &pixels(1, 0));
        dir.write(IDX_FILES[1], &gzip(&images));
        let text = load_idx_folder(dir.path()).unwrap_err().to_string();
        assert!(text.contains("bad magic number 0x00000803"), "{text}");
    }
}
