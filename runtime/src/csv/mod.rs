//! CSV files with a header row into [`Batch`] and [`Labels`], as `pd.read_csv(path)[columns]`
//! gives a Keras user their arrays: columns chosen by name, every value checked.
//!
//! ```no_run
//! use densely::prelude::*;
//!
//! let table = densely::csv::read("housing.csv")?;
//! let x: Batch<Shape1<2>> = table.batch(["MedInc", "HouseAge"])?;
//! let y: Batch<Shape1<1>> = table.batch(["MedHouseVal"])?;
//! # let _ = (x, y);
//! # Ok::<(), densely::Error>(())
//! ```
//!
//! A missing value (an empty field, or `NA`, `N/A`, `NaN`, `null`, as pandas reads them) or
//! one that is not a number is an error naming the line of the file and the column.
//!
//! Data too large to read whole comes as a folder of files, read batch by batch:
//! [`CsvShards`].

use std::fs::File;
use std::path::Path;

mod shards;

pub use shards::{CsvShards, CsvTargets};

use crate::data::{Batch, Labels};
use crate::error::{did_you_mean, format_error, quoted_list, Error, Result};
use crate::shape::Shape;

/// What pandas' `read_csv` reads as a missing value, besides an empty field.
const MISSING: &[&str] = &["NA", "N/A", "NaN", "nan", "null", "NULL", "None"];

/// A CSV file's header and rows, as text until columns are chosen.
#[derive(Clone, Debug)]
pub struct Table {
    path: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Reads the CSV file at `path`, whose first row names the columns.
pub fn read(path: impl AsRef<Path>) -> Result<Table> {
    let path = path.as_ref();
    let mut reader = open_reader(path)?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| record_error(path, &e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| record_error(path, &e))?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(Table {
        path: path.display().to_string(),
        headers,
        rows,
    })
}

/// A reader of the CSV file at `path`, its first row the header, fields trimmed.
fn open_reader(path: &Path) -> Result<::csv::Reader<File>> {
    ::csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(::csv::Trim::All)
        .from_path(path)
        .map_err(|e| record_error(path, &e))
}

/// The csv crate's error about the file at `path`, in the words of this module: the line,
/// and what is wrong.
fn record_error(path: &Path, error: &::csv::Error) -> Error {
    let reason = match error.kind() {
        ::csv::ErrorKind::Io(source) => {
            return Error::Io {
                path: path.display().to_string(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            }
        }
        ::csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {} has {len} fields, but the header names {expected_len} columns",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        ::csv::ErrorKind::Utf8 { pos, .. } => format!(
            "line {} is not UTF-8 text",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        _ => error.to_string(),
    };
    format_error(path, reason)
}

/// Where the columns `names` are among `headers`, or why one can't be found.
fn column_indices<'h, N: AsRef<str>>(
    headers: impl IntoIterator<Item = &'h str> + Clone,
    names: impl IntoIterator<Item = N>,
) -> std::result::Result<Vec<usize>, String> {
    names
        .into_iter()
        .map(|name| {
            let name = name.as_ref();
            headers
                .clone()
                .into_iter()
                .position(|h| h == name)
                .ok_or_else(|| {
                    format!(
                        "no column `{name}`; the header names {}.{}",
                        quoted_list(headers.clone()),
                        did_you_mean(name, headers.clone())
                    )
                })
        })
        .collect()
}

/// A field as a number, or why it isn't one: missing (as pandas reads missing values) or a
/// word.
fn parse_number(text: &str) -> std::result::Result<f64, String> {
    if text.is_empty() || MISSING.contains(&text) {
        return Err("the value is missing; fill or drop it first".into());
    }
    text.parse::<f64>()
        .map_err(|_| format!("`{text}` is not a number"))
}

impl Table {
    /// The column names, from the header row.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The number of rows below the header.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the file has no row below the header.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The columns called `columns`, in that order, as a batch: one sample a row, as many
    /// columns as a sample has values.
    pub fn batch<S: Shape, C: AsRef<str>>(
        &self,
        columns: impl IntoIterator<Item = C>,
    ) -> Result<Batch<S>> {
        let indices = self.indices(columns)?;
        if indices.len() != S::SIZE {
            return Err(self.error(format!(
                "{} columns chosen, but a sample of shape {:?} holds {} values",
                indices.len(),
                S::DIMS,
                S::SIZE
            )));
        }
        let mut values = Vec::with_capacity(self.rows.len() * indices.len());
        for row in 0..self.rows.len() {
            for &column in &indices {
                values.push(self.number(row, column)? as f32);
            }
        }
        Batch::from_vec(values).map_err(|e| self.error(e.to_string()))
    }

    /// The column called `column` as class labels below `C`: whole numbers.
    pub fn labels<const C: usize>(&self, column: &str) -> Result<Labels<C>> {
        let index = self.indices([column])?[0];
        let mut classes = Vec::with_capacity(self.rows.len());
        for row in 0..self.rows.len() {
            let value = self.number(row, index)?;
            if value.fract() != 0.0 || value < 0.0 || value >= C as f64 {
                return Err(self.error(format!(
                    "line {}, column `{column}`: {value} is not a class in 0..{C}",
                    row + 2
                )));
            }
            classes.push(value as u32);
        }
        Labels::new(classes).map_err(|e| self.error(e.to_string()))
    }

    fn indices<C: AsRef<str>>(&self, columns: impl IntoIterator<Item = C>) -> Result<Vec<usize>> {
        column_indices(self.headers.iter().map(String::as_str), columns)
            .map_err(|reason| self.error(reason))
    }

    /// The number at `row` (0 for the first below the header) and `column`.
    fn number(&self, row: usize, column: usize) -> Result<f64> {
        let text = self.rows[row].get(column).map_or("", String::as_str);
        parse_number(text).map_err(|reason| {
            self.error(format!(
                "line {}, column `{}`: {reason}",
                row + 2,
                self.headers[column]
            ))
        })
    }

    fn error(&self, reason: String) -> Error {
        Error::Format {
            path: self.path.clone(),
            reason,
        }
    }
}
