//! Metrics, resolved per output as Keras resolves them.

use crate::graph::Graph;
use crate::loss::{Loss, LossKind};
use crate::network::TargetView;

/// A metric to compute on every output, as named in Keras's `compile(metrics=[...])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// `"accuracy"`: sparse categorical, categorical or binary accuracy, whichever fits the
    /// output's loss and width.
    Accuracy,
    /// `"binary_accuracy"`: predictions above 0.5 count as 1, compared with the targets.
    BinaryAccuracy,
    /// `"categorical_accuracy"`: the predicted class equals the target's argmax.
    CategoricalAccuracy,
    /// `"sparse_categorical_accuracy"`: the predicted class equals the label.
    SparseCategoricalAccuracy,
    /// `"top_k_categorical_accuracy"`: the target's class is among the 5 highest predictions.
    TopKCategoricalAccuracy,
    /// `"sparse_top_k_categorical_accuracy"`: the label is among the 5 highest predictions.
    SparseTopKCategoricalAccuracy,
    /// `"mse"`: the mean squared error.
    Mse,
    /// `"mae"`: the mean absolute error.
    Mae,
    /// `"mape"`: the mean absolute percentage error.
    Mape,
    /// `"msle"`: the mean squared logarithmic error.
    Msle,
    /// `"root_mean_squared_error"`: the square root of the epoch's mean squared error.
    RootMeanSquaredError,
    /// `"cosine_similarity"`: the mean cosine of the angle between prediction and target.
    CosineSimilarity,
    /// `"precision"`: true positives over predicted positives, at threshold 0.5.
    Precision,
    /// `"recall"`: true positives over actual positives, at threshold 0.5.
    Recall,
    /// `"auc"`: the area under the ROC curve, over Keras's 200 thresholds.
    Auc,
    /// `"pr_auc"`: the area under the precision-recall curve, over 200 thresholds, as Keras's
    /// `AUC(curve="PR", name="pr_auc")` computes it.
    PrAuc,
    /// `"f1_score"`: the F1 score of each unit (class) at threshold 0.5, averaged over the
    /// units, as Keras's `F1Score(average="macro", threshold=0.5)`.
    F1Score,
}

/// Each metric with the name Keras logs it under, and the other names Keras's
/// `keras.metrics.get` knows it by.
const NAMES: &[(Metric, &str, &[&str])] = &[
    (Metric::Accuracy, "accuracy", &["acc", "Accuracy"]),
    (
        Metric::BinaryAccuracy,
        "binary_accuracy",
        &["BinaryAccuracy"],
    ),
    (
        Metric::CategoricalAccuracy,
        "categorical_accuracy",
        &["CategoricalAccuracy"],
    ),
    (
        Metric::SparseCategoricalAccuracy,
        "sparse_categorical_accuracy",
        &["SparseCategoricalAccuracy"],
    ),
    (
        Metric::TopKCategoricalAccuracy,
        "top_k_categorical_accuracy",
        &["TopKCategoricalAccuracy"],
    ),
    (
        Metric::SparseTopKCategoricalAccuracy,
        "sparse_top_k_categorical_accuracy",
        &["SparseTopKCategoricalAccuracy"],
    ),
    (
        Metric::Mse,
        "mse",
        &["mean_squared_error", "MeanSquaredError"],
    ),
    (
        Metric::Mae,
        "mae",
        &["mean_absolute_error", "MeanAbsoluteError"],
    ),
    (
        Metric::Mape,
        "mape",
        &[
            "mean_absolute_percentage_error",
            "MeanAbsolutePercentageError",
        ],
    ),
    (
        Metric::Msle,
        "msle",
        &[
            "mean_squared_logarithmic_error",
            "MeanSquaredLogarithmicError",
        ],
    ),
    (
        Metric::RootMeanSquaredError,
        "root_mean_squared_error",
        &["RootMeanSquaredError"],
    ),
    (
        Metric::CosineSimilarity,
        "cosine_similarity",
        &["CosineSimilarity"],
    ),
    (Metric::Precision, "precision", &["Precision"]),
    (Metric::Recall, "recall", &["Recall"]),
    (Metric::Auc, "auc", &["AUC"]),
    (Metric::PrAuc, "pr_auc", &[]),
    (Metric::F1Score, "f1_score", &["F1Score"]),
];

