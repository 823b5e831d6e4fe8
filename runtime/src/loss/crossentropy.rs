//! The cross-entropies: from probabilities, clipped to `[1e-7, 1 - 1e-7]` as Keras clips
//! them, and from logits, exactly and stably, as Keras computes them for `from_logits=True`
//! or for an output that ends in the matching softmax or sigmoid.

use super::{Gradient, TargetMap, EPSILON};

/// Whether clipping to `[EPSILON, 1 - EPSILON]` changes `p`.
fn clipped(p: f32) -> bool {
    !(EPSILON..=1.0 - EPSILON).contains(&p)
}

/// `ln Σ exp(z)`, stable for any logits.
fn log_sum_exp(z: &[f32]) -> f64 {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let max = f64::from(max);
    let sum: f64 = z.iter().map(|&z| (f64::from(z) - max).exp()).sum();
    max + sum.ln()
}

/// The probability of entry `k` of `z`: `y[k]` when the softmax output is given, else
/// computed from `z` and its `lse`.
fn probability(z: &[f32], y: Option<&[f32]>, lse: f64, k: usize) -> f32 {
    match y {
        Some(y) => y[k],
        None => (f64::from(z[k]) - lse).exp() as f32,
    }
}

/// Sparse categorical cross-entropy on probabilities (each sample normalized to sum 1),
/// summed over the samples, each times its weight; with `grad`, writes its gradient.
pub(super) fn sparse_categorical(
    y: &[f32],
    labels: &[u32],
    units: usize,
    weights: Option<&[f32]>,
    mut grad: Option<Gradient<'_>>,
) -> f64 {
    let n = units.max(1);
    let mut total = 0.0;
    for (i, (y, &label)) in y.chunks_exact(n).zip(labels).enumerate() {
        let w = weights.map_or(1.0, |w| w[i]);
        let label = label as usize;
        let sum: f32 = y.iter().sum();
        let p = y[label] / sum;
        total += f64::from(w) * -f64::from(p.clamp(EPSILON, 1.0 - EPSILON)).ln();
        if let Some(grad) = grad.as_mut() {
            let mut grad = grad.sample(i, n, w);
            // dL/dp_label, zero when clipping is active.
            let dp = if clipped(p) { 0.0 } else { -1.0 / p };
            for k in 0..n {
                let onehot = if k == label { dp } else { 0.0 };
                grad.put(k, grad.scale * (onehot - dp * p) / sum);
            }
        }
    }
    total
}

/// One sample of categorical cross-entropy on probabilities: with p = y / Σy clipped,
/// `-Σ t ln p`; its gradient through g_i = dL/dp_i is dL/dy_k = (g_k - Σ_i g_i p_i) / Σy.
pub(super) fn categorical(y: &[f32], t: &[f32], map: TargetMap, grad: Option<Gradient<'_>>) -> f64 {
    let sum: f32 = y.iter().sum();
    let loss = y
        .iter()
        .zip(t)
        .map(|(&y, &t)| {
            let p = (y / sum).clamp(EPSILON, 1.0 - EPSILON);
            -f64::from(map.apply(t)) * f64::from(p).ln()
        })
        .sum();
    if let Some(mut grad) = grad {
        let dp = |y: f32, t: f32| {
            let p = y / sum;
            if clipped(p) {
                0.0
            } else {
                -map.apply(t) / p
            }
        };
        let dot: f32 = y.iter().zip(t).map(|(&y, &t)| dp(y, t) * y / sum).sum();
        for (k, (&y, &t)) in y.iter().zip(t).enumerate() {
            grad.put(k, grad.scale * (dp(y, t) - dot) / sum);
        }
    }
    loss
}

/// Softmax then sparse categorical cross-entropy from the logits `z`, summed over the
/// samples as `Σ wᵢ (logsumexp(zᵢ) - zᵢ[label])`; with `dz`, writes `scale wᵢ (pᵢ - onehot)`,
/// `p` the softmax output `y` when given, else computed from `z`.
///
/// # Panics
/// If a label is not below `units`.
pub(super) fn sparse_softmax_cross_entropy(
    z: &[f32],
    y: Option<&[f32]>,
    labels: &[u32],
    units: usize,
    weights: Option<&[f32]>,
    mut dz: Option<Gradient<'_>>,
) -> f64 {
    let n = units.max(1);
    let mut total = 0.0;
    for (i, (z, &label)) in z.chunks_exact(n).zip(labels).enumerate() {
        let w = weights.map_or(1.0, |w| w[i]);
        let lse = log_sum_exp(z);
        total += f64::from(w) * (lse - f64::from(z[label as usize]));
        if let Some(dz) = dz.as_mut() {
            let y = y.map(|y| &y[i * n..(i + 1) * n]);
            let mut dz = dz.sample(i, n, w);
            for k in 0..n {
                let onehot = if k == label as usize { 1.0 } else { 0.0 };
                dz.put(k, dz.scale * (probability(z, y, lse, k) - onehot));
            }
        }
    }
    total
}

