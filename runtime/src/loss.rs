//! Losses, named and computed as Keras computes them.
//!
//! The [`Loss`] implementations take probabilities (Keras's `from_logits=False`); the
//! fused functions take the logits of a matching output activation, as Keras does then.

use std::ops::RangeInclusive;

use crate::activation::ActivationKind;
use crate::network::TargetView;

/// Keras's `epsilon()`, the clipping margin of the cross-entropies.
const EPSILON: f32 = 1e-7;

/// A training loss, summed over the samples of a batch.
pub trait Loss: 'static {
    /// The name written in a `model!` declaration: `"mse"`.
    const NAME: &'static str;
    /// The long name Keras writes into training configs: `"mean_squared_error"`.
    const KERAS_NAME: &'static str;
    /// Target element: `u32` class labels (sparse) or `f32` values.
    type Elem: Copy + Default + 'static;
    /// Whether a sample's target is one class label rather than `units` values.
    const SPARSE: bool = false;
    /// Sum over the samples of the per-sample loss. `y` holds n samples of `units` values;
    /// `target` n samples of 1 (sparse) or `units` values.
    fn loss(y: &[f32], target: &[Self::Elem], units: usize) -> f64;
    /// Writes (or adds to, when `accumulate`) `grad` the value `scale * dSum/dy`.
    fn gradient(
        y: &[f32],
        target: &[Self::Elem],
        units: usize,
        scale: f32,
        grad: &mut [f32],
        accumulate: bool,
    );
}

/// Stores `value` in `slot`, or adds it when `accumulate`.
fn put(slot: &mut f32, value: f32, accumulate: bool) {
    if accumulate {
        *slot += value;
    } else {
        *slot = value;
    }
}

/// The sample length for chunking: `units`, or 1 when there are no units (and no values).
fn chunk(units: usize) -> usize {
    units.max(1)
}

/// Sums `per_element(y, t)` over all elements, divided by `units`: the summed per-sample means.
fn mean_over_units(
    y: &[f32],
    target: &[f32],
    units: usize,
    per_element: impl Fn(f64) -> f64,
) -> f64 {
    debug_assert_eq!(y.len(), target.len());
    let sum: f64 = y
        .iter()
        .zip(target)
        .map(|(&y, &t)| per_element(f64::from(y) - f64::from(t)))
        .sum();
    sum / chunk(units) as f64
}

/// Writes `scale / units * derivative(y - t)` for every element.
fn mean_gradient(
    y: &[f32],
    target: &[f32],
    units: usize,
    scale: f32,
    grad: &mut [f32],
    accumulate: bool,
    derivative: impl Fn(f32) -> f32,
) {
    debug_assert_eq!(y.len(), target.len());
    debug_assert_eq!(y.len(), grad.len());
    let factor = scale / chunk(units) as f32;
    for ((g, &y), &t) in grad.iter_mut().zip(y).zip(target) {
        put(g, factor * derivative(y - t), accumulate);
    }
}

/// One output's loss over a batch of `samples`, reduced as Keras reduces it
/// (`sum_over_batch_size`): `Σ wᵢ lᵢ / samples`, each `wᵢ` 1 when `weights` is `None`.
pub fn mean_loss<L: Loss>(
    y: &[f32],
    target: &[L::Elem],
    units: usize,
    samples: usize,
    weights: Option<&[f32]>,
) -> f64 {
    let sum = match weights {
        None => L::loss(y, target, units),
        Some(weights) => per_sample::<L>(y, target, units)
            .zip(weights)
            .map(|((y, target), &w)| f64::from(w) * L::loss(y, target, units))
            .sum(),
    };
    sum / samples as f64
}

/// Writes (or adds to, when `accumulate`) `grad` the value `scale * d(Σ wᵢ lᵢ)/dy`, each `wᵢ`
/// 1 when `weights` is `None`.
pub fn loss_gradient<L: Loss>(
    y: &[f32],
    target: &[L::Elem],
    units: usize,
    scale: f32,
    weights: Option<&[f32]>,
    grad: &mut [f32],
    accumulate: bool,
) {
    let Some(weights) = weights else {
        return L::gradient(y, target, units, scale, grad, accumulate);
    };
    let grads = grad.chunks_exact_mut(chunk(units));
    for (((y, target), grad), &w) in per_sample::<L>(y, target, units).zip(grads).zip(weights) {
        L::gradient(y, target, units, scale * w, grad, accumulate);
    }
}

/// Each sample's outputs and targets.
fn per_sample<'a, L: Loss>(
    y: &'a [f32],
    target: &'a [L::Elem],
    units: usize,
) -> impl Iterator<Item = (&'a [f32], &'a [L::Elem])> {
    let target_width = if L::SPARSE { 1 } else { chunk(units) };
    y.chunks_exact(chunk(units))
        .zip(target.chunks_exact(target_width))
}

/// Sample `index`'s weight, 1 without weights.
fn weight_of(weights: Option<&[f32]>, index: usize) -> f32 {
    weights.map_or(1.0, |w| w[index])
}

/// Keras's `sparse_categorical_crossentropy` on probabilities, with `u32` class labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SparseCategoricalCrossentropy;

impl Loss for SparseCategoricalCrossentropy {
    const NAME: &'static str = "sparse_categorical_crossentropy";
    const KERAS_NAME: &'static str = "sparse_categorical_crossentropy";
    type Elem = u32;
    const SPARSE: bool = true;

