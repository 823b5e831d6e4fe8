//! Fashion-MNIST: 70,000 28 x 28 grayscale images of clothing in 10 classes (Zalando Research,
//! MIT license), like `keras.datasets.fashion_mnist`.

use std::path::Path;

use super::locate::{self, Checksum, RemoteFile, Spec};
use super::{load_idx_folder, ImageSet, IDX_FILES};
use crate::data::Labels;
use crate::error::Result;

/// The names of the classes, by label: `CLASS_NAMES[9] == "Ankle boot"`.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The folder Debian's package `dataset-fashion-mnist` installs the files in.
pub const DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Where the files are looked for and downloaded from. The checksums are the MD5 sums Zalando
/// publishes for its files (github.com/zalandoresearch/fashion-mnist, README, "Get the Data"),
/// which torchvision checks too; Keras's mirror serves the same files, of the same sizes.
pub(crate) const SPEC: Spec = Spec {
    name: "Fashion-MNIST",
    folder: "fashion-mnist",
    system_dir: Some(DEBIAN_DIR),
    apt_package: Some("dataset-fashion-mnist"),
    layouts: &[&IDX_FILES],
    mirrors: &[
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
    remote: &[
        RemoteFile {
            name: "train-images-idx3-ubyte.gz",
            size: 26_421_880,
            checksum: Checksum::Md5("8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        },
        RemoteFile {
            name: "train-labels-idx1-ubyte.gz",
            size: 29_515,
            checksum: Checksum::Md5("25c81989df183df01b3e8a0aad5dffbe"),
        },
        RemoteFile {
            name: "t10k-images-idx3-ubyte.gz",
            size: 4_422_102,
            checksum: Checksum::Md5("bef4ecab320f06d8554ea6380940ec79"),
        },
        RemoteFile {
            name: "t10k-labels-idx1-ubyte.gz",
            size: 5_148,
            checksum: Checksum::Md5("bb300cfdad3c16e7a12a480ee83cd310"),
        },
    ],
};

/// Loads Fashion-MNIST like Keras's `fashion_mnist.load_data()`: 60,000 training and 10,000 test
/// images (`uint8`, shape `(n, 28, 28)`) with their labels `0..10` (see [`CLASS_NAMES`]).
///
/// The files are looked for in `$DENSELY_DATA/fashion-mnist`, `$DENSELY_DATA`, the user cache
/// folder (`$XDG_CACHE_HOME/densely/fashion-mnist` or `~/.cache/densely/fashion-mnist`) and
/// [`DEBIAN_DIR`], then downloaded into the cache folder if the `download` feature is on (see
/// [the module](crate::datasets)). When every source fails, the error lists the folders and how
/// to get the data.
///
/// The book's first lines, in Rust:
///
/// ```
/// use densely::datasets::fashion_mnist;
///
/// let ((x_train_full, y_train_full), (x_test, y_test)) = fashion_mnist::load_data()?;
/// assert_eq!(x_train_full.shape(), [60000, 28, 28]);
/// assert_eq!((x_test.len(), y_test.len()), (10000, 10000));
///
/// let (x_valid, x_train) = x_train_full.split_at(5000);
/// let (x_valid, x_train) = (x_valid.scaled(), x_train.scaled()); // Batch<Shape2<28, 28>> in [0, 1]
/// let (y_valid, y_train) = y_train_full.split_at(5000);
/// assert_eq!((x_valid.len(), x_train.len(), y_valid.len()), (5000, 55000, 5000));
/// assert!(x_train.as_slice().iter().all(|&v| (0.0..=1.0).contains(&v)));
///
/// assert_eq!(fashion_mnist::CLASS_NAMES[y_train.as_slice()[0] as usize], "Coat");
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

/// Loads Fashion-MNIST from the folder `dir`, which must hold the four IDX files
/// ([`IDX_FILES`], gzipped or not); nothing else is looked at or downloaded.
///
/// ```
/// let ((x_train, y_train), _) =
///     densely::datasets::fashion_mnist::load_data_from("/usr/share/datasets/fashion-mnist")?;
/// assert_eq!((x_train.len(), y_train.as_slice()[0]), (60000, 9)); // 9: "Ankle boot"
/// # Ok::<(), densely::Error>(())
/// ```
pub fn load_data_from(
    dir: impl AsRef<Path>,
) -> Result<((ImageSet, Labels<10>), (ImageSet, Labels<10>))> {
    load_idx_folder(dir.as_ref())
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::path::PathBuf;

    use super::*;
    use crate::datasets::fixtures::write_idx;
    use crate::datasets::locate::{find, places, Fetch};
    use crate::datasets::test_dir::TestDir;
    use crate::datasets::DATA_ENV;

    #[test]
    fn loads_the_debian_package_like_keras() {
        if !Path::new(DEBIAN_DIR).is_dir() {
            eprintln!(
                "note: {DEBIAN_DIR} is absent, skipping; `apt-get install dataset-fashion-mnist` \
                 installs it (CI does)"
            );
            return;
        }
        let start = std::time::Instant::now();
        let ((x_train_full, y_train_full), (x_test, y_test)) = load_data_from(DEBIAN_DIR).unwrap();
        eprintln!("loaded Fashion-MNIST in {:?}", start.elapsed());
        assert_eq!(x_train_full.shape(), [60000, 28, 28]);
        assert_eq!(x_test.shape(), [10000, 28, 28]);
        assert_eq!((y_train_full.len(), y_test.len()), (60000, 10000));
        assert!(y_train_full
            .as_slice()
            .iter()
            .chain(y_test.as_slice())
            .all(|&y| y < 10));
        // Keras: y_train_full[0] == 9, "Ankle boot"; y_test[0] == 9 too.
        assert_eq!(y_train_full.as_slice()[0], 9);
        assert_eq!(
            CLASS_NAMES[y_train_full.as_slice()[0] as usize],
            "Ankle boot"
        );
        assert_eq!(y_test.as_slice()[..5], [9, 2, 1, 1, 6]);
        // numpy's X_train_full[0].sum(), computed once from the Debian file with python3:
        //   d = gzip.open("train-images-idx3-ubyte.gz").read(); sum(d[16:16 + 784]) == 76247
        let first: u64 = x_train_full.image(0).iter().map(|&p| u64::from(p)).sum();
        assert_eq!(first, 76247);
        // The same for the first test image: sum(t[16:16 + 784]) == 33456.
        let first_test: u64 = x_test.image(0).iter().map(|&p| u64::from(p)).sum();
        assert_eq!(first_test, 33456);
        let scaled = x_train_full.slice(0..1).scaled();
        let sum: f64 = scaled.as_slice().iter().map(|&v| f64::from(v)).sum();
        assert!((sum - 76247.0 / 255.0).abs() < 1e-3, "{sum}");
    }

    fn vars(pairs: Vec<(&'static str, PathBuf)>) -> impl Fn(&str) -> Option<std::ffi::OsString> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone().into_os_string())
        }
    }

    /// Loads whatever `find` picks and returns its number of training images.
    fn found_train_len(root: &Path, fetch: Option<&Fetch<'_>>) -> crate::Result<usize> {
        let env = vars(vec![
            (DATA_ENV, root.join("data")),
            ("XDG_CACHE_HOME", root.join("cache")),
        ]);
        let places = places(&SPEC, &env, Some(&root.join("system")));
        let dir = find(&SPEC, &places, fetch)?;
        Ok(load_data_from(dir)?.0 .0.len())
    }

    #[test]
    fn lookup_order_is_data_env_subfolder_data_env_cache_then_system() {
        let root = TestDir::new("fashion-lookup");
        let offline =
            |_: &str| -> Result<Box<dyn Read>, String> { Err("no network here".to_string()) };
        write_idx(&root, "data/fashion-mnist", 1, 1, 0);
        write_idx(&root, "data", 2, 1, 0);
        write_idx(&root, "cache/densely/fashion-mnist", 3, 1, 0);
        write_idx(&root, "system", 4, 1, 0);
        write_idx(&root, "data/mnist", 5, 1, 0); // another data set's folder: never read
        let remove = |relative: &str| {
            for name in IDX_FILES {
                std::fs::remove_file(root.path().join(relative).join(name)).unwrap();
            }
        };
        assert_eq!(found_train_len(root.path(), Some(&offline)).unwrap(), 1);
        remove("data/fashion-mnist");
        assert_eq!(found_train_len(root.path(), Some(&offline)).unwrap(), 2);
        remove("data");
        assert_eq!(found_train_len(root.path(), Some(&offline)).unwrap(), 3);
        remove("cache/densely/fashion-mnist");
        assert_eq!(found_train_len(root.path(), Some(&offline)).unwrap(), 4);
        remove("system");

        // Every source fails: the error names each folder, the download failure, and the ways.
        let err = found_train_len(root.path(), Some(&offline)).unwrap_err();
        let text = err.to_string();
        println!("{text}");
        for folder in [
            "data/fashion-mnist",
            "data",
            "cache/densely/fashion-mnist",
            "system",
        ] {
            assert!(
                text.contains(&format!("{} (", root.path().join(folder).display())),
                "{folder}: {text}"
            );
        }
        assert!(text.starts_with("Fashion-MNIST: "), "{text}");
        assert!(
            text.contains("apt-get install dataset-fashion-mnist"),
            "{text}"
        );
        assert!(text.contains("DENSELY_DATA"), "{text}");
        assert!(text.contains("`download` feature"), "{text}");
        #[cfg(feature = "download")]
        assert!(
            text.contains(
                "https://storage.googleapis.com/tensorflow/tf-keras-datasets/\
                 train-images-idx3-ubyte.gz: no network here"
            ),
            "{text}"
        );
        // Without a way to download, the error says how to get one.
        let text = found_train_len(root.path(), None).unwrap_err().to_string();
        assert!(text.contains("`download` feature"), "{text}");
        assert!(!text.contains("no network here"), "{text}");
    }

    #[test]
    fn a_corrupt_folder_is_reported_not_skipped() {
        let root = TestDir::new("fashion-corrupt");
        write_idx(&root, "data/fashion-mnist", 1, 1, 0);
        write_idx(&root, "system", 4, 1, 0);
        let bad = root.write(
            PathBuf::from("data/fashion-mnist").join(IDX_FILES[0]),
            b"not gzip, not idx",
        );
        let text = found_train_len(root.path(), None).unwrap_err().to_string();
        assert!(text.starts_with(&bad.display().to_string()), "{text}");
        assert!(text.contains("bad magic number"), "{text}");
    }

    /// The one test that touches the process's environment: `load_data()` reads `DENSELY_DATA`.
    #[test]
    fn load_data_reads_densely_data_from_the_environment() {
        let root = TestDir::new("fashion-env");
        write_idx(&root, "fashion-mnist", 7, 3, 1);
        let mnist_archive = crate::datasets::fixtures::tiny_npz(6, 2);
        root.write("mnist/mnist.npz", &mnist_archive);
        let previous = std::env::var_os(DATA_ENV);
        std::env::set_var(DATA_ENV, root.path());
        let fashion = load_data();
        let mnist = crate::datasets::mnist::load_data();
        match previous {
            Some(value) => std::env::set_var(DATA_ENV, value),
            None => std::env::remove_var(DATA_ENV),
        }
        let ((x_train, _), (x_test, _)) = fashion.unwrap();
        assert_eq!((x_train.len(), x_test.len()), (7, 3));
        let ((x_train, _), (x_test, _)) = mnist.unwrap();
        assert_eq!((x_train.len(), x_test.len()), (6, 2));
    }
}
