//! Keras's progress bar: `1719/1719 [==============================] - 2s 1ms/step - loss: ...`,
//! or `     12/Unknown 1s 5ms/step - loss: ...` while the batches of an epoch are not known.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::logs::Logs;

/// How much `fit` prints, as Keras's `verbose`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// Nothing.
    Silent,
    /// A progress bar per epoch (Keras's `verbose=1`, the default).
    #[default]
    ProgressBar,
    /// One line per epoch (Keras's `verbose=2`).
    OneLinePerEpoch,
}

impl Verbosity {
    /// Keras's number for it.
    pub fn level(self) -> u8 {
        match self {
            Verbosity::Silent => 0,
            Verbosity::ProgressBar => 1,
            Verbosity::OneLinePerEpoch => 2,
        }
    }

    /// The verbosity of Keras's number (anything above 2 prints one line per epoch).
    pub fn from_level(level: u8) -> Self {
        match level {
            0 => Verbosity::Silent,
            1 => Verbosity::ProgressBar,
            _ => Verbosity::OneLinePerEpoch,
        }
    }
}

const BAR_WIDTH: usize = 30;

/// Prints one epoch's progress to standard output.
///
/// On a terminal the bar is redrawn in place (at most every 50 ms); elsewhere (a file, a pipe,
/// CI) only the final line is written, without control characters.
#[derive(Debug)]
pub struct ProgressBar {
    verbosity: Verbosity,
    steps: Option<usize>,
    interactive: bool,
    started: Instant,
    last_drawn: Option<Instant>,
}

impl ProgressBar {
    /// A bar for an epoch of `steps` batches (`None`: not known until it ends); prints
    /// `Epoch N/M` first, as Keras does.
    pub fn start_epoch(
        verbosity: Verbosity,
        epoch: usize,
        epochs: usize,
        steps: Option<usize>,
    ) -> Self {
        let interactive = std::io::stdout().is_terminal();
        if verbosity != Verbosity::Silent {
            println!("Epoch {}/{epochs}", epoch + 1);
        }
        ProgressBar {
            verbosity,
            steps,
            interactive,
            started: Instant::now(),
            last_drawn: None,
        }
    }

    /// After batch `step` (counting from 0) with the running logs.
    pub fn update(&mut self, step: usize, logs: &Logs) {
        if self.verbosity != Verbosity::ProgressBar || !self.interactive {
            return;
        }
        let now = Instant::now();
        let due = self
            .last_drawn
            .is_none_or(|last| now.duration_since(last) >= Duration::from_millis(50));
        if due || Some(step + 1) == self.steps {
            self.last_drawn = Some(now);
            let line = self.line(step + 1, logs, false);
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "\r{line}\x1b[K");
            let _ = out.flush();
        }
    }

    /// Ends a live bar whose epoch stopped with an error, so what follows starts on its own
    /// line.
    pub fn abandon(&mut self) {
        if self.verbosity == Verbosity::ProgressBar && self.interactive && self.last_drawn.is_some()
        {
            println!();
        }
    }

    /// The epoch's final line after `done` batches, with the validation values included in
    /// `logs`; an epoch of unknown length is then known to have had `done`.
    pub fn finish_after(&mut self, done: usize, logs: &Logs) {
        let steps = *self.steps.get_or_insert(done);
        let line = match self.verbosity {
            Verbosity::Silent => return,
            Verbosity::ProgressBar => self.line(done, logs, true),
            Verbosity::OneLinePerEpoch => format!(
                "{done}/{steps} - {} - {logs}",
                format_seconds(self.started.elapsed())
            ),
        };
        if self.interactive && self.verbosity == Verbosity::ProgressBar {
            println!("\r{line}\x1b[K");
        } else {
            println!("{line}");
        }
    }

    /// `done/steps [====>.....] - ETA: 3s - loss: ...`, or with the elapsed and per-step
    /// times once the epoch is over; `   done/Unknown 3s 5ms/step - loss: ...` while the
    /// epoch's length is unknown, as Keras prints it.
    fn line(&self, done: usize, logs: &Logs, finished: bool) -> String {
        let elapsed = self.started.elapsed();
        let per_step = format_step(elapsed / done.max(1) as u32);
        let logs = if logs.is_empty() {
            String::new()
        } else {
            format!(" - {logs}")
        };
        let Some(steps) = self.steps else {
            return format!(
                "{done:>7}/Unknown {} {per_step}/step{logs}",
                format_seconds(elapsed)
            );
        };
        let timing = if finished {
            format!("{} {per_step}/step", format_seconds(elapsed))
        } else {
            let remaining =
                elapsed.as_secs_f64() / done.max(1) as f64 * steps.saturating_sub(done) as f64;
            format!("ETA: {remaining:.0}s")
        };
        format!(
            "{done:>width$}/{steps} {} - {timing}{logs}",
            bar(done, steps),
            width = steps.to_string().len()
        )
    }
}

