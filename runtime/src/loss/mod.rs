//! Losses, named and computed as Keras computes them.
//!
//! A [`Loss`] is a [`LossKind`] (described once, in [`densely::spec`](crate::spec)) with
//! its arguments: `from_logits`, `label_smoothing`, `delta`. Each output of a model trains on
//! one. A loss is reduced as Keras reduces it (`sum_over_batch_size`): the sum of the
//! samples' losses, each times its sample weight, over the number of samples.
//!
//! ```
//! use densely::loss::{Loss, LossKind};
//!
//! let loss = Loss::named("categorical_crossentropy")
//!     .unwrap()
//!     .with("from_logits", true)?
//!     .with("label_smoothing", 0.1)?;
//! assert_eq!(loss.kind(), LossKind::CategoricalCrossentropy);
//! assert!(loss.is_from_logits());
//! assert!(Loss::named("mse").unwrap().with("from_logits", true).is_err());
//! # Ok::<(), densely::spec::ArgError>(())
//! ```

mod crossentropy;
mod pointwise;
mod vector;

use std::borrow::Cow;

use crate::activation::ActivationKind;
use crate::network::TargetView;
use crate::spec::{ArgError, Value};

use crossentropy::sparse_softmax_cross_entropy;
use crossentropy::{sigmoid_binary_cross_entropy, softmax_cross_entropy};

pub use crate::spec::LossKind;

/// Keras's `epsilon()`, the clipping margin of the losses.
const EPSILON: f32 = 1e-7;

/// A loss with its arguments, as an output trains on it: Keras's
/// `keras.losses.CategoricalCrossentropy(from_logits=True)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Loss {
    kind: LossKind,
    /// Every argument of the kind, checked, in its spec's order.
    args: Cow<'static, [Value]>,
}

impl From<LossKind> for Loss {
    fn from(kind: LossKind) -> Self {
        Loss::new(kind)
    }
}

/// The arguments the math reads, taken from a loss's values once per batch.
#[derive(Clone, Copy, Debug)]
struct Settings {
    from_logits: bool,
    label_smoothing: f32,
    delta: f32,
}

impl Loss {
    /// The loss `kind` with Keras's default arguments.
    pub fn new(kind: LossKind) -> Self {
        let args = kind.spec().args.iter().map(|a| a.default.clone()).collect();
        Loss {
            kind,
            args: Cow::Owned(args),
        }
    }

    /// The loss a `model!` declaration writes: `args` are every argument of `kind`, checked,
    /// in its spec's order.
    #[doc(hidden)]
    pub const fn declared(kind: LossKind, args: &'static [Value]) -> Self {
        Loss {
            kind,
            args: Cow::Borrowed(args),
        }
    }

    /// The loss a declaration or Keras calls `name` (`"mse"`, `"mean_squared_error"`,
    /// `"MeanSquaredError"`), with its default arguments.
    pub fn named(name: &str) -> Option<Self> {
        LossKind::from_name(name).map(Self::new)
    }

    /// The loss with its argument `arg` (Keras's name) set to `value`; the error says when
    /// the loss has no such argument or the value breaks its rule.
    pub fn with(mut self, arg: &str, value: impl Into<Value>) -> Result<Self, ArgError> {
        let spec = self.kind.spec();
        let Some((index, arg)) = spec.arg(arg) else {
            let known: Vec<String> = spec.args.iter().map(|a| format!("`{}`", a.name)).collect();
            return Err(ArgError {
                arg: "",
                message: format!(
                    "{} takes no argument `{arg}`; {}",
                    spec.name,
                    if known.is_empty() {
                        "it takes none".to_owned()
                    } else {
                        format!("it takes {}", known.join(", "))
                    }
                ),
            });
        };
        self.args.to_mut()[index] = arg.check(value.into())?;
        Ok(self)
    }

    /// The value of argument `name`, when the loss takes it.
    fn arg(&self, name: &str) -> Option<&Value> {
        let (index, _) = self.kind.spec().arg(name)?;
        self.args.get(index)
    }

    /// The arguments the math reads: the one place the runtime reads them by name.
    fn settings(&self) -> Settings {
        let number = |name: &str, default: f32| {
            self.arg(name)
                .and_then(Value::as_f64)
                .map_or(default, |x| x as f32)
        };
        Settings {
            from_logits: self.is_from_logits(),
            label_smoothing: number("label_smoothing", 0.0),
            delta: number("delta", 1.0),
        }
    }

    /// Every argument of the loss with its value, in its spec's order.
    pub fn args(&self) -> Vec<(&'static str, Value)> {
        let spec = self.kind.spec();
        spec.args
            .iter()
            .zip(self.args.iter())
            .map(|(arg, value)| (arg.name, value.clone()))
            .collect()
    }

    /// The arguments that differ from Keras's defaults, as a declaration writes them.
    pub fn given_args(&self) -> Vec<(&'static str, Value)> {
        let spec = self.kind.spec();
        self.args()
            .into_iter()
            .zip(spec.args)
            .filter(|((_, value), arg)| *value != arg.default)
            .map(|(given, _)| given)
            .collect()
    }