/// The `k` of Keras's top-k accuracies by default.
const TOP_K: usize = 5;

/// Keras's `backend.epsilon()`.
const EPSILON: f64 = 1e-7;

/// The thresholds of Keras's `AUC()`.
const AUC_THRESHOLDS: usize = 200;

impl Metric {
    /// The name Keras gives it in logs and history.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(metric, _, _)| *metric == self)
            .map(|(_, name, _)| *name)
            .expect("every metric has a name")
    }

    /// The metric Keras knows by `name` (`"mse"`, `"mean_squared_error"`, `"MeanSquaredError"`).
    pub fn from_keras_name(name: &str) -> Option<Metric> {
        NAMES
            .iter()
            .find(|(_, logged, aliases)| *logged == name || aliases.contains(&name))
            .map(|(metric, _, _)| *metric)
    }

    /// Keras's class and its arguments, for the metrics that Keras (tf-keras above all) knows
    /// only as a class, not by a name `compile` accepts; `None` for the others.
    pub fn keras_class(self) -> Option<(&'static str, serde_json::Value)> {
        let name = self.name();
        let class = |class: &'static str| Some((class, serde_json::json!({ "name": name })));
        match self {
            Metric::Auc => class("AUC"),
            Metric::Precision => class("Precision"),
            Metric::Recall => class("Recall"),
            Metric::RootMeanSquaredError => class("RootMeanSquaredError"),
            Metric::PrAuc => Some(("AUC", serde_json::json!({ "name": name, "curve": "PR" }))),
            Metric::F1Score => Some((
                "F1Score",
                serde_json::json!({ "name": name, "average": "macro", "threshold": 0.5 }),
            )),
            _ => None,
        }
    }

    /// Whether larger is better (for `mode="auto"` of the callbacks that monitor it).
    pub fn goes_up(self) -> bool {
        !matches!(
            self,
            Metric::Mse | Metric::Mae | Metric::Mape | Metric::Msle | Metric::RootMeanSquaredError
        )
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
    /// The target's class is among the `k` highest predictions (ties count in, as in
    /// TensorFlow's `in_top_k`).
    TopK(usize),
    /// `(y - t)²`, averaged over the units.
    SquaredError,
    /// `|y - t|`, averaged over the units.
    AbsoluteError,
    /// `100 |t - y| / max(|t|, ε)`, averaged over the units.
    AbsolutePercentageError,
    /// `(ln(max(y, ε) + 1) - ln(max(t, ε) + 1))²`, averaged over the units.
    SquaredLogarithmicError,
    /// The square root of the mean of [`Measure::SquaredError`].
    RootSquaredError,
    /// The cosine between prediction and target, each normalised as `x / √max(Σx², 1e-12)`.
    CosineSimilarity,
    /// True positives over predicted positives, every unit counted, at threshold 0.5.
    Precision,
    /// True positives over actual positives, every unit counted, at threshold 0.5.
    Recall,
    /// The area under the ROC curve over 200 thresholds, by Keras's interpolation.
    Auc,
    /// The area under the precision-recall curve over 200 thresholds, by Keras's
    /// interpolation.
    PrAuc,
    /// The F1 score of each of this many units at threshold 0.5, averaged.
    F1Score(usize),
}

