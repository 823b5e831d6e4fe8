//! The losses of a whole sample at once: the categorical hinge and the cosine similarity.

use super::{Gradient, EPSILON};

/// Keras's `categorical_hinge` of one sample: `max(neg - pos + 1, 0)` with
/// `pos = Σ t y` and `neg = max((1 - t) y)`; the gradient flows to the entry holding `neg`
/// (the first, on ties) and to every entry through `pos`.
pub(super) fn categorical_hinge(y: &[f32], t: &[f32], grad: Option<Gradient<'_>>) -> f64 {
    let pos: f64 = y
        .iter()
        .zip(t)
        .map(|(&y, &t)| f64::from(t) * f64::from(y))
        .sum();
    let (largest, neg) = y
        .iter()
        .zip(t)
        .map(|(&y, &t)| f64::from(1.0 - t) * f64::from(y))
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (k, v)| {
            if v > best.1 {
                (k, v)
            } else {
                best
            }
        });
    let value = neg - pos + 1.0;
    if let Some(mut grad) = grad {
        let active = value >= 0.0;
        for (k, &t) in t.iter().enumerate() {
            let derivative = if !active {
                0.0
            } else if k == largest {
                1.0 - t - t
            } else {
                -t
            };
            grad.put(k, grad.scale * derivative);
        }
    }
    value.max(0.0)
}

/// The inverse of a vector's length as Keras's `normalize` takes it: `1 / sqrt(Σ v²)`, at
/// most `1 / 1e-7`; and whether that bound holds it.
fn inverse_norm(v: &[f32]) -> (f64, bool) {
    let squares: f64 = v.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    let bound = 1.0 / f64::from(EPSILON);
    let inverse = 1.0 / squares.sqrt();
    if inverse < bound {
        (inverse, false)
    } else {
        (bound, true)
    }
}

/// Keras's `cosine_similarity` of one sample: `-Σ t̂ ŷ`, each vector divided by its length.
/// With `ŷ = y / |y|`, the gradient is `-(t̂ - (t̂·ŷ) ŷ) / |y|`; where the length's bound
/// holds, `-t̂ 1e7`.
pub(super) fn cosine_similarity(y: &[f32], t: &[f32], grad: Option<Gradient<'_>>) -> f64 {
    let (inv_y, bounded) = inverse_norm(y);
    let (inv_t, _) = inverse_norm(t);
    let t_hat = |k: usize| f64::from(t[k]) * inv_t;
    let y_hat = |k: usize| f64::from(y[k]) * inv_y;
    let cosine: f64 = (0..y.len()).map(|k| t_hat(k) * y_hat(k)).sum();
    if let Some(mut grad) = grad {
        for k in 0..y.len() {
            let derivative = if bounded {
                -t_hat(k) * inv_y
            } else {
                -(t_hat(k) - cosine * y_hat(k)) * inv_y
            };
            grad.put(k, grad.scale * derivative as f32);
        }
    }
    -cosine
}