    /// The loss's kind.
    pub fn kind(&self) -> LossKind {
        self.kind
    }

    /// The name a declaration writes: `"mse"`.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// Whether the output gives logits that the loss turns into probabilities itself.
    pub fn is_from_logits(&self) -> bool {
        self.arg("from_logits")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Whether the targets are `u32` class labels rather than `f32` values.
    pub fn sparse_targets(&self) -> bool {
        self.kind.sparse_targets()
    }

    /// The output activation whose logits the loss takes instead of its probabilities, as
    /// Keras does: a softmax for the categorical cross-entropies, a sigmoid for the binary
    /// one. A model computes the loss from the logits when its output ends in it; a loss
    /// `from_logits` takes its output as logits already.
    pub fn fuses_with(&self) -> Option<ActivationKind> {
        let spec = self.kind.spec();
        spec.fuses_with_args(&self.args)
            .and_then(ActivationKind::from_name)
    }

    /// Whether it fits an output of `units` units; the error says how many it needs.
    pub fn check_units(&self, units: usize) -> Result<(), String> {
        self.kind.spec().check_units(units)
    }

    /// The map applied to every target value before the loss reads it: label smoothing, and
    /// the hinges' reading of 0/1 targets as -1/1 when every target of the batch is 0 or 1.
    fn target_map(&self, settings: Settings, target: &[f32], units: usize) -> TargetMap {
        let smoothing = settings.label_smoothing;
        match self.kind {
            LossKind::CategoricalCrossentropy if smoothing > 0.0 => TargetMap {
                scale: 1.0 - smoothing,
                shift: smoothing / units as f32,
            },
            LossKind::BinaryCrossentropy if smoothing > 0.0 => TargetMap {
                scale: 1.0 - smoothing,
                shift: 0.5 * smoothing,
            },
            LossKind::Hinge | LossKind::SquaredHinge
                if target.iter().all(|&t| t == 0.0 || t == 1.0) =>
            {
                TargetMap {
                    scale: 2.0,
                    shift: -1.0,
                }
            }
            _ => TargetMap::IDENTITY,
        }
    }

    /// One output's loss over a batch of `samples`: `Σ wᵢ lᵢ / samples`, each `wᵢ` 1 when
    /// `weights` is `None`. `y` holds `samples` samples of `units` values; `target` one label
    /// or `units` values per sample.
    pub fn mean_loss(
        &self,
        y: &[f32],
        target: TargetView<'_>,
        units: usize,
        samples: usize,
        weights: Option<&[f32]>,
    ) -> f64 {
        self.batch(y, target, units, 0.0, weights, None, false) / samples as f64
    }

    /// Writes (or adds to, when `accumulate`) `grad` the value `scale * d(Σ wᵢ lᵢ)/dy`, each
    /// `wᵢ` 1 when `weights` is `None`.
    #[allow(clippy::too_many_arguments)]
    pub fn loss_gradient(
        &self,
        y: &[f32],
        target: TargetView<'_>,
        units: usize,
        scale: f32,
        weights: Option<&[f32]>,
        grad: &mut [f32],
        accumulate: bool,
    ) {
        self.batch(y, target, units, scale, weights, Some(grad), accumulate);
    }

    /// The summed weighted loss of a batch and, with `grad`, its gradient times `scale`.
    #[allow(clippy::too_many_arguments)]
    fn batch(
        &self,
        y: &[f32],
        target: TargetView<'_>,
        units: usize,
        scale: f32,
        weights: Option<&[f32]>,
        grad: Option<&mut [f32]>,
        accumulate: bool,
    ) -> f64 {
        let n = units.max(1);
        let settings = self.settings();
        match target {
            TargetView::Classes(labels) if settings.from_logits => {
                let grad = grad.map(|g| Gradient::new(g, scale, accumulate));
                sparse_softmax_cross_entropy(y, None, labels, units, weights, grad)
            }
            TargetView::Classes(labels) => {
                let grad = grad.map(|g| Gradient::new(g, scale, accumulate));
                crossentropy::sparse_categorical(y, labels, units, weights, grad)
            }
            TargetView::Values(target) => {
                let map = self.target_map(settings, target, units);
                let mut grads = grad.map(|g| g.chunks_exact_mut(n));
                let mut sum = 0.0;
                for (i, (y, t)) in y.chunks_exact(n).zip(target.chunks_exact(n)).enumerate() {
                    let w = weights.map_or(1.0, |w| w[i]);
                    let grad = grads.as_mut().and_then(Iterator::next);
                    let grad = grad.map(|g| Gradient::new(g, scale * w, accumulate));
                    sum += f64::from(w) * self.sample(settings, y, t, map, grad);
                }
                sum
            }
        }
    }

    /// One sample's loss on values, writing its gradient when asked.
    fn sample(
        &self,
        settings: Settings,
        y: &[f32],
        t: &[f32],
        map: TargetMap,
        grad: Option<Gradient<'_>>,
    ) -> f64 {
        match self.kind {
            LossKind::CategoricalCrossentropy if settings.from_logits => {
                crossentropy::softmax_sample(y, None, t, map, grad)
            }
            LossKind::CategoricalCrossentropy => crossentropy::categorical(y, t, map, grad),
            LossKind::CategoricalHinge => vector::categorical_hinge(y, t, grad),
            LossKind::CosineSimilarity => vector::cosine_similarity(y, t, grad),
            LossKind::KlDivergence => pointwise::summed(y, t, grad, pointwise::kl_divergence),
            LossKind::BinaryCrossentropy if settings.from_logits => {
                crossentropy::sigmoid_sample(y, None, t, map, grad)
            }
            kind => {
                let delta = settings.delta;
                let point = move |y: f32, t: f32| pointwise::point(kind, delta, y, map.apply(t));
                pointwise::averaged(y, t, grad, point)
            }
        }
    }

    /// The loss computed from the logits `z` of its [`fuses_with`](Self::fuses_with)
    /// activation and that activation's output `y`, writing `scale * dLoss/dz` into `dz`
    /// when given; the sum over the samples, each times its weight. `None` for the losses
    /// that fuse with nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn fused(
        &self,
        z: &[f32],
        y: &[f32],
        target: TargetView<'_>,
        units: usize,
        scale: f32,
        weights: Option<&[f32]>,
        dz: Option<&mut [f32]>,
    ) -> Option<f64> {
        self.fuses_with()?;
        let dz = dz.map(|dz| Gradient::new(dz, scale, false));
        Some(match target {
            TargetView::Classes(labels) => {
                sparse_softmax_cross_entropy(z, Some(y), labels, units, weights, dz)
            }
            TargetView::Values(target) => {
                let map = self.target_map(self.settings(), target, units);
                match self.kind {
                    LossKind::CategoricalCrossentropy => {
                        softmax_cross_entropy(z, Some(y), target, units, map, weights, dz)
                    }
                    _ => sigmoid_binary_cross_entropy(z, Some(y), target, units, map, weights, dz),
                }
            }
        })
    }
}

