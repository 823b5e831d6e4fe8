//! Trains the book's Fashion-MNIST MLP and times it, optionally side by side with Keras.
//!
//! ```sh
//! cargo run --release --example benchmark            # densely alone, 3 epochs
//! cargo run --release --example benchmark -- 5       # 5 epochs
//! cargo run --release --example benchmark -- 3 --keras
//! ```
//!
//! The model and data are those of `tools/keras_mlp.py`: 784-300-100-10 (relu, relu,
//! softmax), SGD 0.01, batch 32, trained on the last 55,000 training images and validated on the
//! first 5,000, pixels scaled by 1/255. The images stay bytes in memory and are scaled batch by
//! batch (`ImageSet::scaled_view`); `--floats` holds them as scaled `f32` values instead, for
//! the memory that costs. It first measures the rate densely's product kernel reaches on this
//! machine (a 1024^3 product), then trains the model declared with `model!` and built at run
//! time. Per epoch it prints the seconds (training and validation, as Keras's epoch time
//! includes both), samples per second, GFLOP/s (zeros skipped count as done) and
//! val_accuracy; then
//! the predict time of the 10,000 test images (batch 1000, as the Keras script), the test
//! accuracy and the peak memory (VmHWM).
//!
//! `--keras` (or `--compare`) then runs the Keras script with the same epochs and batch size
//! and prints both side by side with the ratio densely/Keras. The script is
//! `tools/keras_mlp.py` relative to the workspace root unless `--keras-script PATH` or
//! `$KERAS_MLP_SCRIPT` says otherwise; it runs with `$KERAS_PYTHON`, else
//! `~/keras-env/bin/python`, else `python3`. Without Keras, densely's figures are still printed.

use std::env;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use densely::datasets::fashion_mnist;
use densely::inputs::Input;
use densely::network::{InputsOf, TargetsOf};
use densely::prelude::*;
use densely::DynamicModel;

/// The book's models, as the tests and benches declare them.
#[path = "../tests/common/book.rs"]
#[allow(dead_code)]
mod book;

use book::FashionMlp;

/// The validation, training and test images as the model reads them.
type Images<'a> = (
    Input<'a, Shape2<28, 28>>,
    Input<'a, Shape2<28, 28>>,
    Input<'a, Shape2<28, 28>>,
);

/// What one run (densely's or Keras's) measured.
#[derive(Debug, Default)]
struct Figures {
    /// Seconds of each epoch, training and validation.
    epochs: Vec<f64>,
    val_accuracy: Vec<f64>,
    predict_seconds: Option<f64>,
    test_accuracy: Option<f64>,
    /// Peak resident memory in MiB.
    peak_mib: Option<f64>,
    version: String,
}

impl Figures {
    /// The mean epoch time after the first (which includes warm-up), or the first if alone.
    fn steady_epoch(&self) -> Option<f64> {
        match self.epochs.len() {
            0 => None,
            1 => Some(self.epochs[0]),
            n => Some(self.epochs[1..].iter().sum::<f64>() / (n - 1) as f64),
        }
    }
}

struct Args {
    epochs: usize,
    batch_size: usize,
    keras: bool,
    script: Option<PathBuf>,
    floats: bool,
}

