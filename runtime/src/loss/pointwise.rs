//! The losses computed value by value and averaged (or, for the KL divergence, summed) over
//! a sample's units: each as Keras writes it, with its derivative where Keras's gradient
//! flows (zero where a clip or a `max` holds the value).

use super::{Gradient, LossKind, EPSILON};

/// The loss of one predicted value `y` against its target `t` (already mapped), in `f64`,
/// and its derivative in `y`.
///
/// # Panics
/// For a kind that is not computed value by value.
pub(super) fn point(kind: LossKind, delta: f32, y: f32, t: f32) -> (f64, f32) {
    let e = y - t;
    let wide = f64::from(y) - f64::from(t);
    match kind {
        LossKind::MeanSquaredError => (wide * wide, 2.0 * e),
        LossKind::MeanAbsoluteError => (wide.abs(), sign(e)),
        LossKind::Huber => {
            let delta_wide = f64::from(delta);
            if wide.abs() <= delta_wide {
                (0.5 * wide * wide, e.clamp(-delta, delta))
            } else {
                (
                    delta_wide * wide.abs() - 0.5 * delta_wide * delta_wide,
                    e.clamp(-delta, delta),
                )
            }
        }
        LossKind::BinaryCrossentropy => {
            let p = f64::from(y.clamp(EPSILON, 1.0 - EPSILON));
            let value = -(f64::from(t) * p.ln() + (1.0 - f64::from(t)) * (1.0 - p).ln());
            let clipped = !(EPSILON..=1.0 - EPSILON).contains(&y);
            let derivative = if clipped {
                0.0
            } else {
                (y - t) / (y * (1.0 - y))
            };
            (value, derivative)
        }
        LossKind::Hinge => {
            let margin = 1.0 - t * y;
            if margin >= 0.0 {
                (f64::from(margin), -t)
            } else {
                (0.0, 0.0)
            }
        }
        LossKind::SquaredHinge => {
            let margin = (1.0 - t * y).max(0.0);
            (f64::from(margin) * f64::from(margin), -2.0 * margin * t)
        }
        LossKind::LogCosh => {
            // ln cosh x = |x| + ln(1 + exp(-2|x|)) - ln 2, stable for any x.
            let x = wide.abs();
            let value = x + (-2.0 * x).exp().ln_1p() - std::f64::consts::LN_2;
            (value, wide.tanh() as f32)
        }
        LossKind::Poisson => {
            let shifted = y + EPSILON;
            let value = f64::from(y) - f64::from(t) * f64::from(shifted).ln();
            (value, 1.0 - t / shifted)
        }
        LossKind::MeanAbsolutePercentageError => {
            let scale = t.abs().max(EPSILON);
            let value = 100.0 * (wide / f64::from(scale)).abs();
            (value, 100.0 * sign(e) / scale)
        }
        LossKind::MeanSquaredLogarithmicError => {
            let log = |v: f32| f64::from(v.max(EPSILON) + 1.0).ln();
            let gap = log(y) - log(t);
            let derivative = if y >= EPSILON {
                (2.0 * gap / f64::from(y + 1.0)) as f32
            } else {
                0.0
            };
            (gap * gap, derivative)
        }
        other => unreachable!("{} is not computed value by value", other.name()),
    }
}

/// The mean over a sample's units of `point(y, t)`; with `grad`, writes the mean's
/// gradient.
pub(super) fn averaged(
    y: &[f32],
    t: &[f32],
    grad: Option<Gradient<'_>>,
    point: impl Fn(f32, f32) -> (f64, f32),
) -> f64 {
    let n = y.len().max(1);
    let factor = grad.as_ref().map_or(0.0, |g| g.scale / n as f32);
    summed_with(y, t, grad, factor, point) / n as f64
}

/// The sum over a sample's units of `point(y, t)`; with `grad`, writes the sum's gradient.
pub(super) fn summed(
    y: &[f32],
    t: &[f32],
    grad: Option<Gradient<'_>>,
    point: impl Fn(f32, f32) -> (f64, f32),
) -> f64 {
    let factor = grad.as_ref().map_or(0.0, |g| g.scale);
    summed_with(y, t, grad, factor, point)
}

/// `Σ point(y, t)`, writing `factor * derivative` for each value when `grad` is given.
fn summed_with(
    y: &[f32],
    t: &[f32],
    mut grad: Option<Gradient<'_>>,
    factor: f32,
    point: impl Fn(f32, f32) -> (f64, f32),
) -> f64 {
    let mut sum = 0.0;
    for (k, (&y, &t)) in y.iter().zip(t).enumerate() {
        let (value, derivative) = point(y, t);
        sum += value;
        if let Some(grad) = grad.as_mut() {
            grad.put(k, factor * derivative);
        }
    }
    sum
}

/// Keras's `kl_divergence` term of one value: `t ln(t / y)`, both clipped to `[1e-7, 1]`.
pub(super) fn kl_divergence(y: f32, t: f32) -> (f64, f32) {
    let t = t.clamp(EPSILON, 1.0);
    let clipped = y.clamp(EPSILON, 1.0);
    let value = f64::from(t) * (f64::from(t) / f64::from(clipped)).ln();
    let derivative = if (EPSILON..=1.0).contains(&y) {
        -t / y
    } else {
        0.0
    };
    (value, derivative)
}

/// The sign of `e`, 0 at 0.
fn sign(e: f32) -> f32 {
    if e > 0.0 {
        1.0
    } else if e < 0.0 {
        -1.0
    } else {
        0.0
    }
}