    /// # Panics
    /// If a label is not below `units` (labels are validated when built, see `data::Labels`).
    fn loss(y: &[f32], target: &[u32], units: usize) -> f64 {
        debug_assert_eq!(y.len(), target.len() * units);
        y.chunks_exact(chunk(units))
            .zip(target)
            .map(|(y, &label)| {
                let p = y[label as usize] / y.iter().sum::<f32>();
                -f64::from(p.clamp(EPSILON, 1.0 - EPSILON)).ln()
            })
            .sum()
    }

    /// # Panics
    /// If a label is not below `units`.
    fn gradient(
        y: &[f32],
        target: &[u32],
        units: usize,
        scale: f32,
        grad: &mut [f32],
        accumulate: bool,
    ) {
        debug_assert_eq!(y.len(), grad.len());
        let samples = y
            .chunks_exact(chunk(units))
            .zip(grad.chunks_exact_mut(chunk(units)));
        for ((y, grad), &label) in samples.zip(target) {
            let label = label as usize;
            let sum: f32 = y.iter().sum();
            let p = y[label] / sum;
            // dL/dp_label, zero when clipping is active.
            let dp = if clipped(p) { 0.0 } else { -1.0 / p };
            for (k, g) in grad.iter_mut().enumerate() {
                let onehot = if k == label { dp } else { 0.0 };
                put(g, scale * (onehot - dp * p) / sum, accumulate);
            }
        }
    }
}

/// Whether clipping to `[EPSILON, 1 - EPSILON]` changes `p`.
fn clipped(p: f32) -> bool {
    !(EPSILON..=1.0 - EPSILON).contains(&p)
}

/// Keras's `categorical_crossentropy` on probabilities, with one-hot (or soft) targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CategoricalCrossentropy;

impl Loss for CategoricalCrossentropy {
    const NAME: &'static str = "categorical_crossentropy";
    const KERAS_NAME: &'static str = "categorical_crossentropy";
    type Elem = f32;

    fn loss(y: &[f32], target: &[f32], units: usize) -> f64 {
        debug_assert_eq!(y.len(), target.len());
        y.chunks_exact(chunk(units))
            .zip(target.chunks_exact(chunk(units)))
            .map(|(y, t)| {
                let sum: f32 = y.iter().sum();
                y.iter()
                    .zip(t)
                    .map(|(&y, &t)| {
                        let p = (y / sum).clamp(EPSILON, 1.0 - EPSILON);
                        -f64::from(t) * f64::from(p).ln()
                    })
                    .sum::<f64>()
            })
            .sum()
    }

    fn gradient(
        y: &[f32],
        target: &[f32],
        units: usize,
        scale: f32,
        grad: &mut [f32],
        accumulate: bool,
    ) {
        debug_assert_eq!(y.len(), target.len());
        debug_assert_eq!(y.len(), grad.len());
        let n = chunk(units);
        let samples = y.chunks_exact(n).zip(target.chunks_exact(n));
        for ((y, t), grad) in samples.zip(grad.chunks_exact_mut(n)) {
            categorical_sample_gradient(y, t, scale, grad, accumulate);
        }
    }
}

/// One sample of the categorical gradient: with p = y / Σy and g_i = dL/dp_i,
/// dL/dy_k = (g_k - Σ_i g_i p_i) / Σy.
fn categorical_sample_gradient(
    y: &[f32],
    t: &[f32],
    scale: f32,
    grad: &mut [f32],
    accumulate: bool,
) {
    let sum: f32 = y.iter().sum();
    let dp = |y: f32, t: f32| {
        let p = y / sum;
        if clipped(p) {
            0.0
        } else {
            -t / p
        }
    };
    let dot: f32 = y.iter().zip(t).map(|(&y, &t)| dp(y, t) * y / sum).sum();
    for ((g, &y), &t) in grad.iter_mut().zip(y).zip(t) {
        put(g, scale * (dp(y, t) - dot) / sum, accumulate);
    }
}

/// Keras's `binary_crossentropy` on probabilities, averaged over each sample's units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BinaryCrossentropy;

impl Loss for BinaryCrossentropy {
    const NAME: &'static str = "binary_crossentropy";
    const KERAS_NAME: &'static str = "binary_crossentropy";
    type Elem = f32;

    fn loss(y: &[f32], target: &[f32], units: usize) -> f64 {
        debug_assert_eq!(y.len(), target.len());
        let sum: f64 = y
            .iter()
            .zip(target)
            .map(|(&y, &t)| {
                let p = f64::from(y.clamp(EPSILON, 1.0 - EPSILON));
                let t = f64::from(t);
                -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
            })
            .sum();
        sum / chunk(units) as f64
    }

    fn gradient(
        y: &[f32],
        target: &[f32],
        units: usize,
        scale: f32,
        grad: &mut [f32],
        accumulate: bool,
    ) {
        debug_assert_eq!(y.len(), target.len());
        debug_assert_eq!(y.len(), grad.len());
        let factor = scale / chunk(units) as f32;
        for ((g, &y), &t) in grad.iter_mut().zip(y).zip(target) {
            let d = if clipped(y) {
                0.0
            } else {
                (y - t) / (y * (1.0 - y))
            };
            put(g, factor * d, accumulate);
        }
    }
}

/// Keras's `mean_squared_error`: the mean of `(y - t)²` over each sample's units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanSquaredError;

impl Loss for MeanSquaredError {
    const NAME: &'static str = "mse";
    const KERAS_NAME: &'static str = "mean_squared_error";
    type Elem = f32;

    fn loss(y: &[f32], target: &[f32], units: usize) -> f64 {
        mean_over_units(y, target, units, |e| e * e)
    }