const USAGE: &str = "usage: benchmark [EPOCHS] [--batch-size N] [--floats] \
                     [--keras | --compare] [--keras-script PATH]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        epochs: 3,
        batch_size: 32,
        keras: false,
        script: env::var_os("KERAS_MLP_SCRIPT").map(PathBuf::from),
        floats: false,
    };
    let mut it = env::args().skip(1);
    let mut positional = 0;
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--keras" | "--compare" => args.keras = true,
            "--floats" => args.floats = true,
            "--keras-script" => {
                let path = it.next().ok_or("--keras-script needs a path")?;
                args.script = Some(PathBuf::from(path));
                args.keras = true;
            }
            "--batch-size" => {
                let value = it.next().ok_or("--batch-size needs a number")?;
                args.batch_size = value
                    .parse()
                    .map_err(|_| format!("bad batch size {value}"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            value if positional == 0 && value.parse::<usize>().is_ok() => {
                args.epochs = value.parse().unwrap();
                positional += 1;
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.epochs == 0 || args.batch_size == 0 {
        return Err("epochs and batch size must be at least 1".into());
    }
    Ok(args)
}

/// The multiply-adds of one sample through the MLP's three products, forward.
const FORWARD_MACS: usize = 784 * 300 + 300 * 100 + 100 * 10;
/// The floating-point operations of one training sample: the forward products, the kernel
/// gradients (as many), and the input gradients of the two upper layers (the first layer's
/// input needs none). Zeros skipped count as done.
const TRAIN_FLOP: usize = 2 * (2 * FORWARD_MACS + 300 * 100 + 100 * 10);
/// The validation samples of an epoch, forward only.
const VALIDATION_SAMPLES: usize = 5000;

/// The GFLOP/s densely's own kernel reaches here on a square product of 1024, the best of a
/// few runs: the machine's reachable rate, beside which the epochs' rates are read.
fn reachable_gflops() -> f64 {
    use densely::linalg::{gemm, Mat};
    const N: usize = 1024;
    let a: Vec<f32> = (0..N * N).map(|i| (i % 17) as f32 / 17.0 - 0.5).collect();
    let b: Vec<f32> = (0..N * N).map(|i| (i % 13) as f32 / 13.0 - 0.5).collect();
    let mut c = vec![0.0f32; N * N];
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let started = Instant::now();
        gemm(&mut c, Mat::new(&a, N, N), Mat::new(&b, N, N), 0.0);
        best = best.min(started.elapsed().as_secs_f64());
    }
    2.0 * (N * N * N) as f64 / best / 1e9
}

/// Times each epoch of `fit`, from `on_epoch_begin` to `on_epoch_end` (validation included).
struct EpochTimer {
    train_samples: usize,
    started: Option<Instant>,
    figures: Figures,
}

impl<N: Network> Callback<N> for EpochTimer {
    fn on_epoch_begin(&mut self, _: &mut N, _: usize, _: &Logs) -> densely::Result<()> {
        self.started = Some(Instant::now());
        Ok(())
    }

    fn on_epoch_end(&mut self, _: &mut N, epoch: usize, logs: &Logs) -> densely::Result<()> {
        let seconds = self
            .started
            .take()
            .map_or(0.0, |t| t.elapsed().as_secs_f64());
        let val_accuracy = logs.get("val_accuracy").unwrap_or(f64::NAN);
        let flop = (self.train_samples * TRAIN_FLOP + VALIDATION_SAMPLES * 2 * FORWARD_MACS) as f64;
        println!(
            "  epoch {:>2}: {seconds:6.3} s  {:>9.0} samples/s  {:5.1} GFLOP/s  loss {:.4}  \
             accuracy {:.4}  val_accuracy {val_accuracy:.4}",
            epoch + 1,
            self.train_samples as f64 / seconds,
            flop / seconds / 1e9,
            logs.get("loss").unwrap_or(f64::NAN),
            logs.get("accuracy").unwrap_or(f64::NAN),
        );
        self.figures.epochs.push(seconds);
        self.figures.val_accuracy.push(val_accuracy);
        Ok(())
    }
}

/// The peak resident memory of process `pid` ("self" for this one) in MiB, from VmHWM.
fn peak_mib(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Data as model `N` reads it.
struct Data<'a, N: Network> {
    train: (N::Inputs<'a>, N::Targets<'a>),
    valid: (N::Inputs<'a>, N::Targets<'a>),
    test: (N::Inputs<'a>, N::Targets<'a>),
}

impl<'a, N: Network> Data<'a, N> {
    fn new(images: [impl InputsOf<'a, N>; 3], labels: [impl TargetsOf<'a, N>; 3]) -> Self {
        let [train, valid, test] = images.map(InputsOf::into_inputs);
        let [y_train, y_valid, y_test] = labels.map(TargetsOf::into_targets);
        Data {
            train: (train, y_train),
            valid: (valid, y_valid),
            test: (test, y_test),
        }
    }
}

/// Trains `model` as the Keras script does, printing each epoch into `timer`; then evaluates
/// and times `predict` on the test images: the seconds and the test accuracy.
fn time_model<'a, N: Network>(
    model: &mut N,
    data: Data<'a, N>,
    timer: &'a mut EpochTimer,
    args: &Args,
) -> densely::Result<(f64, Option<f64>)> {
    model.compile(Sgd::default(), [Metric::Accuracy]);
    model.fit(
        data.train.0,
        data.train.1,
        FitOptions::default()
            .epochs(args.epochs)
            .batch_size(args.batch_size)
            .validation_data(data.valid.0, data.valid.1)
            .verbose(0)
            .callback(timer),
    )?;
    let (x_test, y_test) = data.test;
    let test_accuracy = model.evaluate(x_test, y_test)?.get("accuracy");
    let predicting = Instant::now();
    model.predict_batched(x_test, 1000)?;
    let predict_seconds = predicting.elapsed().as_secs_f64();
    println!("  predict 10,000 test images (batch 1000): {predict_seconds:.4} s");
    println!("  test accuracy {:.4}", test_accuracy.unwrap_or(f64::NAN));
    Ok((predict_seconds, test_accuracy))
}

impl EpochTimer {
    fn new(train_samples: usize) -> Self {
        EpochTimer {
            train_samples,
            started: None,
            figures: Figures::default(),
        }
    }
}

fn run_densely(args: &Args) -> densely::Result<Figures> {
    println!(
        "densely: Fashion-MNIST MLP 784-300-100-10, SGD 0.01, batch {}, {} epoch(s)",
        args.batch_size, args.epochs
    );
    let loading = Instant::now();
    let ((x_train_full, y_train_full), (x_test, y_test)) = fashion_mnist::load_data()?;
    let (x_valid, x_train) = x_train_full.split_at(5000);
    drop(x_train_full);
    let (y_valid, y_train) = y_train_full.split_at(5000);
    println!(
        "  data: {} training, {} validation, {} test images, loaded in {:.2} s, held as {}",
        x_train.len(),
        x_valid.len(),
        x_test.len(),
        loading.elapsed().as_secs_f64(),
        if args.floats {
            "scaled f32 values"
        } else {
            "bytes, scaled batch by batch"
        }
    );
    let train_samples = x_train.len();
    let (valid_view, train_view, test_view);
    let (valid_floats, train_floats, test_floats);
    let (x_valid, x_train, x_test): Images<'_> = if args.floats {
        (valid_floats, train_floats, test_floats) =
            (x_valid.scaled(), x_train.scaled(), x_test.scaled());
        drop((x_valid, x_train, x_test));
        (
            Input::new(&valid_floats),
            Input::new(&train_floats),
            Input::new(&test_floats),
        )
    } else {
        (valid_view, train_view, test_view) = (
            x_valid.scaled_view(),
            x_train.scaled_view(),
            x_test.scaled_view(),
        );
        (
            Input::new(&valid_view),
            Input::new(&train_view),
            Input::new(&test_view),
        )
    };
    let labels = [&y_train, &y_valid, &y_test];

    println!("declared with model! (FashionMlp):");
    let mut declared = FashionMlp::new();
    let mut timer = EpochTimer::new(train_samples);
    let data = Data::<FashionMlp>::new([x_train, x_valid, x_test], labels);
    let (predict_seconds, test_accuracy) = time_model(&mut declared, data, &mut timer, args)?;
    let mut figures = timer.figures;
    figures.predict_seconds = Some(predict_seconds);
    figures.test_accuracy = test_accuracy;

    println!("built at run time (Sequential, the same layers):");
    let mut built = book::built::fashion_mlp().build()?;
    let mut timer = EpochTimer::new(train_samples);
    let data = Data::<DynamicModel>::new([&x_train, &x_valid, &x_test], labels);
    time_model(&mut built, data, &mut timer, args)?;
    let runtime = timer.figures;
    if let (Some(typed), Some(runtime)) = (figures.steady_epoch(), runtime.steady_epoch()) {
        println!(
            "  steady-state epoch: declared {typed:.3} s, built at run time {runtime:.3} s, ratio {:.3}x",
            runtime / typed
        );
    }
    figures.peak_mib = peak_mib("self");
    figures.version = format!("densely {}", env!("CARGO_PKG_VERSION"));
    match figures.peak_mib {
        Some(mib) => println!("  peak memory (VmHWM) {mib:.1} MiB"),
        None => println!("  peak memory: /proc/self/status unavailable"),
    }
    Ok(figures)
}