/// The loss as a declaration writes it: `mse`, or
/// `categorical_crossentropy(from_logits = true)` when it has arguments other than Keras's
/// defaults.
impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())?;
        let given = self.given_args();
        if given.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = given
            .iter()
            .map(|(name, value)| format!("{name} = {value}"))
            .collect();
        write!(f, "({})", listed.join(", "))
    }
}

/// What a runtime model takes as an output's loss: a name Keras knows (`"mse"`), a
/// [`LossKind`], or a [`Loss`] with its arguments.
pub trait IntoLoss {
    /// The loss, or the name that names none.
    fn into_loss(self) -> Result<Loss, String>;
}

impl IntoLoss for &str {
    fn into_loss(self) -> Result<Loss, String> {
        Loss::named(self).ok_or_else(|| self.to_owned())
    }
}

impl IntoLoss for &String {
    fn into_loss(self) -> Result<Loss, String> {
        self.as_str().into_loss()
    }
}

impl IntoLoss for Loss {
    fn into_loss(self) -> Result<Loss, String> {
        Ok(self)
    }
}

impl IntoLoss for LossKind {
    fn into_loss(self) -> Result<Loss, String> {
        Ok(Loss::new(self))
    }
}

/// `t * scale + shift`: how a loss reads each target value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetMap {
    scale: f32,
    shift: f32,
}

impl TargetMap {
    /// The targets as given.
    pub const IDENTITY: TargetMap = TargetMap {
        scale: 1.0,
        shift: 0.0,
    };

    /// The target value the loss reads for `t`.
    fn apply(self, t: f32) -> f32 {
        if self == Self::IDENTITY {
            t
        } else {
            t * self.scale + self.shift
        }
    }
}

/// Where a loss writes its gradient: the buffer of a batch or one sample, the factor each
/// value is multiplied by, and whether it adds to what is there.
pub struct Gradient<'a> {
    values: &'a mut [f32],
    scale: f32,
    accumulate: bool,
}

impl<'a> Gradient<'a> {
    /// Writes (or adds, when `accumulate`) `scale * d` for each derivative `d`.
    pub fn new(values: &'a mut [f32], scale: f32, accumulate: bool) -> Self {
        Gradient {
            values,
            scale,
            accumulate,
        }
    }

    /// Stores `value` (already scaled) at `index`.
    fn put(&mut self, index: usize, value: f32) {
        let slot = &mut self.values[index];
        if self.accumulate {
            *slot += value;
        } else {
            *slot = value;
        }
    }

    /// The gradient of sample `index` of `n` values, scaled by `weight` more.
    fn sample(&mut self, index: usize, n: usize, weight: f32) -> Gradient<'_> {
        Gradient {
            values: &mut self.values[index * n..(index + 1) * n],
            scale: self.scale * weight,
            accumulate: self.accumulate,
        }
    }
}

#[cfg(test)]
mod tests;
