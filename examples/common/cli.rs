//! The command line around every example: `--help`, its optional number of epochs, the folder
//! it writes to, the book's Python line before the Rust that does it, and an exit code on error.

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs `example`, after answering `-h`/`--help` with `usage`; on an error, prints it and exits
/// with failure.
///
/// `usage` is the example's command line, then a blank line and what it does.
pub fn run(usage: &str, example: impl FnOnce() -> Result<(), Box<dyn Error>>) -> ExitCode {
    if help_requested(std::env::args().skip(1)) {
        println!("usage: {usage}");
        return ExitCode::SUCCESS;
    }
    match example() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Whether the arguments ask for the usage (`-h` or `--help`, anywhere).
pub fn help_requested(mut args: impl Iterator<Item = String>) -> bool {
    args.any(|arg| arg == "-h" || arg == "--help")
}

/// The number of epochs the first argument gives, or `default` without one.
pub fn epochs(default: usize) -> Result<usize, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    parse_epochs(&args, default)
}

/// The number of epochs in `args` (the arguments after the program's name): none gives
/// `default`; one must be a whole number of at least 1; more is an error.
pub fn parse_epochs(args: &[String], default: usize) -> Result<usize, String> {
    match args {
        [] => Ok(default),
        [arg] => match arg.parse::<usize>() {
            Ok(0) => Err("the number of epochs must be at least 1, not `0`".into()),
            Ok(epochs) => Ok(epochs),
            Err(_) => Err(format!(
                "the argument is the number of epochs (a whole number), not `{arg}`; \
                 `--help` prints the usage"
            )),
        },
        [_, extra, ..] => Err(format!(
            "one argument is expected, the number of epochs; `{extra}` is one too many"
        )),
    }
}

/// The folder the example writes to, created: `$DENSELY_OUT`, by default `target/book`.
pub fn output_folder() -> std::io::Result<PathBuf> {
    let out = PathBuf::from(std::env::var("DENSELY_OUT").unwrap_or_else(|_| "target/book".into()));
    std::fs::create_dir_all(&out)?;
    Ok(out)
}

/// Prints the Python line of the book that the next lines do.
pub fn step(python: &str) {
    println!("\n>>> {python}");
}
