//! A folder of CSV files read as one stream of batches, as `tf.data.experimental.make_csv_dataset`
//! reads a file pattern: for data that doesn't fit in memory, or arrives in pieces.

use std::fs::File;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{column_indices, open_reader, parse_number, record_error};
use crate::data::{Batch, Labels};
use crate::error::{format_error, io_error, Error, Result};
use crate::network::{InputsOf, Network, TargetsOf};
use crate::shape::{Shape, Shape1};
use crate::source::{BatchSource, Stage};

/// What the target columns of a CSV file become: class labels or values.
pub trait CsvTargets: Sized {
    /// The number of target columns.
    const COLUMNS: usize;
    /// Checks one value read from a target column, saying why it can't be one.
    fn check(value: f64) -> std::result::Result<(), String>;
    /// The targets of a batch, one sample's values after another.
    fn from_values(values: &[f32]) -> Result<Self>;
}

impl<const C: usize> CsvTargets for Labels<C> {
    const COLUMNS: usize = 1;

    fn check(value: f64) -> std::result::Result<(), String> {
        if value.fract() == 0.0 && (0.0..C as f64).contains(&value) {
            Ok(())
        } else {
            Err(format!("{value} is not a class in 0..{C}"))
        }
    }

    fn from_values(values: &[f32]) -> Result<Self> {
        Labels::new(values.iter().map(|&v| v as u32).collect())
    }
}

impl<const N: usize> CsvTargets for Batch<Shape1<N>> {
    const COLUMNS: usize = N;

    fn check(_value: f64) -> std::result::Result<(), String> {
        Ok(())
    }

    fn from_values(values: &[f32]) -> Result<Self> {
        Batch::from_vec(values.to_vec())
    }
}

/// CSV files with a header row, read one after the other as batches of samples of shape `S`
/// (the `features` columns) and targets `T` (the `targets` columns: [`Labels`] or a
/// [`Batch`]); a [`BatchSource`] for `fit_source`, `evaluate_source` and `predict_source`.
/// Only the rows of the batches at hand (and of the shuffle buffer) are in memory.
///
/// Each file's header must name the chosen columns (in any order, among others); a missing
/// value or a word where a number belongs is an error naming the file, the line and the column.
/// [`shuffle_buffer`](Self::shuffle_buffer) shuffles as `tf.data`'s `shuffle` does: each row
/// comes out of a buffer of the next rows at random, anew for each pass.
///
/// ```no_run
/// use densely::csv::CsvShards;
/// use densely::prelude::*;
///
/// model! {
///     struct Housing {
///         input x: [2];
///         hidden = Dense(30, relu);
///         output price = Dense(1), loss = mse;
///     }
/// }
///
/// // housing/part-000.csv, housing/part-001.csv, ...
/// let shards = CsvShards::<Shape1<2>, Batch<Shape1<1>>>::open(
///     "housing",
///     ["MedInc", "HouseAge"],
///     ["MedHouseVal"],
/// )?
/// .batch_size(32)
/// .shuffle_buffer(10_000, 42);
/// let mut model = Housing::new();
/// model.compile(Sgd::default(), [Metric::Mae]);
/// model.fit_source(shards, FitOptions::default().epochs(10))?;
/// # Ok::<(), densely::Error>(())
/// ```
pub struct CsvShards<S: Shape, T: CsvTargets> {
    files: Vec<PathBuf>,
    features: Vec<String>,
    targets: Vec<String>,
    batch_size: usize,
    shuffle: Option<(usize, u64)>,
    /// The file being read, its reader and where the chosen columns are in it.
    reading: Option<Reading>,
    /// The index of the next file to open.
    next_file: usize,
    /// The shuffle buffer: rows read and not yet handed over, each its features then its
    /// targets, `S::SIZE + T::COLUMNS` values.
    buffer: Vec<f32>,
    /// The row being handed over, and a batch's features and targets, kept between batches.
    row: Vec<f32>,
    features_out: Vec<f32>,
    targets_out: Vec<f32>,
    rng: StdRng,
    record: ::csv::StringRecord,
    _types: PhantomData<(S, T)>,
}

/// One open file.
struct Reading {
    path: PathBuf,
    reader: ::csv::Reader<File>,
    columns: Vec<usize>,
}

impl<S: Shape, T: CsvTargets> CsvShards<S, T> {
    /// The `.csv` files of the folder `path`, in the order of their names, or the file `path`
    /// alone; `features` are the columns of a sample (as many as `S` has values) and
    /// `targets` those of its targets. Every file's header is checked now.
    pub fn open<F: AsRef<str>, G: AsRef<str>>(
        path: impl AsRef<Path>,
        features: impl IntoIterator<Item = F>,
        targets: impl IntoIterator<Item = G>,
    ) -> Result<Self> {
        let path = path.as_ref();
        let files = csv_files(path)?;
        let features: Vec<String> = features
            .into_iter()
            .map(|f| f.as_ref().to_owned())
            .collect();
        let targets: Vec<String> = targets.into_iter().map(|t| t.as_ref().to_owned()).collect();
        let count = |what: &str, given: usize, wanted: usize, of: String| {
            if given == wanted {
                Ok(())
            } else {
                Err(Error::Argument {
                    argument: "columns",
                    reason: format!("{given} {what} columns chosen, but {of} takes {wanted}"),
                })
            }
        };
        count(
            "feature",
            features.len(),
            S::SIZE,
            format!("a sample of shape {:?}", S::DIMS),
        )?;
        count(
            "target",
            targets.len(),
            T::COLUMNS,
            format!("`{}`", std::any::type_name::<T>()),
        )?;
        let shards = CsvShards {
            files,
            features,
            targets,
            batch_size: 32,
            shuffle: None,
            reading: None,
            next_file: 0,
            buffer: Vec::new(),
            row: Vec::new(),
            features_out: Vec::new(),
            targets_out: Vec::new(),
            rng: StdRng::seed_from_u64(0),
            record: ::csv::StringRecord::new(),
            _types: PhantomData,
        };
        for file in &shards.files {
            shards.open_file(file)?;
        }
        Ok(shards)
    }

