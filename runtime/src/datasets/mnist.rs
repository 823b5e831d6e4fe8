//! MNIST: 70,000 28 x 28 grayscale images of handwritten digits, labelled with their digit,
//! like `keras.datasets.mnist`.
//!
//! A folder holds either the four IDX files ([`IDX_FILES`], gzipped or not)
//! or Keras's `mnist.npz` (the arrays `x_train`, `y_train`, `x_test`, `y_test`). Downloads fetch
//! `mnist.npz` from Keras's mirror and check its SHA-256. No Debian package installs MNIST.

use std::path::Path;

use super::locate::{self, resolve, Checksum, RemoteFile, Spec};
use super::{check_counts, load_idx_folder, ImageSet, Split, IDX_FILES};
use crate::data::Labels;
use crate::error::Result;
use crate::numpy::{Elements, NpyArray, Npz};

/// The name of Keras's archive of MNIST.
pub const NPZ_FILE: &str = "mnist.npz";

/// Where the files are looked for and downloaded from. The SHA-256 of `mnist.npz` is the one
/// Keras's `keras/src/datasets/mnist.py` checks (`file_hash=...`); its size is what Keras prints
/// while downloading it.
pub(crate) const SPEC: Spec = Spec {
    name: "MNIST",
    folder: "mnist",
    system_dir: None,
    apt_package: None,
    layouts: &[&IDX_FILES, &[NPZ_FILE]],
    mirrors: &["https://storage.googleapis.com/tensorflow/tf-keras-datasets/"],
    remote: &[RemoteFile {
        name: NPZ_FILE,
        size: 11_490_434,
        checksum: Checksum::Sha256(
            "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        ),
    }],
};

/// Loads MNIST like Keras's `mnist.load_data()`: 60,000 training and 10,000 test images (`uint8`,
/// shape `(n, 28, 28)`) with their digits `0..10` as labels.
///
/// The files are looked for in `$DENSELY_DATA/mnist`, `$DENSELY_DATA` and the user cache folder
/// (`$XDG_CACHE_HOME/densely/mnist` or `~/.cache/densely/mnist`), then `mnist.npz` is downloaded
/// into the cache folder if the `download` feature is on (see [the module](crate::datasets)).
/// When every source fails, the error lists the folders and how to get the data.
///
/// ```no_run
/// use densely::datasets::mnist;
///
/// let ((x_train_full, y_train_full), (x_test, y_test)) = mnist::load_data()?;
/// assert_eq!(x_train_full.shape(), [60000, 28, 28]);
/// let (x_valid, x_train) = x_train_full.split_at(5000);
/// let (x_valid, x_train) = (x_valid.scaled(), x_train.scaled());
/// # Ok::<(), densely::Error>(())
/// ```
pub fn load_data() -> Result<((ImageSet, Labels<10>), (ImageSet, Labels<10>))> {
    let dir = locate::find(
        &SPEC,
        &locate::default_places(&SPEC),
        locate::default_fetch(),
    )?;
    load_data_from(dir)
}

/// Loads MNIST from `path`: a folder holding the four IDX files or `mnist.npz`, or the path of
/// an `.npz` archive itself. Nothing else is looked at or downloaded.
pub fn load_data_from(
    path: impl AsRef<Path>,
) -> Result<((ImageSet, Labels<10>), (ImageSet, Labels<10>))> {
    let path = path.as_ref();
    if path.is_file() {
        return load_npz(path);
    }
    let has_idx = IDX_FILES.iter().any(|name| resolve(path, name).is_some());
    let npz = path.join(NPZ_FILE);
    if !has_idx && npz.is_file() {
        return load_npz(&npz);
    }
    load_idx_folder(path)
}

/// Loads Keras's `mnist.npz`.
fn load_npz(path: &Path) -> Result<(Split, Split)> {
    let arrays = crate::numpy::load_npz(path)?;
    let train = npz_split(path, &arrays, "x_train", "y_train")?;
    let test = npz_split(path, &arrays, "x_test", "y_test")?;
    Ok((train, test))
}

fn npz_split(path: &Path, arrays: &Npz, x_name: &str, y_name: &str) -> Result<Split> {
    let fail = |reason: String| super::idx::format_error(path, reason);
    let (x, y) = (arrays.array(x_name)?, arrays.array(y_name)?);
    let bytes = |name: &str, array: &NpyArray| match array.elements() {
        Elements::U8(data) => Ok(data.clone()),
        other => Err(fail(format!(
            "`{name}` holds {}, not the uint8 values of Keras's mnist.npz",
            other.dtype()
        ))),
    };
    if x.shape().len() != 3 || x.shape()[1..] != [28, 28] {
        return Err(fail(format!(
            "`{x_name}` has shape {:?}, expected (n, 28, 28)",
            x.shape()
        )));
    }
    if y.shape().len() != 1 {
        return Err(fail(format!(
            "`{y_name}` has shape {:?}, expected (n,)",
            y.shape()
        )));
    }
    let (pixels, classes) = (bytes(x_name, x)?, bytes(y_name, y)?);
    if let Some((index, label)) = classes.iter().enumerate().find(|(_, &label)| label >= 10) {
        return Err(fail(format!(
            "`{y_name}` has label {label} at index {index}, not one of the 10 classes 0..10"
        )));
    }
    let images = ImageSet::from_pixels(pixels).map_err(|err| fail(err.to_string()))?;
    let labels = Labels::from_bytes(&classes).map_err(|err| fail(err.to_string()))?;
    let images_path = path.join(x_name);
    check_counts(&images, &labels, &images_path, &path.join(y_name))?;
    Ok((images, labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::fixtures::{tiny_npz, write_idx};
    use crate::datasets::test_dir::TestDir;
    use crate::numpy::testing::{npy, zip};

    #[test]
    fn loads_an_npz_file_or_a_folder_holding_one() {
        let dir = TestDir::new("mnist-npz");
        let archive = dir.write("mnist.npz", &tiny_npz(5, 3));
        for path in [archive.as_path(), dir.path()] {
            let ((x_train, y_train), (x_test, y_test)) = load_data_from(path).unwrap();
            assert_eq!(x_train.shape(), [5, 28, 28]);
            assert_eq!(y_train.as_slice(), &[0, 1, 2, 3, 4]);
            assert_eq!((x_test.len(), y_test.len()), (3, 3));
        }
    }

    #[test]
    fn a_folder_of_idx_files_wins_over_the_npz() {
        let dir = TestDir::new("mnist-idx");
        write_idx(&dir, "", 4, 2, 9);
        dir.write("mnist.npz", b"never read");
        let ((x_train, _), (x_test, _)) = load_data_from(dir.path()).unwrap();
        assert_eq!((x_train.len(), x_test.len()), (4, 2));
    }

    #[test]
    fn a_bad_npz_is_an_error_naming_it() {
        let dir = TestDir::new("mnist-bad");
        let labels = |n: usize| npy(&[n], &vec![1; n]);
        let images = |n: usize| npy(&[n, 28, 28], &vec![0; n * 784]);
        let cases = [
            (
                zip(
                    &[("x_train.npy", images(1)), ("y_train.npy", labels(1))],
                    true,
                ),
                "no array `x_test`",
            ),
            (
                zip(
                    &[
                        ("x_train.npy", images(2)),
                        ("y_train.npy", labels(1)),
                        ("x_test.npy", images(1)),
                        ("y_test.npy", labels(1)),
                    ],
                    false,
                ),
                "holds 1 labels but",
            ),
            (
                zip(
                    &[
                        ("x_train.npy", npy(&[1, 784], &[0; 784])),
                        ("y_train.npy", labels(1)),
                        ("x_test.npy", images(1)),
                        ("y_test.npy", labels(1)),
                    ],
                    false,
                ),
                "`x_train` has shape [1, 784], expected (n, 28, 28)",
            ),
            (
                zip(
                    &[
                        ("x_train.npy", images(1)),
                        ("y_train.npy", labels(1)),
                        ("x_test.npy", images(1)),
                        ("y_test.npy", npy(&[1], &[10])),
                    ],
                    false,
                ),
                "`y_test` has label 10 at index 0",
            ),
            (b"PK\x03\x04 not really".to_vec(), "not a zip archive"),
        ];
        for (index, (bytes, expected)) in cases.into_iter().enumerate() {
            let path = dir.write(format!("case{index}.npz"), &bytes);
            let text = load_data_from(&path).unwrap_err().to_string();
            assert!(text.starts_with(&path.display().to_string()), "{text}");
            assert!(text.contains(expected), "{expected}: {text}");
        }
    }

    #[test]
    fn an_empty_folder_says_what_it_lacks() {
        let dir = TestDir::new("mnist-empty");
        let text = load_data_from(dir.path()).unwrap_err().to_string();
        assert!(text.contains(IDX_FILES[0]), "{text}");
    }
}