/// One sample of softmax then categorical cross-entropy from the logits `z`:
/// `Σ t (logsumexp(z) - z)`; its gradient is `scale (p Σt - t)`, `p` the softmax output `y`
/// when given, else computed from `z`.
pub(super) fn softmax_sample(
    z: &[f32],
    y: Option<&[f32]>,
    t: &[f32],
    map: TargetMap,
    grad: Option<Gradient<'_>>,
) -> f64 {
    let lse = log_sum_exp(z);
    if let Some(mut grad) = grad {
        let total: f32 = t.iter().map(|&t| map.apply(t)).sum();
        for (k, &t) in t.iter().enumerate() {
            let p = probability(z, y, lse, k);
            grad.put(k, grad.scale * (p * total - map.apply(t)));
        }
    }
    z.iter()
        .zip(t)
        .map(|(&z, &t)| f64::from(map.apply(t)) * (lse - f64::from(z)))
        .sum()
}

/// [`softmax_sample`] over a batch, each sample times its weight.
pub(super) fn softmax_cross_entropy(
    z: &[f32],
    y: Option<&[f32]>,
    target: &[f32],
    units: usize,
    map: TargetMap,
    weights: Option<&[f32]>,
    dz: Option<Gradient<'_>>,
) -> f64 {
    per_sample(z, y, target, units, weights, dz, |z, y, t, dz| {
        softmax_sample(z, y, t, map, dz)
    })
}

/// One sample of sigmoid then binary cross-entropy from the logits `z`: the mean over its
/// units of `max(z, 0) - z t + ln(1 + exp(-|z|))`; its gradient is `scale (p - t) / units`,
/// `p` the sigmoid output `y` when given, else computed from `z`.
pub(super) fn sigmoid_sample(
    z: &[f32],
    y: Option<&[f32]>,
    t: &[f32],
    map: TargetMap,
    grad: Option<Gradient<'_>>,
) -> f64 {
    let n = z.len().max(1);
    if let Some(mut grad) = grad {
        let factor = grad.scale / n as f32;
        for (k, (&z, &t)) in z.iter().zip(t).enumerate() {
            let p = y.map_or_else(|| sigmoid(z), |y| y[k]);
            grad.put(k, factor * (p - map.apply(t)));
        }
    }
    let sum: f64 = z
        .iter()
        .zip(t)
        .map(|(&z, &t)| {
            let (z, t) = (f64::from(z), f64::from(map.apply(t)));
            z.max(0.0) - z * t + (-z.abs()).exp().ln_1p()
        })
        .sum();
    sum / n as f64
}

/// [`sigmoid_sample`] over a batch, each sample times its weight.
pub(super) fn sigmoid_binary_cross_entropy(
    z: &[f32],
    y: Option<&[f32]>,
    target: &[f32],
    units: usize,
    map: TargetMap,
    weights: Option<&[f32]>,
    dz: Option<Gradient<'_>>,
) -> f64 {
    per_sample(z, y, target, units, weights, dz, |z, y, t, dz| {
        sigmoid_sample(z, y, t, map, dz)
    })
}

/// A stable sigmoid.
pub(super) fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        z.exp() / (1.0 + z.exp())
    }
}

/// `sample(zᵢ, yᵢ, tᵢ, dzᵢ)` summed over the samples, each times its weight.
fn per_sample(
    z: &[f32],
    y: Option<&[f32]>,
    target: &[f32],
    units: usize,
    weights: Option<&[f32]>,
    mut dz: Option<Gradient<'_>>,
    sample: impl Fn(&[f32], Option<&[f32]>, &[f32], Option<Gradient<'_>>) -> f64,
) -> f64 {
    let n = units.max(1);
    let mut total = 0.0;
    for (i, (z, t)) in z.chunks_exact(n).zip(target.chunks_exact(n)).enumerate() {
        let w = weights.map_or(1.0, |w| w[i]);
        let y = y.map(|y| &y[i * n..(i + 1) * n]);
        let dz = dz.as_mut().map(|dz| dz.sample(i, n, w));
        total += f64::from(w) * sample(z, y, t, dz);
    }
    total
}