    fn gradient(
        y: &[f32],
        target: &[f32],
        units: usize,
        scale: f32,
        grad: &mut [f32],
        accumulate: bool,
    ) {
        mean_gradient(y, target, units, scale, grad, accumulate, |e| 2.0 * e);
    }
}

/// Keras's `mean_absolute_error`: the mean of `|y - t|` over each sample's units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanAbsoluteError;

impl Loss for MeanAbsoluteError {
    const NAME: &'static str = "mae";
    const KERAS_NAME: &'static str = "mean_absolute_error";
    type Elem = f32;

    fn loss(y: &[f32], target: &[f32], units: usize) -> f64 {
        mean_over_units(y, target, units, f64::abs)
    }

    fn gradient(
        y: &[f32],
        target: &[f32],
        units: usize,
        scale: f32,
        grad: &mut [f32],
        accumulate: bool,
    ) {
        mean_gradient(y, target, units, scale, grad, accumulate, sign);
    }
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

/// Keras's `huber` with `delta = 1`: quadratic within 1 of the target, linear beyond.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Huber;

impl Loss for Huber {
    const NAME: &'static str = "huber";
    const KERAS_NAME: &'static str = "huber";
    type Elem = f32;

    fn loss(y: &[f32], target: &[f32], units: usize) -> f64 {
        mean_over_units(y, target, units, |e| {
            if e.abs() <= 1.0 {
                0.5 * e * e
            } else {
                e.abs() - 0.5
            }
        })
    }

    fn gradient(
        y: &[f32],
        target: &[f32],
        units: usize,
        scale: f32,
        grad: &mut [f32],
        accumulate: bool,
    ) {
        mean_gradient(y, target, units, scale, grad, accumulate, |e| {
            e.clamp(-1.0, 1.0)
        });
    }
}

/// `ln Σ exp(z)`, stable for any logits.
fn log_sum_exp(z: &[f32]) -> f64 {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let max = f64::from(max);
    let sum: f64 = z.iter().map(|&z| (f64::from(z) - max).exp()).sum();
    max + sum.ln()
}

/// Softmax then sparse categorical cross-entropy, from the logits `z` (Keras's result
/// for a `softmax` output). `y` is softmax(z). Returns the summed loss
/// `Σ wᵢ (logsumexp(zᵢ) - zᵢ[label])` and, if `dz` is given, writes `scale * wᵢ (yᵢ - onehot)`
/// to it; each `wᵢ` is 1 when `weights` is `None`.
///
/// # Panics
/// If a label is not below `units`.
pub fn sparse_softmax_cross_entropy(
    z: &[f32],
    y: &[f32],
    labels: &[u32],
    units: usize,
    scale: f32,
    weights: Option<&[f32]>,
    dz: Option<&mut [f32]>,
) -> f64 {
    debug_assert_eq!(z.len(), y.len());
    debug_assert_eq!(z.len(), labels.len() * units);
    let n = chunk(units);
    if let Some(dz) = dz {
        let samples = y.chunks_exact(n).zip(dz.chunks_exact_mut(n));
        for (i, ((y, dz), &label)) in samples.zip(labels).enumerate() {
            let scale = scale * weight_of(weights, i);
            for (k, (d, &y)) in dz.iter_mut().zip(y).enumerate() {
                let onehot = if k == label as usize { 1.0 } else { 0.0 };
                *d = scale * (y - onehot);
            }
        }
    }
    z.chunks_exact(n)
        .zip(labels)
        .enumerate()
        .map(|(i, (z, &label))| {
            let loss = log_sum_exp(z) - f64::from(z[label as usize]);
            weighted(loss, weights, i)
        })
        .sum()
}

/// `loss` times sample `index`'s weight, untouched without weights.
fn weighted(loss: f64, weights: Option<&[f32]>, index: usize) -> f64 {
    match weights {
        None => loss,
        Some(w) => f64::from(w[index]) * loss,
    }
}

/// Softmax then categorical cross-entropy, from the logits `z` (Keras's result for a
/// `softmax` output). `y` is softmax(z). Returns the summed loss `Σ wᵢ Σ t (logsumexp(z) - z)`
/// and, if `dz` is given, writes `scale * wᵢ (y Σt - t)` to it; each `wᵢ` is 1 when `weights`
/// is `None`.
pub fn softmax_cross_entropy(
    z: &[f32],
    y: &[f32],
    target: &[f32],
    units: usize,
    scale: f32,
    weights: Option<&[f32]>,
    dz: Option<&mut [f32]>,
) -> f64 {
    debug_assert_eq!(z.len(), y.len());
    debug_assert_eq!(z.len(), target.len());
    let n = chunk(units);
    if let Some(dz) = dz {
        let samples = y.chunks_exact(n).zip(target.chunks_exact(n));
        for (i, ((y, t), dz)) in samples.zip(dz.chunks_exact_mut(n)).enumerate() {
            let scale = scale * weight_of(weights, i);
            let total: f32 = t.iter().sum();
            for ((d, &y), &t) in dz.iter_mut().zip(y).zip(t) {
                *d = scale * (y * total - t);
            }
        }
    }
    z.chunks_exact(n)
        .zip(target.chunks_exact(n))
        .enumerate()
        .map(|(i, (z, t))| {
            let lse = log_sum_exp(z);
            let loss = z
                .iter()
                .zip(t)
                .map(|(&z, &t)| f64::from(t) * (lse - f64::from(z)))
                .sum::<f64>();
            weighted(loss, weights, i)
        })
        .sum()
}

/// Sigmoid then binary cross-entropy, from the logits `z` (Keras's result for a `sigmoid`
/// output). `y` is sigmoid(z). Returns the summed per-sample mean of
/// `max(z, 0) - z t + ln(1 + exp(-|z|))`, each sample's times its weight `wᵢ`, and, if `dz` is
/// given, writes `scale * wᵢ (y - t) / units` to it; each `wᵢ` is 1 when `weights` is `None`.
pub fn sigmoid_binary_cross_entropy(
    z: &[f32],
    y: &[f32],
    target: &[f32],
    units: usize,
    scale: f32,
    weights: Option<&[f32]>,
    dz: Option<&mut [f32]>,
) -> f64 {
    debug_assert_eq!(z.len(), y.len());
    debug_assert_eq!(z.len(), target.len());
    let n = chunk(units);
    if let Some(dz) = dz {
        let samples = y.chunks_exact(n).zip(target.chunks_exact(n));
        for (i, ((y, t), dz)) in samples.zip(dz.chunks_exact_mut(n)).enumerate() {
            let scale = scale * weight_of(weights, i);
            mean_gradient(y, t, units, scale, dz, false, |e| e);
        }
    }
    let sum: f64 = z
        .chunks_exact(n)
        .zip(target.chunks_exact(n))
        .enumerate()
        .map(|(i, (z, t))| {
            let loss: f64 = z
                .iter()
                .zip(t)
                .map(|(&z, &t)| {
                    let (z, t) = (f64::from(z), f64::from(t));
                    z.max(0.0) - z * t + (-z.abs()).exp().ln_1p()
                })
                .sum();
            weighted(loss, weights, i)
        })
        .sum();
    sum / n as f64
}

/// A loss chosen at run time, for files and dynamically built models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LossKind {
    /// [`SparseCategoricalCrossentropy`].
    SparseCategoricalCrossentropy,
    /// [`CategoricalCrossentropy`].
    CategoricalCrossentropy,
    /// [`BinaryCrossentropy`].
    BinaryCrossentropy,
    /// [`MeanSquaredError`].
    MeanSquaredError,
    /// [`MeanAbsoluteError`].
    MeanAbsoluteError,
    /// [`Huber`].
    Huber,
}