impl Measure {
    /// What `metric` computes on output `index` of `graph`, as Keras resolves `"accuracy"`:
    /// sparse with a sparse loss, binary on one unit, categorical otherwise.
    pub fn resolve(metric: Metric, graph: &Graph, index: usize) -> Measure {
        let output = &graph.outputs[index];
        let units = graph.output_units(index);
        match metric {
            Metric::Accuracy
                if output.loss.as_ref().map(Loss::kind)
                    == Some(LossKind::SparseCategoricalCrossentropy) =>
            {
                Measure::SparseCategoricalAccuracy
            }
            Metric::Accuracy if units == 1 => Measure::BinaryAccuracy,
            Metric::Accuracy => Measure::CategoricalAccuracy,
            Metric::BinaryAccuracy => Measure::BinaryAccuracy,
            Metric::CategoricalAccuracy => Measure::CategoricalAccuracy,
            Metric::SparseCategoricalAccuracy => Measure::SparseCategoricalAccuracy,
            Metric::TopKCategoricalAccuracy | Metric::SparseTopKCategoricalAccuracy => {
                Measure::TopK(TOP_K)
            }
            Metric::Mse => Measure::SquaredError,
            Metric::Mae => Measure::AbsoluteError,
            Metric::Mape => Measure::AbsolutePercentageError,
            Metric::Msle => Measure::SquaredLogarithmicError,
            Metric::RootMeanSquaredError => Measure::RootSquaredError,
            Metric::CosineSimilarity => Measure::CosineSimilarity,
            Metric::Precision => Measure::Precision,
            Metric::Recall => Measure::Recall,
            Metric::Auc => Measure::Auc,
            Metric::PrAuc => Measure::PrAuc,
            Metric::F1Score => Measure::F1Score(units),
        }
    }

    /// How many numbers it keeps over an epoch.
    pub fn state_len(self) -> usize {
        match self {
            // True positives, and predicted (precision) or actual (recall) positives.
            Measure::Precision | Measure::Recall => 2,
            // Per threshold: true positives, false positives, false negatives, true negatives.
            Measure::Auc | Measure::PrAuc => 4 * AUC_THRESHOLDS,
            // Per unit: true positives, false positives, false negatives.
            Measure::F1Score(units) => 3 * units,
            // The sum over samples of the per-sample value.
            _ => 1,
        }
    }

    /// Adds one batch to `state`: predictions `y` of `units` values a sample and their
    /// targets (class targets count as one-hot).
    pub fn accumulate(self, state: &mut [f64], y: &[f32], targets: TargetView<'_>, units: usize) {
        match self {
            Measure::Precision | Measure::Recall | Measure::Auc | Measure::PrAuc => {
                for_each_unit(y, targets, units, |y, t| self.count(state, y, t));
            }
            Measure::F1Score(_) => {
                let mut unit = 0;
                for_each_unit(y, targets, units, |y, t| {
                    let (predicted, actual) = (y > 0.5, t != 0.0);
                    let counts = &mut state[3 * unit..3 * unit + 3];
                    counts[0] += f64::from(u8::from(predicted && actual));
                    counts[1] += f64::from(u8::from(predicted && !actual));
                    counts[2] += f64::from(u8::from(!predicted && actual));
                    unit = (unit + 1) % units;
                });
            }
            _ => state[0] += self.sum(y, targets, units),
        }
    }

    /// The metric's value for `state` after `samples` samples.
    pub fn result(self, state: &[f64], samples: f64) -> f64 {
        let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
        match self {
            Measure::Precision | Measure::Recall => ratio(state[0], state[1]),
            Measure::RootSquaredError => (state[0] / samples.max(1.0)).sqrt(),
            Measure::PrAuc => pr_auc(state),
            Measure::F1Score(units) => {
                let f1 = |counts: &[f64]| {
                    let [tp, fp, fn_] = [counts[0], counts[1], counts[2]];
                    let precision = tp / (tp + fp + EPSILON);
                    let recall = tp / (tp + fn_ + EPSILON);
                    2.0 * precision * recall / (precision + recall + EPSILON)
                };
                state.chunks_exact(3).map(f1).sum::<f64>() / units.max(1) as f64
            }
            Measure::Auc => {
                // Keras's "interpolation" summation for ROC: the trapezoid rule over the
                // (false positive rate, true positive rate) points, threshold by threshold.
                let point = |i: usize| {
                    let [tp, fp, fn_, tn] = [0, 1, 2, 3].map(|k| state[4 * i + k]);
                    (ratio(fp, fp + tn), ratio(tp, tp + fn_))
                };
                (0..AUC_THRESHOLDS - 1)
                    .map(|i| {
                        let ((x0, y0), (x1, y1)) = (point(i), point(i + 1));
                        (x0 - x1) * (y0 + y1) / 2.0
                    })
                    .sum()
            }
            _ => state[0] / samples.max(1.0),
        }
    }

