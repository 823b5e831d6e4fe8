//! Running means of losses and metrics over an epoch or an evaluation, and the names Keras
//! logs them under.

use super::logs::Logs;
use crate::graph::Graph;
use crate::metrics::{Measure, Metric};
use crate::network::Network;

/// Where a logged value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Loss,
    OutputLoss(usize),
    Metric(usize),
}

/// The logged names and what each one measures, fixed for a whole `fit` or `evaluate`.
#[derive(Clone, Debug)]
pub struct LogPlan {
    names: Vec<String>,
    sources: Vec<Source>,
    measures: Vec<(usize, Measure)>,
}

impl LogPlan {
    /// Keras 3's names for a model's logs: `loss`, and for several outputs `{output}_loss`;
    /// each metric as `{metric}`, or `{output}_{metric}` for several outputs; sorted by name, as
    /// Keras 3 sorts them.
    pub fn new(graph: &Graph, metrics: &[Metric]) -> Self {
        let several = graph.outputs.len() > 1;
        let mut entries = vec![("loss".to_string(), Source::Loss)];
        let mut measures = Vec::new();
        for output in 0..graph.outputs.len() {
            let name = graph.output_name(output);
            if several {
                entries.push((format!("{name}_loss"), Source::OutputLoss(output)));
            }
            for &metric in metrics {
                let key = if several {
                    format!("{name}_{}", metric.name())
                } else {
                    metric.name().to_string()
                };
                entries.push((key, Source::Metric(measures.len())));
                measures.push((output, Measure::resolve(metric, graph, output)));
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        let (names, sources) = entries.into_iter().unzip();
        LogPlan {
            names,
            sources,
            measures,
        }
    }

    /// Empty logs with these names, prefixed (`val_`).
    pub fn logs(&self, prefix: &str) -> Logs {
        Logs::with_names(self.names.iter().map(|n| format!("{prefix}{n}")).collect())
    }

    /// Writes the tally's means into `logs` (made by [`LogPlan::logs`]), from position `at`.
    pub fn write(&self, tally: &Tally, logs: &mut Logs, at: usize) {
        let samples = tally.samples.max(1.0);
        let values = &mut logs.values_mut()[at..at + self.names.len()];
        for (value, source) in values.iter_mut().zip(&self.sources) {
            *value = match *source {
                Source::Loss => tally.loss / samples,
                Source::OutputLoss(k) => tally.output_losses[k] / samples,
                Source::Metric(i) => {
                    let (_, measure) = self.measures[i];
                    measure.result(&tally.metrics[i], tally.samples)
                }
            };
        }
    }

    /// A zeroed tally for this plan.
    pub fn tally(&self, outputs: usize) -> Tally {
        Tally {
            samples: 0.0,
            loss: 0.0,
            output_losses: vec![0.0; outputs],
            metrics: self
                .measures
                .iter()
                .map(|(_, measure)| vec![0.0; measure.state_len()])
                .collect(),
        }
    }

    /// Adds one batch of `samples` samples: its per-output mean `losses`, its `total` loss
    /// (regularization included) and the metrics of the outputs and staged targets in
    /// `workspace`.
    pub fn record<N: Network>(
        &self,
        model: &N,
        tally: &mut Tally,
        workspace: &N::Workspace,
        samples: usize,
        losses: &[f64],
        total: f64,
    ) {
        let n = samples as f64;
        tally.samples += n;
        tally.loss += total * n;
        for (sum, loss) in tally.output_losses.iter_mut().zip(losses) {
            *sum += loss * n;
        }
        for (state, &(output, measure)) in tally.metrics.iter_mut().zip(&self.measures) {
            let units = model.graph().output_units(output);
            measure.accumulate(
                state,
                N::output(workspace, output, samples),
                N::staged_targets(workspace, output, samples),
                units,
            );
        }
    }

    /// Every name `fit` can log for this model: the training names, then the `val_` ones.
    pub fn every_name(&self) -> Vec<String> {
        let mut names = self.names.clone();
        names.extend(self.names.iter().map(|n| format!("val_{n}")));
        names
    }

    /// The number of logged names.
    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// Sums over the samples seen so far.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    samples: f64,
    loss: f64,
    output_losses: Vec<f64>,
    /// Each metric's state (see [`Measure::state_len`]).
    metrics: Vec<Vec<f64>>,
}

impl Tally {
    /// Starts over, keeping the buffers.
    pub fn clear(&mut self) {
        self.samples = 0.0;
        self.loss = 0.0;
        self.output_losses.fill(0.0);
        for state in &mut self.metrics {
            state.fill(0.0);
        }
    }
}