    /// Rows per batch (default 32, as Keras's).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Shuffles through a buffer of `rows` rows, from `seed` and the pass (default: rows in
    /// file order).
    pub fn shuffle_buffer(mut self, rows: usize, seed: u64) -> Self {
        self.shuffle = Some((rows.max(1), seed));
        self
    }

    /// The files, in the order they are read.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    fn open_file(&self, path: &Path) -> Result<Reading> {
        let mut reader = open_reader(path)?;
        let headers = reader
            .headers()
            .map_err(|e| record_error(path, &e))?
            .clone();
        let chosen = self.features.iter().chain(&self.targets);
        let columns =
            column_indices(headers.iter(), chosen).map_err(|reason| format_error(path, reason))?;
        Ok(Reading {
            path: path.to_path_buf(),
            reader,
            columns,
        })
    }

    /// Appends the next row of the files to `into`; `false` when every file is read.
    fn read_row(&mut self, into: &mut Vec<f32>) -> Result<bool> {
        loop {
            if self.reading.is_none() {
                let Some(path) = self.files.get(self.next_file).cloned() else {
                    return Ok(false);
                };
                self.next_file += 1;
                self.reading = Some(self.open_file(&path)?);
            }
            let reading = self.reading.as_mut().expect("opened above");
            let more = reading
                .reader
                .read_record(&mut self.record)
                .map_err(|e| record_error(&reading.path, &e))?;
            if !more {
                self.reading = None;
                continue;
            }
            let line = self.record.position().map_or(0, |p| p.line());
            let headers = reading
                .reader
                .headers()
                .map_err(|e| record_error(&reading.path, &e))?;
            for (k, &column) in reading.columns.iter().enumerate() {
                let text = self.record.get(column).unwrap_or("");
                let fail = |reason: String| {
                    format_error(
                        &reading.path,
                        format!("line {line}, column `{}`: {reason}", &headers[column]),
                    )
                };
                let value = parse_number(text).map_err(fail)?;
                if k >= S::SIZE {
                    T::check(value).map_err(fail)?;
                }
                into.push(value as f32);
            }
            return Ok(true);
        }
    }

    /// Puts the next row to hand over in `self.row`, straight from the files or at random
    /// from the shuffle buffer; `false` when there is none.
    fn next_row(&mut self) -> Result<bool> {
        let width = S::SIZE + T::COLUMNS;
        let mut row = std::mem::take(&mut self.row);
        row.clear();
        let found = match self.shuffle {
            None => self.read_row(&mut row)?,
            Some((size, _)) => {
                let mut buffer = std::mem::take(&mut self.buffer);
                let filled = loop {
                    if buffer.len() >= size * width || !self.read_row(&mut buffer)? {
                        break buffer.len() / width;
                    }
                };
                if filled > 0 {
                    // Take a row at random and move the last one into its place.
                    let pick = self.rng.random_range(0..filled) * width;
                    row.extend_from_slice(&buffer[pick..pick + width]);
                    let last = (filled - 1) * width;
                    buffer.copy_within(last..last + width, pick);
                    buffer.truncate(last);
                }
                self.buffer = buffer;
                filled > 0
            }
        };
        self.row = row;
        Ok(found)
    }
}

impl<N, S, T> BatchSource<N> for CsvShards<S, T>
where
    N: Network,
    S: Shape,
    T: CsvTargets,
    for<'a> &'a Batch<S>: InputsOf<'a, N>,
    for<'a> &'a T: TargetsOf<'a, N>,
{
    fn rewind(&mut self, pass: usize) -> Result<()> {
        self.reading = None;
        self.next_file = 0;
        self.buffer.clear();
        if let Some((_, seed)) = self.shuffle {
            self.rng = StdRng::seed_from_u64(crate::training::pass_seed(seed, pass));
        }
        Ok(())
    }

    fn next_batch(&mut self, stage: &mut Stage<'_, N>) -> Result<bool> {
        let (mut x, mut y) = (
            std::mem::take(&mut self.features_out),
            std::mem::take(&mut self.targets_out),
        );
        x.clear();
        y.clear();
        for _ in 0..self.batch_size {
            if !self.next_row()? {
                break;
            }
            x.extend_from_slice(&self.row[..S::SIZE]);
            y.extend_from_slice(&self.row[S::SIZE..]);
        }
        if x.is_empty() {
            (self.features_out, self.targets_out) = (x, y);
            return Ok(false);
        }
        let batch = Batch::<S>::from_vec(x)?;
        let targets = T::from_values(&y)?;
        stage.put(&batch, &targets)?;
        (self.features_out, self.targets_out) = (batch.into_vec(), y);
        Ok(true)
    }
}

/// The `.csv` files of a folder by name, or the file itself; an error if there are none.
fn csv_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        std::fs::metadata(path).map_err(|source| io_error(path, source))?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|source| io_error(path, source))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format_error(path, "the folder holds no .csv file"));
    }
    Ok(files)
}