impl LossKind {
    /// Every loss, in declaration order.
    pub const ALL: [LossKind; 6] = [
        Self::SparseCategoricalCrossentropy,
        Self::CategoricalCrossentropy,
        Self::BinaryCrossentropy,
        Self::MeanSquaredError,
        Self::MeanAbsoluteError,
        Self::Huber,
    ];

    /// The name written in a `model!` declaration: `"mse"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SparseCategoricalCrossentropy => SparseCategoricalCrossentropy::NAME,
            Self::CategoricalCrossentropy => CategoricalCrossentropy::NAME,
            Self::BinaryCrossentropy => BinaryCrossentropy::NAME,
            Self::MeanSquaredError => MeanSquaredError::NAME,
            Self::MeanAbsoluteError => MeanAbsoluteError::NAME,
            Self::Huber => Huber::NAME,
        }
    }

    /// The long name Keras writes into training configs: `"mean_squared_error"`.
    pub fn keras_name(self) -> &'static str {
        match self {
            Self::SparseCategoricalCrossentropy => SparseCategoricalCrossentropy::KERAS_NAME,
            Self::CategoricalCrossentropy => CategoricalCrossentropy::KERAS_NAME,
            Self::BinaryCrossentropy => BinaryCrossentropy::KERAS_NAME,
            Self::MeanSquaredError => MeanSquaredError::KERAS_NAME,
            Self::MeanAbsoluteError => MeanAbsoluteError::KERAS_NAME,
            Self::Huber => Huber::KERAS_NAME,
        }
    }

    /// Keras's class name: `"MeanSquaredError"`.
    fn class_name(self) -> &'static str {
        match self {
            Self::SparseCategoricalCrossentropy => "SparseCategoricalCrossentropy",
            Self::CategoricalCrossentropy => "CategoricalCrossentropy",
            Self::BinaryCrossentropy => "BinaryCrossentropy",
            Self::MeanSquaredError => "MeanSquaredError",
            Self::MeanAbsoluteError => "MeanAbsoluteError",
            Self::Huber => "Huber",
        }
    }

    /// Parses a short name (`"mse"`), a Keras function name (`"mean_squared_error"`),
    /// a Keras class name (`"MeanSquaredError"`), or Keras's aliases `"MSE"`, `"MAE"`
    /// and `"huber_loss"`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "MSE" => return Some(Self::MeanSquaredError),
            "MAE" => return Some(Self::MeanAbsoluteError),
            "huber_loss" => return Some(Self::Huber),
            _ => {}
        }
        Self::ALL.into_iter().find(|kind| {
            kind.name() == name || kind.keras_name() == name || kind.class_name() == name
        })
    }

    /// Whether the targets are `u32` class labels rather than `f32` values.
    pub fn sparse_targets(self) -> bool {
        self == Self::SparseCategoricalCrossentropy
    }

    /// The output activation whose logits the loss takes instead of its probabilities, as
    /// Keras does: a softmax for the categorical cross-entropies, a sigmoid for the binary
    /// one. A model computes the loss from the logits when its output ends in it.
    pub fn fuses_with(self) -> Option<ActivationKind> {
        match self {
            Self::SparseCategoricalCrossentropy | Self::CategoricalCrossentropy => {
                Some(ActivationKind::Softmax)
            }
            Self::BinaryCrossentropy => Some(ActivationKind::Sigmoid),
            Self::MeanSquaredError | Self::MeanAbsoluteError | Self::Huber => None,
        }
    }

    /// The numbers of output units the loss makes sense on: at least two classes for the
    /// categorical cross-entropies, one unit for the binary one.
    pub fn units(self) -> RangeInclusive<usize> {
        match self {
            Self::SparseCategoricalCrossentropy | Self::CategoricalCrossentropy => 2..=usize::MAX,
            Self::BinaryCrossentropy => 1..=1,
            Self::MeanSquaredError | Self::MeanAbsoluteError | Self::Huber => 1..=usize::MAX,
        }
    }

    /// [`mean_loss`] of this loss on staged targets of the right kind.
    pub fn mean_loss(
        self,
        y: &[f32],
        target: TargetView<'_>,
        units: usize,
        samples: usize,
        weights: Option<&[f32]>,
    ) -> f64 {
        match (self, target) {
            (Self::SparseCategoricalCrossentropy, TargetView::Classes(t)) => {
                mean_loss::<SparseCategoricalCrossentropy>(y, t, units, samples, weights)
            }
            (Self::CategoricalCrossentropy, TargetView::Values(t)) => {
                mean_loss::<CategoricalCrossentropy>(y, t, units, samples, weights)
            }
            (Self::BinaryCrossentropy, TargetView::Values(t)) => {
                mean_loss::<BinaryCrossentropy>(y, t, units, samples, weights)
            }
            (Self::MeanSquaredError, TargetView::Values(t)) => {
                mean_loss::<MeanSquaredError>(y, t, units, samples, weights)
            }
            (Self::MeanAbsoluteError, TargetView::Values(t)) => {
                mean_loss::<MeanAbsoluteError>(y, t, units, samples, weights)
            }
            (Self::Huber, TargetView::Values(t)) => {
                mean_loss::<Huber>(y, t, units, samples, weights)
            }
            (kind, _) => unreachable!("{} was staged the wrong kind of targets", kind.name()),
        }
    }

    /// [`loss_gradient`] of this loss on staged targets of the right kind.
    #[allow(clippy::too_many_arguments)]
    pub fn loss_gradient(
        self,
        y: &[f32],
        target: TargetView<'_>,
        units: usize,
        scale: f32,
        weights: Option<&[f32]>,
        grad: &mut [f32],
        accumulate: bool,
    ) {
        match (self, target) {
            (Self::SparseCategoricalCrossentropy, TargetView::Classes(t)) => {
                loss_gradient::<SparseCategoricalCrossentropy>(
                    y, t, units, scale, weights, grad, accumulate,
                )
            }
            (Self::CategoricalCrossentropy, TargetView::Values(t)) => {
                loss_gradient::<CategoricalCrossentropy>(
                    y, t, units, scale, weights, grad, accumulate,
                )
            }
            (Self::BinaryCrossentropy, TargetView::Values(t)) => {
                loss_gradient::<BinaryCrossentropy>(y, t, units, scale, weights, grad, accumulate)
            }
            (Self::MeanSquaredError, TargetView::Values(t)) => {
                loss_gradient::<MeanSquaredError>(y, t, units, scale, weights, grad, accumulate)
            }
            (Self::MeanAbsoluteError, TargetView::Values(t)) => {
                loss_gradient::<MeanAbsoluteError>(y, t, units, scale, weights, grad, accumulate)
            }
            (Self::Huber, TargetView::Values(t)) => {
                loss_gradient::<Huber>(y, t, units, scale, weights, grad, accumulate)
            }
            (kind, _) => unreachable!("{} was staged the wrong kind of targets", kind.name()),
        }
    }

    /// The loss computed from the logits `z` of its [`fuses_with`](Self::fuses_with)
    /// activation (and its output `y`), writing `scale * dLoss/dz` into `dz` when given:
    /// [`sparse_softmax_cross_entropy`], [`softmax_cross_entropy`] or
    /// [`sigmoid_binary_cross_entropy`]. `None` for the losses that fuse with nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn fused(
        self,
        z: &[f32],
        y: &[f32],
        target: TargetView<'_>,
        units: usize,
        scale: f32,
        weights: Option<&[f32]>,
        dz: Option<&mut [f32]>,
    ) -> Option<f64> {
        Some(match (self, target) {
            (Self::SparseCategoricalCrossentropy, TargetView::Classes(t)) => {
                sparse_softmax_cross_entropy(z, y, t, units, scale, weights, dz)
            }
            (Self::CategoricalCrossentropy, TargetView::Values(t)) => {
                softmax_cross_entropy(z, y, t, units, scale, weights, dz)
            }
            (Self::BinaryCrossentropy, TargetView::Values(t)) => {
                sigmoid_binary_cross_entropy(z, y, t, units, scale, weights, dz)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64, tol: f64) {
        assert!(
            (actual - expected).abs() <= tol * expected.abs().max(1.0),
            "{actual} vs {expected}"
        );
    }

    /// Deterministic pseudo-random values in [-1, 1).
    fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// Central difference of `f` in each coordinate of `x`, with step 1e-3.
    fn numeric_gradient(x: &[f32], f: impl Fn(&[f32]) -> f64) -> Vec<f64> {
        let eps = 1e-3_f32;
        (0..x.len())
            .map(|i| {
                let (mut plus, mut minus) = (x.to_vec(), x.to_vec());
                plus[i] += eps;
                minus[i] -= eps;
                (f(&plus) - f(&minus)) / (f64::from(plus[i]) - f64::from(minus[i]))
            })
            .collect()
    }

    /// Asserts `analytic ≈ numeric` within 1e-4 absolute plus 1e-2 relative.
    fn assert_gradient(analytic: &[f32], numeric: &[f64], what: &str) {
        assert_eq!(analytic.len(), numeric.len());
        for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
            let err = (f64::from(a) - n).abs();
            assert!(
                err <= 1e-4 + 1e-2 * n.abs(),
                "{what}[{i}]: analytic {a}, numeric {n}"
            );
        }
    }

    /// Checks `L::gradient` against finite differences of `L::loss`, overwriting and
    /// accumulating.
    fn check_gradient<L: Loss>(y: &[f32], target: &[L::Elem], units: usize) {
        let scale = 0.5;
        let numeric: Vec<f64> = numeric_gradient(y, |y| L::loss(y, target, units))
            .into_iter()
            .map(|g| f64::from(scale) * g)
            .collect();
        let mut grad = vec![f32::NAN; y.len()];
        L::gradient(y, target, units, scale, &mut grad, false);
        assert_gradient(&grad, &numeric, L::NAME);
        assert!(grad.iter().any(|&g| g != 0.0), "{}: all zero", L::NAME);

        let start = pseudo_random(y.len(), 3);
        let mut summed = start.clone();
        L::gradient(y, target, units, scale, &mut summed, true);
        for ((&s, &a), &g) in summed.iter().zip(&start).zip(&grad) {
            assert!(
                (s - (a + g)).abs() <= 1e-6 * (1.0 + g.abs()),
                "{}: {s} != {a} + {g}",
                L::NAME
            );
        }
    }

    // Two samples of three probabilities; the second sums to 2 and is normalised.
    const PROBS: [f32; 6] = [0.2, 0.3, 0.5, 0.2, 1.4, 0.4];

    #[test]
    fn sparse_categorical_crossentropy_value() {
        let loss = SparseCategoricalCrossentropy::loss(&PROBS, &[2, 1], 3);
        // -ln 0.5 - ln 0.7
        assert_close(loss, 1.049_822_124_498_677_8, 1e-6);
    }

    #[test]
    fn categorical_crossentropy_value() {
        let target = [0.0, 0.0, 1.0, 0.5, 0.5, 0.0];
        let loss = CategoricalCrossentropy::loss(&PROBS, &target, 3);
        // -ln 0.5 - 0.5 ln 0.1 - 0.5 ln 0.7
        assert_close(loss, 2.022_777_199_026_334, 1e-6);
    }

    #[test]
    fn binary_crossentropy_value_clips() {
        let y = [0.9, 0.2, 0.6, 0.0];
        let target = [1.0, 0.0, 0.0, 0.0];
        let loss = BinaryCrossentropy::loss(&y, &target, 2);
        // (-ln 0.9 - ln 0.8) / 2 + (-ln 0.4 - ln(1 - 1e-7)) / 2
        assert_close(loss, 0.622_397_449_423_097_9, 1e-6);
        // A confidently wrong prediction costs -ln(1e-7), not infinity.
        let loss = BinaryCrossentropy::loss(&[0.0], &[1.0], 1);
        assert_close(loss, 16.118_095_650_958_32, 1e-5);
    }

    const REGRESSION_Y: [f32; 4] = [1.0, 2.0, 3.0, 5.0];
    const REGRESSION_T: [f32; 4] = [0.5, 2.0, 1.0, 1.0];

    #[test]
    fn regression_values() {
        let (y, t) = (&REGRESSION_Y, &REGRESSION_T);
        // Errors (0.5, 0) and (2, 4), averaged per sample, summed over the two samples.
        assert_close(MeanSquaredError::loss(y, t, 2), 0.125 + 10.0, 1e-12);
        assert_close(MeanAbsoluteError::loss(y, t, 2), 0.25 + 3.0, 1e-12);
        assert_close(Huber::loss(y, t, 2), 0.0625 + (1.5 + 3.5) / 2.0, 1e-12);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let labels = [2, 1];
        check_gradient::<SparseCategoricalCrossentropy>(&PROBS, &labels, 3);
        let target = [0.0, 0.0, 1.0, 0.5, 0.5, 0.0];
        check_gradient::<CategoricalCrossentropy>(&PROBS, &target, 3);
        let y = [0.9, 0.2, 0.6, 0.35];
        let target = [1.0, 0.0, 0.0, 0.7];
        check_gradient::<BinaryCrossentropy>(&y, &target, 2);
        // Regression points away from the kinks of mae and huber.
        let y = [1.0, 2.3, 3.0, 5.0, -0.2, 0.4];
        let target = [0.5, 2.0, 1.0, 1.0, 0.1, 1.9];
        check_gradient::<MeanSquaredError>(&y, &target, 3);
        check_gradient::<MeanAbsoluteError>(&y, &target, 3);
        check_gradient::<Huber>(&y, &target, 3);
    }

    #[test]
    fn gradients_vanish_where_clipping_is_active() {
        let mut grad = [f32::NAN; 3];
        SparseCategoricalCrossentropy::gradient(&[0.0, 2.0, 0.0], &[1], 3, 1.0, &mut grad, false);
        assert_eq!(grad, [0.0; 3]);
        BinaryCrossentropy::gradient(&[0.0, 1.0, 0.5], &[1.0, 0.0, 1.0], 3, 1.0, &mut grad, false);
        assert_eq!(grad[..2], [0.0, 0.0]);
        assert_close(f64::from(grad[2]), -2.0 / 3.0, 1e-6);
    }

    #[test]
    fn mae_gradient_is_zero_at_the_target() {
        let mut grad = [f32::NAN; 3];
        MeanAbsoluteError::gradient(&[1.0, 2.0, 0.0], &[1.0, 1.0, 3.0], 3, 3.0, &mut grad, false);
        assert_eq!(grad, [0.0, 1.0, -1.0]);
    }

    /// A stable softmax of each sample, for the fused tests.
    fn softmax(z: &[f32], units: usize) -> Vec<f32> {
        z.chunks(units)
            .flat_map(|z| {
                let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = z.iter().map(|&z| (z - max).exp()).collect();
                let sum: f32 = e.iter().sum();
                e.into_iter().map(move |e| e / sum)
            })
            .collect()
    }

    /// A stable sigmoid, for the fused tests.
    fn sigmoid(z: &[f32]) -> Vec<f32> {
        z.iter()
            .map(|&z| {
                if z >= 0.0 {
                    1.0 / (1.0 + (-z).exp())
                } else {
                    z.exp() / (1.0 + z.exp())
                }
            })
            .collect()
    }

    const UNITS: usize = 4;

    fn logits() -> Vec<f32> {
        pseudo_random(3 * UNITS, 5)
            .iter()
            .map(|v| 2.0 * v)
            .collect()
    }

    #[test]
    fn fused_sparse_softmax_cross_entropy() {
        let (z, labels, scale) = (logits(), [3, 0, 2], 0.25);
        let y = softmax(&z, UNITS);
        let mut dz = vec![f32::NAN; z.len()];
        let loss = sparse_softmax_cross_entropy(&z, &y, &labels, UNITS, scale, None, Some(&mut dz));
        assert_close(
            loss,
            SparseCategoricalCrossentropy::loss(&y, &labels, UNITS),
            1e-5,
        );
        let numeric: Vec<f64> = numeric_gradient(&z, |z| {
            sparse_softmax_cross_entropy(z, &softmax(z, UNITS), &labels, UNITS, 1.0, None, None)
        });
        let numeric: Vec<f64> = numeric.iter().map(|g| 0.25 * g).collect();
        assert_gradient(&dz, &numeric, "sparse_softmax_cross_entropy");
    }

    #[test]
    fn fused_softmax_cross_entropy() {
        let z = logits();
        // The second sample's targets sum to 0.8, so dz's `y Σt` term matters.
        let target = [0.0, 0.0, 0.0, 1.0, 0.3, 0.5, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let y = softmax(&z, UNITS);
        let mut dz = vec![f32::NAN; z.len()];
        let loss = softmax_cross_entropy(&z, &y, &target, UNITS, 2.0, None, Some(&mut dz));
        assert_close(
            loss,
            CategoricalCrossentropy::loss(&y, &target, UNITS),
            1e-5,
        );
        let numeric: Vec<f64> = numeric_gradient(&z, |z| {
            softmax_cross_entropy(z, &softmax(z, UNITS), &target, UNITS, 1.0, None, None)
        });
        let numeric: Vec<f64> = numeric.iter().map(|g| 2.0 * g).collect();
        assert_gradient(&dz, &numeric, "softmax_cross_entropy");
    }

    #[test]
    fn fused_sigmoid_binary_cross_entropy() {
        let z = logits();
        let target: Vec<f32> = pseudo_random(z.len(), 9).iter().map(|t| t.abs()).collect();
        let y = sigmoid(&z);
        let mut dz = vec![f32::NAN; z.len()];
        let loss = sigmoid_binary_cross_entropy(&z, &y, &target, UNITS, 0.5, None, Some(&mut dz));
        assert_close(loss, BinaryCrossentropy::loss(&y, &target, UNITS), 1e-5);
        let numeric: Vec<f64> = numeric_gradient(&z, |z| {
            sigmoid_binary_cross_entropy(z, &sigmoid(z), &target, UNITS, 1.0, None, None)
        });
        let numeric: Vec<f64> = numeric.iter().map(|g| 0.5 * g).collect();
        assert_gradient(&dz, &numeric, "sigmoid_binary_cross_entropy");
    }

    /// Checks the weighted loss against the per-sample losses times their weights, and its
    /// gradient against finite differences.
    fn check_weighted<L: Loss>(y: &[f32], target: &[L::Elem], units: usize, weights: &[f32]) {
        let per_sample: f64 = per_sample::<L>(y, target, units)
            .zip(weights)
            .map(|((y, t), &w)| f64::from(w) * L::loss(y, t, units))
            .sum();
        let samples = weights.len();
        let loss = mean_loss::<L>(y, target, units, samples, Some(weights));
        assert_close(loss, per_sample / samples as f64, 1e-12);
        let ones = vec![1.0; samples];
        assert_close(
            mean_loss::<L>(y, target, units, samples, Some(&ones)),
            mean_loss::<L>(y, target, units, samples, None),
            1e-12,
        );
        let scale = 0.5;
        let numeric: Vec<f64> =
            numeric_gradient(y, |y| mean_loss::<L>(y, target, units, 1, Some(weights)))
                .into_iter()
                .map(|g| f64::from(scale) * g)
                .collect();
        let mut grad = vec![f32::NAN; y.len()];
        loss_gradient::<L>(y, target, units, scale, Some(weights), &mut grad, false);
        assert_gradient(&grad, &numeric, L::NAME);
    }

    #[test]
    fn weighted_losses_match_finite_differences() {
        let weights = [0.25, 3.0];
        check_weighted::<SparseCategoricalCrossentropy>(&PROBS, &[2, 1], 3, &weights);
        let target = [0.0, 0.0, 1.0, 0.5, 0.5, 0.0];
        check_weighted::<CategoricalCrossentropy>(&PROBS, &target, 3, &weights);
        let (y, target) = ([0.9, 0.2, 0.6, 0.35], [1.0, 0.0, 0.0, 0.7]);
        check_weighted::<BinaryCrossentropy>(&y, &target, 2, &weights);
        let y = [1.0, 2.3, 3.0, 5.0, -0.2, 0.4];
        let target = [0.5, 2.0, 1.0, 1.0, 0.1, 1.9];
        check_weighted::<MeanSquaredError>(&y, &target, 3, &weights);
        check_weighted::<MeanAbsoluteError>(&y, &target, 3, &weights);
        check_weighted::<Huber>(&y, &target, 3, &weights);
        // A zero weight takes the sample out of the loss and of the gradient.
        let mut grad = [f32::NAN; 6];
        loss_gradient::<MeanSquaredError>(&y, &target, 3, 1.0, Some(&[0.0, 1.0]), &mut grad, false);
        assert_eq!(&grad[..3], &[0.0; 3]);
    }

    #[test]
    fn weighted_fused_losses_match_the_plain_ones_and_finite_differences() {
        let (z, weights) = (logits(), [0.5, 0.0, 2.0]);
        let y = softmax(&z, UNITS);
        let labels = [3, 0, 2];
        let mut dz = vec![f32::NAN; z.len()];
        let loss = sparse_softmax_cross_entropy(
            &z,
            &y,
            &labels,
            UNITS,
            1.0,
            Some(&weights),
            Some(&mut dz),
        );
        let plain =
            mean_loss::<SparseCategoricalCrossentropy>(&y, &labels, UNITS, 1, Some(&weights));
        assert_close(loss, plain, 1e-5);
        let numeric = numeric_gradient(&z, |z| {
            sparse_softmax_cross_entropy(
                z,
                &softmax(z, UNITS),
                &labels,
                UNITS,
                1.0,
                Some(&weights),
                None,
            )
        });
        assert_gradient(&dz, &numeric, "weighted sparse_softmax_cross_entropy");

        let target = [0.0, 0.0, 0.0, 1.0, 0.3, 0.5, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let loss =
            softmax_cross_entropy(&z, &y, &target, UNITS, 1.0, Some(&weights), Some(&mut dz));
        let plain = mean_loss::<CategoricalCrossentropy>(&y, &target, UNITS, 1, Some(&weights));
        assert_close(loss, plain, 1e-5);
        let numeric = numeric_gradient(&z, |z| {
            softmax_cross_entropy(
                z,
                &softmax(z, UNITS),
                &target,
                UNITS,
                1.0,
                Some(&weights),
                None,
            )
        });
        assert_gradient(&dz, &numeric, "weighted softmax_cross_entropy");

        let target: Vec<f32> = pseudo_random(z.len(), 9).iter().map(|t| t.abs()).collect();
        let y = sigmoid(&z);
        let loss = sigmoid_binary_cross_entropy(
            &z,
            &y,
            &target,
            UNITS,
            1.0,
            Some(&weights),
            Some(&mut dz),
        );
        let plain = mean_loss::<BinaryCrossentropy>(&y, &target, UNITS, 1, Some(&weights));
        assert_close(loss, plain, 1e-5);
        let numeric = numeric_gradient(&z, |z| {
            sigmoid_binary_cross_entropy(z, &sigmoid(z), &target, UNITS, 1.0, Some(&weights), None)
        });
        assert_gradient(&dz, &numeric, "weighted sigmoid_binary_cross_entropy");
    }

    #[test]
    fn fused_losses_are_finite_for_huge_logits() {
        let z = [1e4, -1e4, 0.0, 0.0];
        let y = softmax(&z, UNITS);
        let mut dz = [f32::NAN; 4];
        let loss = sparse_softmax_cross_entropy(&z, &y, &[1], UNITS, 1.0, None, Some(&mut dz));
        assert_close(loss, 2e4, 1e-6);
        assert_eq!(dz, [1.0, -1.0, 0.0, 0.0]);

        let target = [0.0, 1.0, 0.0, 0.0];
        let loss = softmax_cross_entropy(&z, &y, &target, UNITS, 1.0, None, Some(&mut dz));
        assert_close(loss, 2e4, 1e-6);
        assert_eq!(dz, [1.0, -1.0, 0.0, 0.0]);

        let target = [0.0, 1.0, 1.0, 0.0];
        let y = sigmoid(&z);
        let loss = sigmoid_binary_cross_entropy(&z, &y, &target, UNITS, 1.0, None, Some(&mut dz));
        // (1e4 + 1e4 + ln 2 + ln 2) / 4
        assert_close(loss, 5e3 + 0.5 * std::f64::consts::LN_2, 1e-6);
        assert_eq!(dz, [0.25, -0.25, -0.125, 0.125]);
    }

    #[test]
    fn names_round_trip() {
        for kind in LossKind::ALL {
            assert_eq!(LossKind::from_name(kind.name()), Some(kind));
            assert_eq!(LossKind::from_name(kind.keras_name()), Some(kind));
            assert_eq!(LossKind::from_name(kind.class_name()), Some(kind));
            assert_eq!(
                kind.sparse_targets(),
                kind == LossKind::SparseCategoricalCrossentropy
            );
        }
        assert_eq!(LossKind::MeanSquaredError.name(), "mse");
        assert_eq!(
            LossKind::MeanSquaredError.keras_name(),
            "mean_squared_error"
        );
        assert_eq!(
            LossKind::from_name("MAE"),
            Some(LossKind::MeanAbsoluteError)
        );
        assert_eq!(LossKind::from_name("mean_squared"), None);
    }
}
