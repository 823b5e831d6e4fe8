//! `CsvLogger`: writes every epoch's logs to a CSV file, as Keras's `CSVLogger`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::format::python_float;
use super::Callback;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::training::Logs;

/// Writes one CSV row per epoch, as Keras's `CSVLogger` writes it, byte for byte: a header
/// `epoch` then the logged names sorted (with a `val_` twin for each when the logs hold no
/// validation value, filled with `NA`), the epoch counting from 0, values as Python prints
/// them, `\r\n` line ends. Each row is flushed as soon as it is written.
///
/// With `append(true)` a new `fit` adds rows to an existing file, writing the header only if
/// the file is missing or empty (resuming a training); otherwise the file starts over.
///
/// ```
/// use densely::callbacks::CsvLogger;
/// use densely::prelude::*;
///
/// model! { struct Net { input x: [2]; output y = Dense(1), loss = mse; } }
///
/// let path = std::env::temp_dir().join(format!("densely-doc-csv-{}.csv", std::process::id()));
/// let (x, y) = (Batch::<Shape1<2>>::zeros(8), Batch::<Shape1<1>>::zeros(8));
/// let mut model = Net::new();
/// model.compile(Sgd::default(), []);
/// let options = FitOptions::default().epochs(2).verbose(0).validation_split(0.25);
/// model.fit(&x, &y, options.callback(CsvLogger::new(&path)))?;
/// let csv = std::fs::read_to_string(&path).unwrap();
/// assert_eq!(csv.lines().next(), Some("epoch,loss,val_loss"));
/// assert_eq!(csv.lines().count(), 3);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Debug)]
pub struct CsvLogger {
    filename: PathBuf,
    separator: char,
    append: bool,
    append_header: bool,
    keys: Option<Vec<String>>,
    file: Option<BufWriter<File>>,
    header_written: bool,
}

impl CsvLogger {
    /// Logs to `filename`, comma separated, starting the file over at each `fit`.
    pub fn new(filename: impl AsRef<Path>) -> Self {
        CsvLogger {
            filename: filename.as_ref().to_path_buf(),
            separator: ',',
            append: false,
            append_header: true,
            keys: None,
            file: None,
            header_written: false,
        }
    }

    /// The column separator (default `,`).
    pub fn separator(mut self, separator: char) -> Self {
        self.separator = separator;
        self
    }

    /// Whether to add to an existing file instead of starting it over (default false).
    pub fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }

    fn io_error(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.filename.display().to_string(),
            source,
        }
    }

    /// One field, quoted as Python's `csv` module quotes (only when it must).
    fn field(&self, text: &str) -> String {
        if text.contains([self.separator, '"', '\r', '\n']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    }

    fn row(&self, fields: impl IntoIterator<Item = String>) -> String {
        let mut line = fields
            .into_iter()
            .map(|f| self.field(&f))
            .collect::<Vec<_>>()
            .join(&self.separator.to_string());
        line.push_str("\r\n");
        line
    }
}

impl<N: Network> Callback<N> for CsvLogger {
    fn on_train_begin(&mut self, _model: &mut N, _logs: &Logs) -> Result<()> {
        self.file = None;
        self.append_header = true;
        let file = if self.append {
            if self.filename.exists() {
                let mut first = String::new();
                BufReader::new(File::open(&self.filename).map_err(|e| self.io_error(e))?)
                    .read_line(&mut first)
                    .map_err(|e| self.io_error(e))?;
                self.append_header = first.is_empty();
            }
            OpenOptions::new()
                .append(true)
                .create(true)
                .open(&self.filename)
        } else {
            File::create(&self.filename)
        };
        self.file = Some(BufWriter::new(file.map_err(|e| self.io_error(e))?));
        self.keys = None;
        self.header_written = false;
        Ok(())
    }

    fn on_epoch_end(&mut self, _model: &mut N, epoch: usize, logs: &Logs) -> Result<()> {
        if self.keys.is_none() {
            let mut keys: Vec<String> = logs.names().to_vec();
            keys.sort();
            if !keys.is_empty() && !keys.iter().any(|k| k.starts_with("val_")) {
                let twins: Vec<String> = keys.iter().map(|k| format!("val_{k}")).collect();
                keys.extend(twins);
            }
            self.keys = Some(keys);
        }
        let keys = self.keys.as_deref().unwrap_or_default();
        let mut text = String::new();
        if !self.header_written && self.append_header {
            let header = std::iter::once("epoch".to_string()).chain(keys.iter().cloned());
            text.push_str(&self.row(header));
        }
        self.header_written = true;
        let values = keys.iter().map(|key| match logs.get(key) {
            Some(value) => python_float(value),
            None => "NA".to_string(),
        });
        text.push_str(&self.row(std::iter::once(epoch.to_string()).chain(values)));
        let Some(file) = self.file.as_mut() else {
            return Err(self.io_error(std::io::Error::other(
                "the CSV file is not open: on_train_begin was not called",
            )));
        };
        let written = file.write_all(text.as_bytes()).and_then(|()| file.flush());
        written.map_err(|e| self.io_error(e))
    }

    fn on_train_end(&mut self, _model: &mut N, _logs: &Logs) -> Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush().map_err(|e| self.io_error(e))?;
        }
        Ok(())
    }
}
