//! The command line around every example: its optional number of epochs, the folder it writes
//! to, the book's Python line before the Rust that does it, and an exit code on error.

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs `example`; on an error, prints it and exits with failure.
pub fn run(example: impl FnOnce() -> Result<(), Box<dyn Error>>) -> ExitCode {
    match example() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The number of epochs the first argument gives, or `default` without one.
pub fn epochs(default: usize) -> Result<usize, String> {
    match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("the argument is the number of epochs, not `{arg}`")),
        None => Ok(default),
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