/// `[=====>........]`, 30 characters wide, or all `=` when done.
pub fn bar(done: usize, steps: usize) -> String {
    let filled = (BAR_WIDTH * done) / steps.max(1);
    let mut bar = String::with_capacity(BAR_WIDTH + 2);
    bar.push('[');
    if done >= steps {
        bar.push_str(&"=".repeat(BAR_WIDTH));
    } else {
        bar.push_str(&"=".repeat(filled.saturating_sub(1)));
        bar.push('>');
        bar.push_str(&".".repeat(BAR_WIDTH - filled.max(1)));
    }
    bar.push(']');
    bar
}

/// Whole seconds, as Keras prints an epoch's time: `2s`.
pub fn format_seconds(elapsed: Duration) -> String {
    format!("{}s", elapsed.as_secs_f64().round() as u64)
}

/// Keras's time per step: `1s`, `12ms` or `850us`.
pub fn format_step(per_step: Duration) -> String {
    let seconds = per_step.as_secs_f64();
    if seconds >= 1.0 {
        format!("{}s", seconds.round() as u64)
    } else if seconds >= 1e-3 {
        format!("{}ms", (seconds * 1e3).round() as u64)
    } else {
        format!("{}us", (seconds * 1e6).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_like_keras() {
        assert_eq!(bar(1719, 1719), format!("[{}]", "=".repeat(30)));
        assert_eq!(bar(0, 10), format!("[>{}]", ".".repeat(29)));
        assert_eq!(
            bar(5, 10),
            format!("[{}>{}]", "=".repeat(14), ".".repeat(15))
        );
    }

    #[test]
    fn times_are_formatted_like_keras() {
        assert_eq!(format_seconds(Duration::from_millis(2400)), "2s");
        assert_eq!(format_step(Duration::from_micros(1200)), "1ms");
        assert_eq!(format_step(Duration::from_micros(640)), "640us");
        assert_eq!(format_step(Duration::from_millis(1500)), "2s");
    }

    #[test]
    fn the_final_line_is_the_keras_line() {
        let bar = ProgressBar {
            verbosity: Verbosity::ProgressBar,
            steps: Some(1719),
            interactive: false,
            started: Instant::now(),
            last_drawn: None,
        };
        let logs = Logs::from_pairs([("loss", 0.72371), ("accuracy", 0.76444), ("val_loss", 0.52)]);
        let line = bar.line(1719, &logs, true);
        assert!(
            line.starts_with(&format!("1719/1719 [{}] - 0s ", "=".repeat(30))),
            "{line}"
        );
        assert!(
            line.ends_with("/step - loss: 0.7237 - accuracy: 0.7644 - val_loss: 0.5200"),
            "{line}"
        );
        assert!(!line.contains('\r') && !line.contains('\x1b'));
    }

    #[test]
    fn an_epoch_of_unknown_length_counts_up_then_ends_as_a_known_one() {
        let mut bar = ProgressBar {
            verbosity: Verbosity::ProgressBar,
            steps: None,
            interactive: false,
            started: Instant::now(),
            last_drawn: None,
        };
        let logs = Logs::from_pairs([("loss", 0.5)]);
        let line = bar.line(12, &logs, false);
        assert!(line.starts_with("     12/Unknown 0s "), "{line}");
        assert!(line.ends_with("/step - loss: 0.5000"), "{line}");
        bar.finish_after(40, &logs);
        assert_eq!(bar.steps, Some(40));
        let line = bar.line(40, &logs, true);
        assert!(
            line.starts_with(&format!("40/40 [{}] - 0s ", "=".repeat(30))),
            "{line}"
        );
    }
}
