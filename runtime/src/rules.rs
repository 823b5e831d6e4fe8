//! Keras's regularizers and constraints on a layer's weights (described in
//! [`densely::spec::RULES`](crate::spec::RULES)): the penalty a regularizer adds to the loss
//! and to the gradient, and the projection a constraint applies after each update.
//!
//! ```
//! use densely::dynamic::{dense, Sequential};
//! use densely::rules::{l2, max_norm};
//!
//! let model = Sequential::new("m")
//!     .input("x", &[4])
//!     .add(dense(3).kernel_regularizer(l2(0.01)).kernel_constraint(max_norm(2.0)))
//!     .loss("mse")
//!     .build()?;
//! # Ok::<(), densely::Error>(())
//! ```

use std::borrow::Cow;

use crate::layers::ParamMut;
use crate::network::Network;
use crate::spec::{RuleKind, RuleRole, Value, WeightRule};

fn rule(kind: RuleKind, args: Vec<Value>) -> WeightRule {
    WeightRule {
        kind,
        args: Cow::Owned(args),
    }
}

/// Keras's `L1(l1)`: adds `l1 Σ |w|` to the loss.
pub fn l1(l1: f64) -> WeightRule {
    rule(RuleKind::L1, vec![Value::Float(l1)])
}

/// Keras's `L2(l2)`: adds `l2 Σ w²` to the loss.
pub fn l2(l2: f64) -> WeightRule {
    rule(RuleKind::L2, vec![Value::Float(l2)])
}

/// Keras's `L1L2(l1, l2)`: adds both.
pub fn l1_l2(l1: f64, l2: f64) -> WeightRule {
    rule(RuleKind::L1L2, vec![Value::Float(l1), Value::Float(l2)])
}

/// Keras's `MaxNorm(max_value)`: each unit's incoming weights scaled to a norm of at most
/// `max_value` after each update.
pub fn max_norm(max_value: f64) -> WeightRule {
    rule(
        RuleKind::MaxNorm,
        vec![Value::Float(max_value), Value::Int(0)],
    )
}

/// Keras's `NonNeg()`: negative weights set to 0 after each update.
pub fn non_neg() -> WeightRule {
    rule(RuleKind::NonNeg, Vec::new())
}

/// Keras's `UnitNorm()`: each unit's incoming weights scaled to norm 1 after each update.
pub fn unit_norm() -> WeightRule {
    rule(RuleKind::UnitNorm, vec![Value::Int(0)])
}

/// Keras's `MinMaxNorm(min_value, max_value, rate)`: each unit's norm moved `rate` of the
/// way into `[min_value, max_value]` after each update.
pub fn min_max_norm(min_value: f64, max_value: f64, rate: f64) -> WeightRule {
    let args = vec![
        Value::Float(min_value),
        Value::Float(max_value),
        Value::Float(rate),
        Value::Int(0),
    ];
    rule(RuleKind::MinMaxNorm, args)
}

/// A regularizer's factors `(l1, l2)`.
fn factors(rule: &WeightRule) -> (f64, f64) {
    (rule.number("l1"), rule.number("l2"))
}

/// The penalty a regularizer adds to the loss for weights `w`: `l1 Σ |w| + l2 Σ w²`.
pub fn penalty(rule: &WeightRule, w: &[f32]) -> f64 {
    let (l1, l2) = factors(rule);
    let (mut absolute, mut squares) = (0.0, 0.0);
    for &w in w {
        let w = f64::from(w);
        absolute += w.abs();
        squares += w * w;
    }
    l1 * absolute + l2 * squares
}

/// Adds the penalty's gradient to `grad`: `l1 sign(w) + 2 l2 w`.
pub fn add_gradient(rule: &WeightRule, w: &[f32], grad: &mut [f32]) {
    let (l1, l2) = factors(rule);
    let (l1, l2) = (l1 as f32, l2 as f32);
    for (g, &w) in grad.iter_mut().zip(w) {
        let sign = if w > 0.0 {
            1.0
        } else if w < 0.0 {
            -1.0
        } else {
            0.0
        };
        *g += l1 * sign + 2.0 * l2 * w;
    }
}

