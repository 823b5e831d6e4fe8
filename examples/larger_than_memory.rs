//! Trains on a `.npy` file larger than the memory it uses: the file stays on disk and each
//! shuffled batch reads just its samples (`densely::numpy::NpyFile`).
//!
//! ```sh
//! cargo run --release --example larger_than_memory            # a 2 GiB file, 1 epoch
//! cargo run --release --example larger_than_memory -- 0.5 2   # 0.5 GiB, 2 epochs
//! ```
//!
//! The file is Fashion-MNIST's 60,000 training images repeated (each copy with its pixels
//! shifted by one, so no two copies are equal) as `float32` values in `[0, 1]`, shape
//! `(n, 28, 28)`, written once into `$DENSELY_SCRATCH` (default: the system's temporary
//! folder) and kept for the next run. The book's MLP trains on it with shuffling and validates
//! on the 10,000 test images; the peak memory (VmHWM) and the resident memory at each epoch's
//! end are printed beside the file's size.

use std::env;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use densely::callbacks::Callback;
use densely::datasets::{fashion_mnist, ImageSet};
use densely::numpy::NpyFile;
use densely::prelude::*;

/// The book's models, as the tests and benches declare them.
#[path = "../tests/common/book.rs"]
#[allow(dead_code)]
mod book;

use book::FashionMlp;
use npyz::WriterBuilder;

const USAGE: &str = "usage: larger_than_memory [GIB] [EPOCHS]   (default 2 GiB, 1 epoch)";

/// A line of memory figures at each epoch's end.
struct MemoryLog;

impl Callback<FashionMlp> for MemoryLog {
    fn on_epoch_end(
        &mut self,
        _: &mut FashionMlp,
        epoch: usize,
        logs: &Logs,
    ) -> densely::Result<()> {
        println!(
            "  epoch {}: loss {:.4}, val_accuracy {:.4}, resident {:.1} MiB, peak {:.1} MiB",
            epoch + 1,
            logs.get("loss").unwrap_or(f64::NAN),
            logs.get("val_accuracy").unwrap_or(f64::NAN),
            memory("VmRSS:").unwrap_or(f64::NAN),
            memory("VmHWM:").unwrap_or(f64::NAN),
        );
        Ok(())
    }
}

/// A line of `/proc/self/status` in MiB.
fn memory(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Writes `samples` images cycling through `images` as float32 values in `[0, 1]`.
fn write_file(path: &PathBuf, images: &ImageSet, samples: usize) -> std::io::Result<()> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut writer = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[samples as u64, 28, 28])
        .writer(file)
        .begin_nd()?;
    for sample in 0..samples {
        let copy = sample / images.len();
        let image = images.image(sample % images.len());
        for (i, _) in image.iter().enumerate() {
            let pixel = image[(i + copy) % image.len()];
            writer.push(&(f32::from(pixel) / 255.0))?;
        }
    }
    writer.finish()
}

fn run(gib: f64, epochs: usize) -> densely::Result<()> {
    let ((x_train, y_train), (x_test, y_test)) = fashion_mnist::load_data()?;
    let sample_bytes = 28 * 28 * 4;
    let samples = ((gib * f64::from(1u32 << 30)) / f64::from(sample_bytes)) as usize;
    let folder = env::var_os("DENSELY_SCRATCH")
        .map(PathBuf::from)
        .unwrap_or_else(env::temp_dir);
    let path = folder.join(format!("densely-fashion-{samples}.npy"));
    if !path.exists() {
        let writing = Instant::now();
        let partial = path.with_extension("npy.partial");
        write_file(&partial, &x_train, samples).map_err(|e| densely::Error::Io {
            path: partial.display().to_string(),
            source: e,
        })?;
        std::fs::rename(&partial, &path).map_err(|e| densely::Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        println!(
            "wrote {} in {:.1} s",
            path.display(),
            writing.elapsed().as_secs_f64()
        );
    }
    let labels = Labels::<10>::new(
        (0..samples)
            .map(|s| y_train.as_slice()[s % y_train.len()])
            .collect(),
    )?;
    drop((x_train, y_train));
    let x = NpyFile::<Shape2<28, 28>>::open(&path)?;
    let file_mib = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    println!(
        "training on {} ({:.0} MiB, {} samples), {} epoch(s), batch 32, shuffled; resident before: {:.1} MiB",
        path.display(),
        file_mib,
        samples,
        epochs,
        memory("VmRSS:").unwrap_or(f64::NAN)
    );
    let test = x_test.scaled_view();
    let mut model = FashionMlp::new();
    model.compile(Sgd::default(), [Metric::Accuracy]);
    let started = Instant::now();
    model.fit(
        &x,
        &labels,
        FitOptions::default()
            .epochs(epochs)
            .validation_data(&test, &y_test)
            .verbose(0)
            .callback(MemoryLog),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "trained in {seconds:.1} s ({:.0} samples/s); file {file_mib:.0} MiB, peak memory {:.1} MiB",
        (samples * epochs) as f64 / seconds,
        memory("VmHWM:").unwrap_or(f64::NAN)
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let number = |i: usize, default: f64| -> Result<f64, String> {
        args.get(i).map_or(Ok(default), |a| {
            a.parse::<f64>()
                .ok()
                .filter(|v| *v > 0.0 && v.is_finite())
                .ok_or(format!("not a positive number: {a}\n{USAGE}"))
        })
    };
    let parsed = (|| {
        if args.len() > 2 {
            return Err(format!(
                "too many arguments: {}\n{USAGE}",
                args[2..].join(" ")
            ));
        }
        let epochs = number(1, 1.0)?;
        if epochs.fract() != 0.0 {
            return Err(format!("epochs must be whole: {epochs}\n{USAGE}"));
        }
        Ok((number(0, 2.0)?, epochs as usize))
    })();
    let (gib, epochs) = match parsed {
        Ok(values) => values,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(gib, epochs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