/// The python to run Keras with: `$KERAS_PYTHON`, `~/keras-env/bin/python`, else `python3`.
fn keras_python() -> PathBuf {
    if let Some(python) = env::var_os("KERAS_PYTHON") {
        return PathBuf::from(python);
    }
    if let Some(home) = env::var_os("HOME") {
        let venv = Path::new(&home).join("keras-env/bin/python");
        if venv.exists() {
            return venv;
        }
    }
    PathBuf::from("python3")
}

fn keras_script(args: &Args) -> PathBuf {
    args.script
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/keras_mlp.py"))
}

/// Runs the Keras script and reads its JSON lines; its peak memory comes from `/usr/bin/time -v`
/// when present, else from polling its VmHWM while it runs.
fn run_keras(args: &Args) -> Result<Figures, String> {
    let script = keras_script(args);
    if !script.exists() {
        return Err(format!(
            "the Keras script {} does not exist (set KERAS_MLP_SCRIPT or --keras-script)",
            script.display()
        ));
    }
    let python = keras_python();
    let probe = Command::new(&python)
        .args(["-c", "import tensorflow, keras"])
        .env("TF_CPP_MIN_LOG_LEVEL", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match probe {
        Ok(status) if status.success() => {}
        Ok(_) => {
            return Err(format!(
                "{} cannot import tensorflow and keras (install tensorflow-cpu==2.21.0, or set \
                 KERAS_PYTHON to a python that has them)",
                python.display()
            ))
        }
        Err(err) => return Err(format!("cannot run {}: {err}", python.display())),
    }
    println!(
        "\nKeras: {} {} {} {}",
        python.display(),
        script.display(),
        args.epochs,
        args.batch_size
    );
    let time = Path::new("/usr/bin/time");
    let use_time = time.exists()
        && Command::new(time)
            .args(["-v", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let mut command = if use_time {
        let mut command = Command::new(time);
        command.arg("-v").arg(&python);
        command
    } else {
        Command::new(&python)
    };
    command
        .arg(&script)
        .arg(args.epochs.to_string())
        .arg(args.batch_size.to_string())
        .env("TF_CPP_MIN_LOG_LEVEL", "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start Keras: {e}"))?;

    // Drain stderr on a thread (TensorFlow may write a lot there), keep it for /usr/bin/time.
    let mut stderr = child.stderr.take().expect("piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // Without /usr/bin/time, poll the python's VmHWM (monotonic) while it runs.
    let pid = child.id().to_string();
    let polled = std::sync::Arc::new(std::sync::Mutex::new(None::<f64>));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = (!use_time).then(|| {
        let (polled, done) = (polled.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(mib) = peak_mib(&pid) {
                    *polled.lock().unwrap() = Some(mib);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    });

    let mut figures = Figures::default();
    let stdout = BufReader::new(child.stdout.take().expect("piped"));
    for line in stdout.lines() {
        let line = line.map_err(|e| e.to_string())?;
        if !line.starts_with('{') {
            continue;
        }
        if line.contains("\"summary\"") {
            figures.predict_seconds = json_number(&line, "predict_10k_seconds");
            figures.test_accuracy = json_number(&line, "test_accuracy");
            figures.version = format!(
                "TensorFlow {} / Keras {}",
                json_string(&line, "tf").unwrap_or("?"),
                json_string(&line, "keras").unwrap_or("?")
            );
            println!(
                "  predict 10000 test images (batch 1000): {:.4} s",
                figures.predict_seconds.unwrap_or(f64::NAN)
            );
            println!(
                "  test accuracy {:.4}",
                figures.test_accuracy.unwrap_or(f64::NAN)
            );
        } else if let Some(seconds) = json_number(&line, "seconds") {
            let val_accuracy = json_number(&line, "val_accuracy").unwrap_or(f64::NAN);
            println!(
                "  epoch {:>2}: {seconds:6.3} s  {:>9.0} samples/s  loss {:.4}  accuracy {:.4}  \
                 val_accuracy {val_accuracy:.4}",
                figures.epochs.len() + 1,
                55_000.0 / seconds,
                json_number(&line, "loss").unwrap_or(f64::NAN),
                json_number(&line, "accuracy").unwrap_or(f64::NAN),
            );
            figures.epochs.push(seconds);
            figures.val_accuracy.push(val_accuracy);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(poller) = poller {
        let _ = poller.join();
    }
    let stderr = stderr_reader.join().unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("Keras failed ({status}):\n{}", tail.join("\n")));
    }
    figures.peak_mib = if use_time {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
    } else {
        *polled.lock().unwrap()
    };
    if let Some(mib) = figures.peak_mib {
        let how = if use_time {
            "/usr/bin/time -v"
        } else {
            "VmHWM, polled"
        };
        println!("  peak memory ({how}) {mib:.1} MiB");
    }
    if figures.epochs.is_empty() {
        return Err("the Keras script printed no epoch lines".into());
    }
    Ok(figures)
}

/// The number after `"key":` in a flat JSON line.
fn json_number(line: &str, key: &str) -> Option<f64> {
    let start = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = line[start..].trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// The string after `"key":` in a flat JSON line.
fn json_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = line[start..].trim_start().strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

fn print_comparison(ours: &Figures, keras: &Figures) {
    let row = |name: &str, unit: &str, a: Option<f64>, b: Option<f64>, digits: usize| {
        let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.digits$} {unit}"));
        let ratio = match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.3}x", a / b),
            _ => "-".into(),
        };
        println!(
            "| {name:<28} | {:>14} | {:>14} | {ratio:>14} |",
            cell(a),
            cell(b)
        );
    };
    println!(
        "\n| {:<28} | {:>14} | {:>14} | {:>14} |",
        "", "densely", "Keras", "densely/Keras"
    );
    println!("|{:-<30}|{:->16}|{:->16}|{:->16}|", "", "", "", "");
    row(
        "first epoch",
        "s",
        ours.epochs.first().copied(),
        keras.epochs.first().copied(),
        3,
    );
    row(
        "steady-state epoch",
        "s",
        ours.steady_epoch(),
        keras.steady_epoch(),
        3,
    );
    row(
        "predict 10,000 (batch 1000)",
        "s",
        ours.predict_seconds,
        keras.predict_seconds,
        4,
    );
    row("peak memory", "MiB", ours.peak_mib, keras.peak_mib, 0);
    let accuracy = |f: &Figures| f.val_accuracy.last().copied();
    let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    println!(
        "| {:<28} | {:>14} | {:>14} | {:>14} |",
        "final val_accuracy",
        cell(accuracy(ours)),
        cell(accuracy(keras)),
        ""
    );
    println!(
        "| {:<28} | {:>14} | {:>14} | {:>14} |",
        "test accuracy",
        cell(ours.test_accuracy),
        cell(keras.test_accuracy),
        ""
    );
    println!("\n{} vs {}", ours.version, keras.version);
}

/// The number of cores and the load average, which the figures depend on.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .map_or(String::new(), |l| {
            format!(", load average {l} before the run")
        });
    format!(
        "{cores} cores{load}; densely uses {} thread(s) (DENSELY_NUM_THREADS); its kernel \
         reaches {:.0} GFLOP/s on a 1024^3 product here",
        densely::linalg::threads(),
        reachable_gflops()
    )
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    println!("machine: {}", machine());
    let ours = match run_densely(&args) {
        Ok(figures) => figures,
        Err(err) => {
            eprintln!("densely failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(steady) = ours.steady_epoch() {
        println!(
            "  steady-state epoch {steady:.3} s ({:.0} samples/s)",
            55_000.0 / steady
        );
    }
    if !args.keras {
        println!("\n(run with --keras to compare with Keras side by side)");
        return ExitCode::SUCCESS;
    }
    match run_keras(&args) {
        Ok(keras) => print_comparison(&ours, &keras),
        Err(message) => {
            println!("\nKeras comparison skipped: {message}");
            println!("densely's figures above stand alone.");
        }
    }
    ExitCode::SUCCESS
}