/// Calls `apply` with each trainable weight of `model` (of a layer not frozen) that has a
/// rule of `role`, and that rule.
pub(crate) fn each_ruled_mut<N: Network>(
    model: &mut N,
    role: RuleRole,
    mut apply: impl FnMut(&WeightRule, ParamMut<'_>),
) {
    if model
        .graph()
        .nodes
        .iter()
        .all(|node| node.rules().is_empty())
    {
        return;
    }
    // Only models with rules pay for the copy the borrow needs.
    let graph = model.graph().clone();
    let frozen = model.training_state().frozen().to_vec();
    model.visit_params_mut(&mut |layer, param| {
        if !param.trainable || frozen.iter().any(|f| f == layer) {
            return;
        }
        let node = graph.nodes.iter().find(|node| node.name == layer);
        if let Some(rule) = node.and_then(|node| node.rules().get(param.name, role)) {
            apply(rule, param);
        }
    });
}

/// Keras's `epsilon()`, added to a norm before dividing by it.
const EPSILON: f32 = 1e-7;

/// Projects weights `w` of `shape` as the constraint does, along axis 0: for a kernel of
/// shape `(inputs, units)`, each unit's column of incoming weights; for a bias, the whole
/// vector.
pub fn constrain(rule: &WeightRule, w: &mut [f32], shape: &[usize]) {
    if rule.kind == RuleKind::NonNeg {
        w.iter_mut().for_each(|w| *w = w.max(0.0));
        return;
    }
    let columns = if shape.len() >= 2 {
        shape[1..].iter().product()
    } else {
        1
    };
    for column in 0..columns {
        let norm = w
            .iter()
            .skip(column)
            .step_by(columns)
            .map(|&w| w * w)
            .sum::<f32>()
            .sqrt();
        let desired = match rule.kind {
            RuleKind::MaxNorm => norm.clamp(0.0, rule.number("max_value") as f32),
            RuleKind::UnitNorm => 1.0,
            RuleKind::MinMaxNorm => {
                let (min, max) = (
                    rule.number("min_value") as f32,
                    rule.number("max_value") as f32,
                );
                let rate = rule.number("rate") as f32;
                rate * norm.clamp(min, max) + (1.0 - rate) * norm
            }
            _ => continue,
        };
        let scale = desired / (EPSILON + norm);
        w.iter_mut()
            .skip(column)
            .step_by(columns)
            .for_each(|w| *w *= scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: &[f32], expected: &[f32]) {
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < 1e-6, "{actual:?} vs {expected:?}");
        }
    }

    #[test]
    fn penalties_and_their_gradients() {
        let w = [0.5, -2.0, 0.0];
        let rule = l1_l2(0.1, 0.01);
        let expected = 0.1 * 2.5 + 0.01 * 4.25;
        assert!((penalty(&rule, &w) - expected).abs() < 1e-12);
        let mut grad = [1.0; 3];
        add_gradient(&rule, &w, &mut grad);
        close(&grad, &[1.0 + 0.1 + 0.01, 1.0 - 0.1 - 0.04, 1.0]);
    }

    #[test]
    fn constraints_project_each_unit() {
        // A kernel of 2 inputs and 2 units: the first column has norm 5, the second 0.5.
        let shape = [2, 2];
        let mut w = [3.0, 0.3, 4.0, 0.4];
        constrain(&max_norm(2.0), &mut w, &shape);
        // The column under the bound keeps its norm (to Keras's epsilon).
        close(&w, &[1.2, 0.3, 1.6, 0.4]);
        let mut w = [3.0, 0.3, 4.0, 0.4];
        constrain(&unit_norm(), &mut w, &shape);
        assert!((w[0] - 0.6).abs() < 1e-6 && (w[3] - 0.8).abs() < 1e-6);
        let mut w = [3.0, 0.3, 4.0, 0.4];
        constrain(&min_max_norm(1.0, 2.0, 0.5), &mut w, &shape);
        // Norm 5 moves half way to 2 (3.5); norm 0.5 half way to 1 (0.75).
        assert!((w[0] - 3.0 * 3.5 / 5.0).abs() < 1e-5);
        assert!((w[1] - 0.3 * 0.75 / 0.5).abs() < 1e-5);
        let mut w = [-1.0, 2.0];
        constrain(&non_neg(), &mut w, &[2]);
        assert_eq!(w, [0.0, 2.0]);
    }
}