    /// One prediction and its target into the confusion counts.
    fn count(self, state: &mut [f64], y: f32, t: f32) {
        let (predicted, actual) = (y > 0.5, t != 0.0);
        match self {
            Measure::Precision => {
                state[0] += f64::from(u8::from(predicted && actual));
                state[1] += f64::from(u8::from(predicted));
            }
            Measure::Recall => {
                state[0] += f64::from(u8::from(predicted && actual));
                state[1] += f64::from(u8::from(actual));
            }
            _ => {
                for i in 0..AUC_THRESHOLDS {
                    let above = f64::from(y) > auc_threshold(i);
                    let k = match (above, actual) {
                        (true, true) => 0,
                        (true, false) => 1,
                        (false, true) => 2,
                        (false, false) => 3,
                    };
                    state[4 * i + k] += 1.0;
                }
            }
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
        let mean = |f: &dyn Fn(f64, f64) -> f64| -> f64 {
            (0..units)
                .map(|i| f(f64::from(y[i]), f64::from(target(i))))
                .sum::<f64>()
                / units as f64
        };
        match self {
            Measure::SparseCategoricalAccuracy | Measure::CategoricalAccuracy => {
                f64::from(u8::from(argmax(y) == class()))
            }
            Measure::TopK(k) => {
                let value = y[class()];
                let above = y.iter().filter(|&&v| v > value).count();
                f64::from(u8::from(above < k))
            }
            Measure::BinaryAccuracy => mean(&|y, t| f64::from(u8::from((y > 0.5) == (t > 0.5)))),
            Measure::SquaredError | Measure::RootSquaredError => mean(&|y, t| (y - t) * (y - t)),
            Measure::AbsoluteError => mean(&|y, t| (y - t).abs()),
            Measure::AbsolutePercentageError => {
                mean(&|y, t| 100.0 * (t - y).abs() / t.abs().max(EPSILON))
            }
            Measure::SquaredLogarithmicError => mean(&|y, t| {
                let d = (y.max(EPSILON) + 1.0).ln() - (t.max(EPSILON) + 1.0).ln();
                d * d
            }),
            Measure::CosineSimilarity => {
                let norm = |v: &dyn Fn(usize) -> f64| {
                    (0..units)
                        .map(|i| v(i) * v(i))
                        .sum::<f64>()
                        .max(1e-12)
                        .sqrt()
                };
                let (ny, nt) = (norm(&|i| f64::from(y[i])), norm(&|i| f64::from(target(i))));
                (0..units)
                    .map(|i| f64::from(y[i]) * f64::from(target(i)))
                    .sum::<f64>()
                    / (ny * nt)
            }
            Measure::Precision
            | Measure::Recall
            | Measure::Auc
            | Measure::PrAuc
            | Measure::F1Score(_) => unreachable!("counted, not averaged"),
        }
    }
}

/// Keras's interpolation of the area under the precision-recall curve from the confusion
/// counts at each threshold (`AUC.interpolate_pr_auc`): precision varies as `TP / P` with TP
/// and P linear between thresholds, integrated exactly.
fn pr_auc(state: &[f64]) -> f64 {
    let divide = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
    let counts = |i: usize| {
        let [tp, fp, fn_] = [0, 1, 2].map(|k| state[4 * i + k]);
        (tp, tp + fp, fn_)
    };
    (0..AUC_THRESHOLDS - 1)
        .map(|i| {
            let ((tp_a, p_a, _), (tp_b, p_b, fn_b)) = (counts(i), counts(i + 1));
            let dtp = tp_a - tp_b;
            let slope = divide(dtp, (p_a - p_b).max(0.0));
            let intercept = tp_b - slope * p_b;
            let ratio = if p_a > 0.0 && p_b > 0.0 {
                divide(p_a, p_b.max(0.0))
            } else {
                1.0
            };
            divide(
                slope * (dtp + intercept * ratio.ln()),
                (tp_b + fn_b).max(0.0),
            )
        })
        .sum()
}

/// Threshold `i` of Keras's `AUC(num_thresholds=200)`: just below 0, the 198 points
/// `i / 199` inside, just above 1.
fn auc_threshold(i: usize) -> f64 {
    match i {
        0 => -EPSILON,
        i if i == AUC_THRESHOLDS - 1 => 1.0 + EPSILON,
        i => i as f64 / (AUC_THRESHOLDS - 1) as f64,
    }
}

/// Calls `f` with every prediction and its target (class targets as one-hot).
fn for_each_unit(y: &[f32], targets: TargetView<'_>, units: usize, mut f: impl FnMut(f32, f32)) {
    match targets {
        TargetView::Classes(labels) => {
            for (sample, &label) in y.chunks_exact(units).zip(labels) {
                for (i, &value) in sample.iter().enumerate() {
                    f(value, f32::from(u8::from(i == label as usize)));
                }
            }
        }
        TargetView::Values(values) => {
            for (&value, &target) in y.iter().zip(values) {
                f(value, target);
            }
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

    /// Every metric against Keras's own values on the same data, fed in the same two batches
    /// (`tools/keras_metrics.py`).
    #[test]
    fn every_metric_equals_keras() {
        let record: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/keras/metrics.json")).unwrap();
        let rows = |value: &serde_json::Value| -> Vec<Vec<f64>> {
            value
                .as_array()
                .unwrap()
                .iter()
                .map(|row| match row.as_array() {
                    Some(row) => row.iter().map(|v| v.as_f64().unwrap()).collect(),
                    None => vec![row.as_f64().unwrap()],
                })
                .collect()
        };
        let mut checked = 0;
        for case in ["binary", "categorical", "sparse", "multilabel", "values"] {
            let data = &record[case];
            let y_pred = rows(&data["y_pred"]);
            let y_true = rows(&data["y_true"]);
            let units = y_pred[0].len();
            let sparse = case == "sparse";
            for (name, expected) in data["results"].as_object().unwrap() {
                let metric = Metric::from_keras_name(name).unwrap();
                let loss = if sparse {
                    "sparse_categorical_crossentropy"
                } else {
                    "mse"
                };
                let measure = resolve_for(metric, loss, units);
                let mut state = vec![0.0; measure.state_len()];
                let half = y_pred.len() / 2;
                for range in [0..half, half..y_pred.len()] {
                    let y: Vec<f32> = y_pred[range.clone()]
                        .concat()
                        .iter()
                        .map(|&v| v as f32)
                        .collect();
                    let classes: Vec<u32> = y_true[range.clone()]
                        .iter()
                        .map(|row| row[0] as u32)
                        .collect();
                    let values: Vec<f32> =
                        y_true[range].concat().iter().map(|&v| v as f32).collect();
                    let targets = if sparse {
                        TargetView::Classes(&classes)
                    } else {
                        TargetView::Values(&values)
                    };
                    measure.accumulate(&mut state, &y, targets, units);
                }
                let got = measure.result(&state, y_pred.len() as f64);
                let expected = expected.as_f64().unwrap();
                let tolerance = 2e-6 * expected.abs().max(1.0);
                assert!(
                    (got - expected).abs() <= tolerance,
                    "{case} {name}: densely {got}, Keras {expected}"
                );
                assert_eq!(metric.name(), name, "logged under Keras's name");
                checked += 1;
            }
        }
        assert_eq!(checked, 35);
    }

    /// `Measure::resolve` for an output of `units` units trained with `loss`.
    fn resolve_for(metric: Metric, loss: &'static str, units: usize) -> Measure {
        use crate::graph::{Graph, Node, NodeKind, Output};
        let graph = Graph {
            name: "probe".into(),
            nodes: vec![Node {
                name: "y".into(),
                kind: NodeKind::Input,
                shape: vec![units].into(),
                sources: Vec::new().into(),
                params: 0,
            }]
            .into(),
            outputs: vec![Output {
                node: 0,
                loss: Loss::named(loss),
                weight: 1.0,
            }]
            .into(),
            functional: false,
        };
        Measure::resolve(metric, &graph, 0)
    }
}
