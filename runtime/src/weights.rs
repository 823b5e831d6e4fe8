//! Keras's `sample_weight` and `class_weight`: how much each sample counts in each output's
//! loss, checked against the data once and staged batch by batch.
//!
//! As in Keras, a weighted output's loss over a batch is `Σ wᵢ lᵢ / batch size`, the metrics
//! stay unweighted, and class weights become per-sample weights of the training data only.
//!
//! ```
//! use densely::prelude::*;
//!
//! model! {
//!     struct Net {
//!         input x: [2];
//!         output y = Dense(1), loss = mse;
//!     }
//! }
//!
//! let x = Batch::<Shape1<2>>::from_vec(vec![1.0, 2.0, 3.0, 4.0])?;
//! let y = Batch::<Shape1<1>>::from_vec(vec![1.0, -1.0])?;
//! let mut model = Net::new();
//! let plain = model.evaluate(&x, &y)?.get("loss").unwrap();
//! // The second sample alone, counted twice, over a batch of two.
//! let options = EvaluateOptions::default().sample_weight(&[0.0, 2.0]);
//! let weighted = model.evaluate_with(&x, &y, options)?.get("loss").unwrap();
//! let second = model.evaluate(&x.split_at(1).1, &y.split_at(1).1)?.get("loss").unwrap();
//! assert!((weighted - second).abs() < 1e-6 && weighted != plain);
//! # Ok::<(), densely::Error>(())
//! ```

use std::borrow::Cow;

use crate::error::{did_you_mean, quoted_list, Error, Result};
use crate::graph::Graph;
use crate::network::{Network, TargetView};

/// Keras's `sample_weight`: a weight per sample, for every output or for named outputs.
///
/// A slice converts into weights for every output's loss, as Keras applies a single array to
/// every output; [`SampleWeight::output`] weighs one output, as an entry of Keras's dict does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SampleWeight<'a> {
    every_output: Option<&'a [f32]>,
    by_output: Vec<(String, &'a [f32])>,
}

impl<'a> SampleWeight<'a> {
    /// The same weights in every output's loss (Keras's single array).
    pub fn every_output(weights: &'a [f32]) -> Self {
        SampleWeight {
            every_output: Some(weights),
            by_output: Vec::new(),
        }
    }

    /// Weights for the loss of the output named `output` alone; chain it for several outputs.
    /// An output named nowhere takes the [`every_output`](Self::every_output) weights if
    /// there are any, and counts each sample once otherwise.
    pub fn output(mut self, output: &str, weights: &'a [f32]) -> Self {
        self.by_output.push((output.to_string(), weights));
        self
    }

    /// Whether no weight is given.
    pub fn is_empty(&self) -> bool {
        self.every_output.is_none() && self.by_output.is_empty()
    }
}

impl<'a> From<&'a [f32]> for SampleWeight<'a> {
    fn from(weights: &'a [f32]) -> Self {
        SampleWeight::every_output(weights)
    }
}

impl<'a> From<&'a Vec<f32>> for SampleWeight<'a> {
    fn from(weights: &'a Vec<f32>) -> Self {
        SampleWeight::every_output(weights)
    }
}

impl<'a, const N: usize> From<&'a [f32; N]> for SampleWeight<'a> {
    fn from(weights: &'a [f32; N]) -> Self {
        SampleWeight::every_output(weights)
    }
}

/// The weights of a data set, one column per output: `None` where every sample counts once.
#[derive(Clone, Debug, Default)]
pub(crate) struct DataWeights<'a> {
    outputs: Vec<Option<Cow<'a, [f32]>>>,
}

impl<'a> DataWeights<'a> {
    /// `weights` checked against model `N` and a data set of `samples` samples; `argument`
    /// names the weights in errors.
    pub(crate) fn from_samples(
        graph: &Graph,
        argument: &'static str,
        weights: &SampleWeight<'a>,
        samples: usize,
    ) -> Result<Self> {
        let names: Vec<&str> = (0..graph.outputs.len())
            .map(|k| graph.output_name(k))
            .collect();
        let mut outputs = vec![weights.every_output.map(Cow::Borrowed); names.len()];
        for (name, column) in &weights.by_output {
            let Some(k) = names.iter().position(|n| n == name) else {
                return Err(Error::Argument {
                    argument,
                    reason: format!(
                        "`{name}` is no output of {}: its outputs are {}.{}",
                        graph.name,
                        quoted_list(names.iter().copied()),
                        did_you_mean(name, names.iter().copied())
                    ),
                });
            };
            outputs[k] = Some(Cow::Borrowed(*column));
        }
        for (k, column) in outputs.iter().enumerate() {
            if let Some(column) = column {
                let whose = if weights.by_output.is_empty() {
                    String::new()
                } else {
                    format!(" of output `{}`", names[k])
                };
                check_column(argument, &whose, column, samples)?;
            }
        }
        Ok(DataWeights { outputs })
    }

