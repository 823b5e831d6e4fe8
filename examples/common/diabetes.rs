//! The tabular regression data of the `wide_deep`, `multi_output` and `callbacks` examples.
//!
//! The book trains its Functional models on California housing, which scikit-learn downloads
//! on first use; this machine can't download it. The examples use instead the other real
//! regression data set that scikit-learn ships inside its own package: the **diabetes** data
//! of Efron, Hastie, Johnstone and Tibshirani ("Least Angle Regression", Annals of Statistics,
//! 2004): 442 patients, 10 baseline measurements (age, sex, body mass index, mean blood
//! pressure and six blood serum measurements `s1`..`s6`), and a quantitative measure of
//! disease progression one year later (25 to 346) as the target.
//!
//! It is two small files, `diabetes_data_raw.csv.gz` (10 space-separated columns) and
//! `diabetes_target.csv.gz`, in scikit-learn's `sklearn/datasets/data/`. They are looked for
//! in, in order:
//!
//! 1. `$DENSELY_DATA/diabetes/`, then `$DENSELY_DATA/`;
//! 2. `$XDG_CACHE_HOME/densely/diabetes/` or `~/.cache/densely/diabetes/`;
//! 3. `/usr/lib/python3/dist-packages/sklearn/datasets/data/` (Debian's `python3-sklearn`);
//! 4. the `sklearn` package that `python3` finds (`pip install scikit-learn`).
//!
//! Without installing scikit-learn, its wheel is a zip file that holds them:
//!
//! ```sh
//! pip download --no-deps --only-binary=:all: scikit-learn -d /tmp/sk
//! mkdir -p ~/.cache/densely/diabetes
//! unzip -j /tmp/sk/scikit_learn-*.whl 'sklearn/datasets/data/diabetes_*' -d ~/.cache/densely/diabetes
//! ```

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;

use densely::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// The names of the ten features, as scikit-learn gives them.
pub const FEATURE_NAMES: [&str; 10] = [
    "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
];

const DATA_FILE: &str = "diabetes_data_raw.csv";
const TARGET_FILE: &str = "diabetes_target.csv";

/// The data set: one row of ten features per patient, and the target.
pub struct Diabetes {
    /// Where the files were found.
    pub folder: PathBuf,
    /// The features, one row per patient.
    pub features: Vec<[f32; 10]>,
    /// Disease progression after one year.
    pub target: Vec<f32>,
}

/// The folders that may hold the files, in the order they are tried.
fn candidates() -> Vec<PathBuf> {
    let mut folders = Vec::new();
    if let Some(data) = std::env::var_os("DENSELY_DATA") {
        let data = PathBuf::from(data);
        folders.push(data.join("diabetes"));
        folders.push(data);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    if let Some(cache) = cache {
        folders.push(cache.join("densely").join("diabetes"));
    }
    folders.push(PathBuf::from(
        "/usr/lib/python3/dist-packages/sklearn/datasets/data",
    ));
    // Where pip put scikit-learn, without importing it (which would be slow).
    let script = "import importlib.util as u; s = u.find_spec('sklearn'); \
                  print(s.submodule_search_locations[0] if s else '')";
    if let Ok(output) = Command::new("python3").args(["-c", script]).output() {
        let location = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !location.is_empty() {
            folders.push(Path::new(&location).join("datasets").join("data"));
        }
    }
    folders
}

/// Reads `name` or `name.gz` from `folder`, if either is there.
fn read_text(folder: &Path, name: &str) -> Option<Result<String, String>> {
    let plain = folder.join(name);
    let gzipped = folder.join(format!("{name}.gz"));
    let read = |path: &Path, gz: bool| -> Result<String, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if !gz {
            return String::from_utf8(bytes).map_err(|e| format!("{}: {e}", path.display()));
        }
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(text)
    };
    if gzipped.is_file() {
        Some(read(&gzipped, true))
    } else if plain.is_file() {
        Some(read(&plain, false))
    } else {
        None
    }
}

fn numbers(text: &str, file: &str) -> Result<Vec<Vec<f32>>, String> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(index, line)| {
            line.split(|c: char| c.is_whitespace() || c == ',')
                .filter(|field| !field.is_empty())
                .map(|field| {
                    field
                        .parse::<f32>()
                        .map_err(|e| format!("{file} line {}: `{field}`: {e}", index + 1))
                })
                .collect()
        })
        .collect()
}

