//! Metrics, resolved per output as Keras resolves them.

use crate::graph::Graph;
use crate::network::TargetView;

/// A metric to compute on every output, as named in Keras's `compile(metrics=[...])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// `"accuracy"`: sparse categorical, categorical or binary accuracy, whichever fits the
    /// output's loss and width.
    Accuracy,
    /// `"mse"`: the mean squared error.
    Mse,
    /// `"mae"`: the mean absolute error.
    Mae,
}

impl Metric {
    /// The name Keras gives it in logs and history.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::Mse => "mse",
            Metric::Mae => "mae",
        }
    }
}

/// What a metric computes on one particular output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// The predicted class (argmax) equals the label.
    SparseCategoricalAccuracy,
    /// The predicted class equals the target's argmax.
    CategoricalAccuracy,
    /// Predictions above 0.5 count as 1, compared with the targets.
    BinaryAccuracy,
    /// `(y - t)²`, averaged over the units.
    SquaredError,
    /// `|y - t|`, averaged over the units.
    AbsoluteError,
}

impl Measure {
    /// What `metric` computes on output `index` of `graph`, as Keras resolves `"accuracy"`:
    /// sparse with a sparse loss, binary on one unit, categorical otherwise.
    pub fn resolve(metric: Metric, graph: &Graph, index: usize) -> Measure {
        let output = &graph.outputs[index];
        let units: usize = graph.nodes[output.node].shape.iter().product();
        match metric {
            Metric::Accuracy if output.loss == "sparse_categorical_crossentropy" => {
                Measure::SparseCategoricalAccuracy
            }
            Metric::Accuracy if units == 1 => Measure::BinaryAccuracy,
            Metric::Accuracy => Measure::CategoricalAccuracy,
            Metric::Mse => Measure::SquaredError,
            Metric::Mae => Measure::AbsoluteError,
        }
    }

    /// The sum over the batch of the per-sample values (class targets count as one-hot).
    pub fn sum(self, y: &[f32], targets: TargetView<'_>, units: usize) -> f64 {
        let samples = y.chunks_exact(units);
        match targets {
            TargetView::Classes(labels) => samples
                .zip(labels)
                .map(|(y, &label)| {
                    self.per_sample(
                        y,
                        units,
                        |i| f32::from(i == label as usize),
                        || label as usize,
                    )
                })
                .sum(),
            TargetView::Values(values) => samples
                .zip(values.chunks_exact(units))
                .map(|(y, t)| self.per_sample(y, units, |i| t[i], || argmax(t)))
                .sum(),
        }
    }

    /// One sample's value, given its target values and its target class.
    fn per_sample(
        self,
        y: &[f32],
        units: usize,
        target: impl Fn(usize) -> f32,
        class: impl Fn() -> usize,
    ) -> f64 {
        let mean = |f: &dyn Fn(f32, f32) -> f32| -> f64 {
            (0..units)
                .map(|i| f64::from(f(y[i], target(i))))
                .sum::<f64>()
                / units as f64
        };
        match self {
            Measure::SparseCategoricalAccuracy | Measure::CategoricalAccuracy => {
                f64::from(u8::from(argmax(y) == class()))
            }
            Measure::BinaryAccuracy => mean(&|y, t| f32::from(u8::from((y > 0.5) == (t > 0.5)))),
            Measure::SquaredError => mean(&|y, t| (y - t) * (y - t)),
            Measure::AbsoluteError => mean(&|y, t| (y - t).abs()),
        }
    }
}

/// The index of the largest value (the first of equal ones, like NumPy).
pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 {
                (i, v)
            } else {
                best
            }
        })
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracies_count_matching_classes() {
        let y = [0.1, 0.7, 0.2, 0.5, 0.3, 0.2];
        let sparse = Measure::SparseCategoricalAccuracy.sum(&y, TargetView::Classes(&[1, 2]), 3);
        assert_eq!(sparse, 1.0);
        let onehot = [0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        assert_eq!(
            Measure::CategoricalAccuracy.sum(&y, TargetView::Values(&onehot), 3),
            2.0
        );
        let binary =
            Measure::BinaryAccuracy.sum(&[0.9, 0.2, 0.6], TargetView::Values(&[1.0, 1.0, 0.0]), 1);
        assert_eq!(binary, 1.0);
    }

    #[test]
    fn errors_average_over_units_and_sum_over_samples() {
        let y = [1.0, 2.0, 0.0, 0.0];
        let t = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(
            Measure::SquaredError.sum(&y, TargetView::Values(&t), 2),
            2.5 + 1.0
        );
        assert_eq!(
            Measure::AbsoluteError.sum(&y, TargetView::Values(&t), 2),
            1.5 + 1.0
        );
        assert_eq!(
            Measure::AbsoluteError.sum(&[0.5, 0.5], TargetView::Classes(&[0]), 2),
            0.5
        );
    }

    #[test]
    fn argmax_takes_the_first_of_equals() {
        assert_eq!(argmax(&[0.2, 0.5, 0.5]), 1);
        assert_eq!(argmax(&[-1.0]), 0);
    }
}
