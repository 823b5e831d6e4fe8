//! What a search found: every trial, the best one and its model, as a table and as CSV.

use std::fmt::Write as _;
use std::path::Path;

use super::space::Params;
use crate::error::{Error, Result};

/// One trial of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Its number, from 0.
    pub index: usize,
    /// Its hyperparameters.
    pub params: Params,
    /// The best value of the monitored quantity (`val_loss` by default); `None` if training
    /// diverged or the value was never logged.
    pub score: Option<f64>,
    /// The epochs it trained.
    pub epochs: usize,
    /// The seconds it took, building and training.
    pub seconds: f64,
    /// Why it has no score, when training diverged.
    pub failure: Option<String>,
}

/// The trials of a search, the best one and its model (trained, at its best epoch when the
/// early stopping restores the best weights).
#[derive(Debug)]
pub struct SearchResult<N> {
    monitored: String,
    trials: Vec<Trial>,
    best: Option<(usize, N)>,
    maximize: bool,
}

impl<N> SearchResult<N> {
    pub(crate) fn new(monitored: &str) -> Self {
        SearchResult {
            monitored: monitored.into(),
            trials: Vec::new(),
            best: None,
            maximize: false,
        }
    }

    /// Whether score `a` beats score `b`.
    fn beats(&self, a: f64, b: f64) -> bool {
        if self.maximize {
            a > b
        } else {
            a < b
        }
    }

    /// Adds a trial and its model, kept if it is the best so far; returns whether it is.
    pub(crate) fn record(&mut self, trial: Trial, model: N, maximize: bool) -> bool {
        self.maximize = maximize;
        let better = match (trial.score, &self.best) {
            (Some(score), Some((best, _))) => {
                let best = self.trials[*best]
                    .score
                    .expect("the best trial has a score");
                score.is_finite() && self.beats(score, best)
            }
            (Some(score), None) => score.is_finite(),
            (None, _) => false,
        };
        if better {
            self.best = Some((self.trials.len(), model));
        }
        self.trials.push(trial);
        better
    }

    /// The result, or an error when no trial scored.
    pub(crate) fn finish(self) -> Result<Self> {
        if self.best.is_some() {
            return Ok(self);
        }
        let why = self
            .trials
            .iter()
            .find_map(|t| t.failure.clone())
            .unwrap_or_else(|| format!("`{}` was never logged", self.monitored));
        Err(Error::Argument {
            argument: "search",
            reason: format!("no trial of {} scored: {why}", self.trials.len()),
        })
    }

    /// `[trial 3/10] n_hidden=2 n_neurons=57 learning_rate=0.001234: val_loss 0.4321 in 23
    /// epochs, 1.2 s (best so far)`.
    pub(crate) fn progress_line(&self, index: usize, trials: usize, best: bool) -> String {
        let trial = &self.trials[index];
        let score = match (trial.score, &trial.failure) {
            (Some(score), _) => format!("{} {score:.4}", self.monitored),
            (None, Some(_)) => "diverged".into(),
            (None, None) => format!("no {}", self.monitored),
        };
        format!(
            "[trial {}/{trials}] {}: {score} in {} epochs, {:.2} s{}",
            index + 1,
            trial.params,
            trial.epochs,
            trial.seconds,
            if best { " (best so far)" } else { "" }
        )
    }

    /// Every trial, in the order they ran.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// The best trial.
    pub fn best_trial(&self) -> &Trial {
        &self.trials[self.best_index()]
    }

    /// The best trial's hyperparameters (scikit-learn's `best_params_`).
    pub fn best_params(&self) -> &Params {
        &self.best_trial().params
    }

    /// The best trial's score (scikit-learn's `best_score_`, as the monitored value).
    pub fn best_score(&self) -> f64 {
        self.best_trial().score.expect("the best trial has a score")
    }

    /// The best trial's model, trained (scikit-learn's `best_estimator_`).
    pub fn best_model(&self) -> &N {
        &self.best.as_ref().expect("finish checks there is one").1
    }

    /// The best model, taken.
    pub fn into_best_model(self) -> N {
        self.best.expect("finish checks there is one").1
    }

    fn best_index(&self) -> usize {
        self.best.as_ref().expect("finish checks there is one").0
    }

    /// The trials ranked best first (those without a score last), as a table of aligned
    /// columns: rank, trial, each hyperparameter, the score, epochs and seconds.
    pub fn table(&self) -> String {
        let rows = self.rows(true);
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, &width)| format!("{cell:>width$}"))
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
        out
    }

    /// Writes the table as CSV to `path` (atomically): one row per trial, ranked.
    pub fn to_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let mut writer = csv::Writer::from_writer(Vec::new());
        for row in self.rows(false) {
            writer
                .write_record(&row)
                .map_err(|e| crate::error::format_error(path, e.to_string()))?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| crate::error::format_error(path, e.to_string()))?;
        crate::io::write_atomically(path, &bytes)
    }

    /// The header and one row per trial, best first; `shown` rounds for reading.
    fn rows(&self, shown: bool) -> Vec<Vec<String>> {
        let names: Vec<&str> = self
            .trials
            .first()
            .map(|t| t.params.values().iter().map(|(n, _)| n.as_str()).collect())
            .unwrap_or_default();
        let mut header = vec!["rank".to_string(), "trial".to_string()];
        header.extend(names.iter().map(|n| n.to_string()));
        header.extend([self.monitored.clone(), "epochs".into(), "seconds".into()]);
        let mut order: Vec<usize> = (0..self.trials.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (self.trials[a].score, self.trials[b].score);
            match (a, b) {
                (Some(a), Some(b)) if self.maximize => b.total_cmp(&a),
                (Some(a), Some(b)) => a.total_cmp(&b),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
        let mut rows = vec![header];
        for (rank, &index) in order.iter().enumerate() {
            let trial = &self.trials[index];
            let mut row = vec![(rank + 1).to_string(), (trial.index + 1).to_string()];
            row.extend(trial.params.values().iter().map(|(_, v)| match v {
                super::Value::Real(r) if !shown => r.to_string(),
                other => other.to_string(),
            }));
            row.push(match (trial.score, shown) {
                (Some(score), true) => format!("{score:.4}"),
                (Some(score), false) => score.to_string(),
                (None, _) if trial.failure.is_some() => "diverged".into(),
                (None, _) => String::new(),
            });
            row.push(trial.epochs.to_string());
            row.push(if shown {
                format!("{:.2}", trial.seconds)
            } else {
                trial.seconds.to_string()
            });
            rows.push(row);
        }
        rows
    }
}