/// Loads the diabetes data from the first folder that has both files; the error says where
/// it looked and how to get them.
pub fn load_diabetes() -> Result<Diabetes, String> {
    let folders = candidates();
    for folder in &folders {
        let (Some(data), Some(target)) =
            (read_text(folder, DATA_FILE), read_text(folder, TARGET_FILE))
        else {
            continue;
        };
        let rows = numbers(&data?, DATA_FILE)?;
        let target: Vec<f32> = numbers(&target?, TARGET_FILE)?
            .into_iter()
            .flatten()
            .collect();
        let features = rows
            .iter()
            .enumerate()
            .map(|(index, row)| {
                <[f32; 10]>::try_from(row.as_slice()).map_err(|_| {
                    format!(
                        "{DATA_FILE} line {}: {} columns, not 10",
                        index + 1,
                        row.len()
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if features.len() != target.len() {
            return Err(format!(
                "{}: {} rows of features but {} targets",
                folder.display(),
                features.len(),
                target.len()
            ));
        }
        return Ok(Diabetes {
            folder: folder.clone(),
            features,
            target,
        });
    }
    let looked: Vec<String> = folders
        .iter()
        .map(|f| format!("  {}", f.display()))
        .collect();
    Err(format!(
        "the diabetes data set (scikit-learn's {DATA_FILE}.gz and {TARGET_FILE}.gz) was not found in:\n{}\n\
         Get it with one of:\n  \
         apt-get install python3-sklearn\n  \
         pip install scikit-learn\n  \
         pip download --no-deps --only-binary=:all: scikit-learn -d /tmp/sk && mkdir -p ~/.cache/densely/diabetes && \
         unzip -j /tmp/sk/scikit_learn-*.whl 'sklearn/datasets/data/diabetes_*' -d ~/.cache/densely/diabetes",
        looked.join("\n")
    ))
}

/// Standardization fitted on the training rows: `(x - mean) / std`, like scikit-learn's
/// `StandardScaler`.
pub struct Scaler {
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl Scaler {
    /// Fits the mean and standard deviation of each column of `rows`.
    pub fn fit<const N: usize>(rows: &[[f32; N]]) -> Self {
        let n = rows.len() as f32;
        let mean: Vec<f32> = (0..N)
            .map(|c| rows.iter().map(|r| r[c]).sum::<f32>() / n)
            .collect();
        let std = (0..N)
            .map(|c| {
                let var = rows.iter().map(|r| (r[c] - mean[c]).powi(2)).sum::<f32>() / n;
                var.sqrt().max(1e-12)
            })
            .collect();
        Scaler { mean, std }
    }

    /// Standardizes `rows`.
    pub fn transform<const N: usize>(&self, rows: &[[f32; N]]) -> Vec<[f32; N]> {
        rows.iter()
            .map(|r| std::array::from_fn(|c| (r[c] - self.mean[c]) / self.std[c]))
            .collect()
    }

    /// Turns standardized values of column `column` back into the original units.
    pub fn inverse(&self, column: usize, value: f32) -> f32 {
        value * self.std[column] + self.mean[column]
    }

    /// The standard deviation of column `column`.
    pub fn std(&self, column: usize) -> f32 {
        self.std[column]
    }
}

/// The book's splits, with `train_test_split`'s default 25% twice: test, then validation out
/// of the rest, after a seeded shuffle. Returns (train, valid, test) row indices.
pub fn split(samples: usize, seed: u64) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..samples).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let test = samples.div_ceil(4);
    let (test, rest) = order.split_at(test);
    let valid = rest.len().div_ceil(4);
    let (valid, train) = rest.split_at(valid);
    (train.to_vec(), valid.to_vec(), test.to_vec())
}

/// The standardized data of one split: features and targets.
pub struct Part {
    /// Standardized features.
    pub x: Vec<[f32; 10]>,
    /// Standardized targets.
    pub y: Vec<[f32; 1]>,
}

impl Part {
    /// Columns `columns` of the features, as a batch for an input of `N` features
    /// (`X[:, :5]` is `part.columns::<5>(0..5)`).
    pub fn columns<const N: usize>(&self, columns: Range<usize>) -> Batch<Shape1<N>> {
        assert_eq!(columns.len(), N, "{columns:?} is not {N} columns");
        Batch::from_fn(self.x.len(), |row, i| self.x[row][columns.start + i])
    }

    /// The targets as a batch.
    pub fn targets(&self) -> Batch<Shape1<1>> {
        Batch::from_fn(self.y.len(), |row, _| self.y[row][0])
    }
}

/// The data split into train, validation and test parts, standardized with the statistics of
/// the training part, with the target scaler to read predictions in the original units.
pub fn prepare(data: &Diabetes) -> (Part, Part, Part, Scaler) {
    let (train, valid, test) = split(data.features.len(), 42);
    let pick = |rows: &[usize]| -> (Vec<[f32; 10]>, Vec<[f32; 1]>) {
        (
            rows.iter().map(|&r| data.features[r]).collect(),
            rows.iter().map(|&r| [data.target[r]]).collect(),
        )
    };
    let (x_train, y_train) = pick(&train);
    let x_scaler = Scaler::fit(&x_train);
    let y_scaler = Scaler::fit(&y_train);
    let part = |rows: &[usize]| {
        let (x, y) = pick(rows);
        Part {
            x: x_scaler.transform(&x),
            y: y_scaler.transform(&y),
        }
    };
    (part(&train), part(&valid), part(&test), y_scaler)
}