    /// Keras's `class_weight` turned into a weight per sample of the single output's
    /// `targets`, as Keras turns it: class labels as they are, one-hot rows by their largest
    /// value (the first of equals), single values rounded half to even; a class the map does
    /// not name weighs 1.
    pub(crate) fn from_classes<N: Network>(
        model: &N,
        class_weight: &[(u32, f32)],
        targets: N::Targets<'_>,
        samples: usize,
    ) -> Result<DataWeights<'static>> {
        let graph = model.graph();
        if graph.outputs.len() != 1 {
            return Err(Error::Argument {
                argument: "class_weight",
                reason: format!(
                    "{} has {} outputs, and class weights apply to a model with a single \
                     output, as in Keras: give each output its sample_weight instead",
                    graph.name,
                    graph.outputs.len()
                ),
            });
        }
        for (i, &(class, weight)) in class_weight.iter().enumerate() {
            if !weight.is_finite() {
                return Err(Error::Argument {
                    argument: "class_weight",
                    reason: format!("the weight of class {class} is {weight}, not a finite number"),
                });
            }
            if class_weight[..i].iter().any(|&(c, _)| c == class) {
                return Err(Error::Argument {
                    argument: "class_weight",
                    reason: format!("class {class} is given twice"),
                });
            }
        }
        let weight_of = |class: i64| {
            class_weight
                .iter()
                .find(|&&(c, _)| i64::from(c) == class)
                .map_or(1.0, |&(_, w)| w)
        };
        let units = graph.output_units(0);
        let mut column = Vec::with_capacity(samples);
        let mut workspace = model.new_workspace();
        let rows: Vec<usize> = (0..samples).collect();
        for chunk in rows.chunks(STAGING_ROWS) {
            N::stage_targets(&mut workspace, targets, chunk)?;
            match N::staged_targets(&workspace, 0, chunk.len()) {
                TargetView::Classes(labels) => {
                    column.extend(labels.iter().map(|&label| weight_of(i64::from(label))));
                }
                TargetView::Values(values) => column.extend(
                    values
                        .chunks_exact(units.max(1))
                        .map(|row| weight_of(class_of(row))),
                ),
            }
        }
        Ok(DataWeights {
            outputs: vec![Some(Cow::Owned(column))],
        })
    }

    /// Copies the weights of the samples `rows` into `batch`.
    pub(crate) fn stage(&self, batch: &mut BatchWeights, rows: &[usize]) {
        batch.outputs.resize_with(self.outputs.len(), || None);
        for (staged, column) in batch.outputs.iter_mut().zip(&self.outputs) {
            match column {
                None => *staged = None,
                Some(column) => {
                    let staged = staged.get_or_insert_with(Vec::new);
                    staged.clear();
                    staged.extend(rows.iter().map(|&row| column[row]));
                }
            }
        }
    }
}

/// How many rows of targets [`DataWeights::from_classes`] stages at a time.
const STAGING_ROWS: usize = 4096;

/// The class Keras reads from a row of target values: the index of the largest of several
/// (numpy's `argmax`, the first of equals), a single value rounded half to even.
fn class_of(row: &[f32]) -> i64 {
    if let [value] = row {
        return value.round_ties_even() as i64;
    }
    let mut best = 0;
    for (k, &value) in row.iter().enumerate() {
        if value > row[best] {
            best = k;
        }
    }
    best as i64
}

/// Checks one output's column: a finite weight for each of `samples` samples.
fn check_column(argument: &'static str, whose: &str, column: &[f32], samples: usize) -> Result<()> {
    if column.len() != samples {
        return Err(Error::Argument {
            argument,
            reason: format!(
                "holds {} weights{whose} for {samples} samples: give one weight per sample",
                column.len()
            ),
        });
    }
    if let Some((i, w)) = column.iter().enumerate().find(|(_, w)| !w.is_finite()) {
        return Err(Error::Argument {
            argument,
            reason: format!("weight {i}{whose} is {w}, not a finite number"),
        });
    }
    Ok(())
}

/// The weights of the samples of one staged batch, per output, as the generated losses read
/// them; the buffers are reused from batch to batch.
#[derive(Clone, Debug, Default)]
pub struct BatchWeights {
    outputs: Vec<Option<Vec<f32>>>,
}

impl BatchWeights {
    /// Every sample counts once.
    pub const NONE: BatchWeights = BatchWeights {
        outputs: Vec::new(),
    };

    /// Every sample counts once, until weights are staged again.
    pub(crate) fn clear(&mut self) {
        for output in &mut self.outputs {
            *output = None;
        }
    }

    /// The weights of output `index`'s samples, `None` when each counts once.
    pub fn output(&self, index: usize) -> Option<&[f32]> {
        self.outputs.get(index)?.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_read_as_keras_reads_them() {
        assert_eq!(class_of(&[0.1, 0.7, 0.2]), 1);
        // numpy's argmax takes the first of equal values.
        assert_eq!(class_of(&[0.5, 0.5, 0.0]), 0);
        // np.round rounds half to even.
        assert_eq!(class_of(&[0.5]), 0);
        assert_eq!(class_of(&[1.5]), 2);
        assert_eq!(class_of(&[2.5]), 2);
        assert_eq!(class_of(&[0.51]), 1);
        assert_eq!(class_of(&[-0.7]), -1);
    }

    #[test]
    fn staging_copies_the_rows_of_weighted_outputs() {
        let column = [1.0, 2.0, 3.0, 4.0];
        let weights = DataWeights {
            outputs: vec![None, Some(Cow::Borrowed(&column[..]))],
        };
        let mut batch = BatchWeights::default();
        weights.stage(&mut batch, &[3, 0]);
        assert_eq!(batch.output(0), None);
        assert_eq!(batch.output(1), Some(&[4.0, 1.0][..]));
        weights.stage(&mut batch, &[2]);
        assert_eq!(batch.output(1), Some(&[3.0][..]));
        assert_eq!(BatchWeights::NONE.output(0), None);
    }
}
