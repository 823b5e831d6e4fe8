//! Keras's optimizers, with its defaults and update rules.
//!
//! Every optimizer is an [`Optim`] of one update [`Rule`]: the shared part (learning rate,
//! gradient clipping, weight decay, the iteration count and the per-parameter slots) is
//! written once here, and each rule only says how one parameter moves.
//!
//! ```
//! use densely::optimizers::{Adam, Optimizer, Sgd};
//!
//! let sgd = Sgd::default(); // Keras's "sgd": learning rate 0.01, no momentum
//! assert_eq!(sgd.learning_rate(), 0.01);
//! let adam = Adam::new(1e-3).amsgrad(true).clipnorm(1.0);
//! assert_eq!(adam.keras_class_name(), "Adam");
//! ```

mod adagrad;
mod adam;
mod nadam;
mod rmsprop;
mod sgd;

use std::fmt;

use serde_json::{json, Map, Value};

use crate::error::NonFinite;
use crate::layers::ParamMut;

pub use adagrad::AdagradRule;
pub use adam::{AdamRule, AdamWRule};
pub use nadam::NadamRule;
pub use rmsprop::RmsPropRule;
pub use sgd::SgdRule;

/// Stochastic gradient descent, with optional (Nesterov) momentum: Keras's `SGD`.
pub type Sgd = Optim<SgdRule>;
/// Adam, optionally AMSGrad: Keras's `Adam`.
pub type Adam = Optim<AdamRule>;
/// Adam with decoupled weight decay (0.004 by default): Keras's `AdamW`.
pub type AdamW = Optim<AdamWRule>;
/// RMSprop, optionally centered and with momentum: Keras's `RMSprop`.
pub type RmsProp = Optim<RmsPropRule>;
/// Adagrad: Keras's `Adagrad`.
pub type Adagrad = Optim<AdagradRule>;
/// Adam with Nesterov momentum: Keras's `Nadam`.
pub type Nadam = Optim<NadamRule>;

/// Visits every trainable tensor of a model, in a fixed order, with its gradient.
pub type ParamVisitor<'a> = dyn FnMut(&mut dyn FnMut(ParamMut<'_>)) + 'a;

/// What training needs of an optimizer; implemented by every [`Optim`].
pub trait Optimizer: fmt::Debug + Send + Sync {
    /// Keras's class name: `SGD`, `Adam`, ...
    fn keras_class_name(&self) -> &'static str;
    /// The current learning rate.
    fn learning_rate(&self) -> f32;
    /// Sets the learning rate (what Keras's learning-rate callbacks do).
    fn set_learning_rate(&mut self, learning_rate: f32);
    /// How many updates have been applied.
    fn iterations(&self) -> u64;
    /// Forgets every slot and the iteration count, as compiling a Keras model again does.
    fn reset(&mut self);
    /// Applies one update to every tensor that `params` visits: clipping, weight decay, then
    /// the rule. The first call sizes the slots; later calls allocate nothing.
    ///
    /// A step that would put a NaN or an infinity into the weights is not applied: with a
    /// setting or a gradient that is not finite, nothing is changed; a step that overflows is
    /// undone. The error says which, and the weights and slots are as they were.
    fn apply(&mut self, params: &mut ParamVisitor<'_>) -> Result<(), NonFinite>;
    /// The hyperparameters as Keras writes them in `optimizer_config.config`.
    fn config(&self) -> Map<String, Value>;
    /// The names of the slots each tensor has with these settings, in Keras's order.
    fn slot_names(&self) -> Vec<&'static str>;
    /// The slots of every tensor: `(tensor index, slot name, values)`, tensor by tensor.
    fn slots(&self) -> Vec<(usize, &'static str, &[f32])>;
    /// Replaces the slots and iteration count, as read back from a file; errors when their
    /// count or sizes don't fit.
    fn set_slots(&mut self, iterations: u64, slots: Vec<Vec<Vec<f32>>>) -> Result<(), String>;
    /// A boxed copy.
    fn box_clone(&self) -> Box<dyn Optimizer>;
}

impl Clone for Box<dyn Optimizer> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

/// How one parameter tensor moves in one step.
pub trait Rule: Clone + fmt::Debug + Send + Sync + 'static {
    /// Keras's class name.
    const CLASS_NAME: &'static str;
    /// The names of the per-tensor slots (`momentum`, `velocity`, ...).
    const SLOTS: &'static [&'static str];
    /// The learning rate Keras defaults to.
    const DEFAULT_LEARNING_RATE: f32;
    /// The weight decay Keras defaults to.
    const DEFAULT_WEIGHT_DECAY: Option<f32> = None;
    /// Whether slot `index` is in use with these settings (SGD without momentum has none).
    fn uses_slot(&self, _index: usize) -> bool {
        true
    }
    /// The value a slot starts from.
    fn initial_slot_value(&self, _index: usize) -> f32 {
        0.0
    }
    /// Whether every step of this rule stays within a fixed multiple of the learning rate
    /// times the largest gradient, so that calm gradients cannot overflow finite weights
    /// (Keras's usual ranges: decay rates in `[0, 1)`, a positive epsilon). A rule outside
    /// them still trains, each step checked after the fact on a copy.
    fn bounded(&self) -> bool {
        true
    }
    /// Called once per step before the tensors are updated; `iteration` counts from 0.
    fn begin_step(&mut self, _iteration: u64) {}
    /// Moves `value` against `grad`, updating this tensor's `slots`.
    fn update(
        &self,
        learning_rate: f32,
        iteration: u64,
        value: &mut [f32],
        grad: &[f32],
        slots: &mut [&mut [f32]],
    );
    /// The rule's hyperparameters, added to Keras's config.
    fn config(&self, config: &mut Map<String, Value>);
}

/// An optimizer: an update rule with Keras's shared settings and state.
#[derive(Clone, Debug)]
pub struct Optim<R: Rule> {
    rule: R,
    learning_rate: f32,
    clipnorm: Option<f32>,
    clipvalue: Option<f32>,
    global_clipnorm: Option<f32>,
    weight_decay: Option<f32>,
    iterations: u64,
    /// Per tensor, per slot in use, its values.
    slots: Vec<Vec<Vec<f32>>>,
}

impl<R: Rule + Default> Default for Optim<R> {
    fn default() -> Self {
        Optim::with_rule(R::default(), R::DEFAULT_LEARNING_RATE)
    }
}

impl<R: Rule + Default> Optim<R> {
    /// The optimizer with Keras's defaults and the given learning rate.
    pub fn new(learning_rate: f32) -> Self {
        Optim::with_rule(R::default(), learning_rate)
    }
}

impl<R: Rule> Optim<R> {
    fn with_rule(rule: R, learning_rate: f32) -> Self {
        Optim {
            rule,
            learning_rate,
            clipnorm: None,
            clipvalue: None,
            global_clipnorm: None,
            weight_decay: R::DEFAULT_WEIGHT_DECAY,
            iterations: 0,
            slots: Vec::new(),
        }
    }

    /// Clips each tensor's gradient to this L2 norm (Keras's `clipnorm`).
    pub fn clipnorm(mut self, norm: f32) -> Self {
        self.clipnorm = Some(norm);
        self
    }

    /// Clips each gradient value to `[-value, value]` (Keras's `clipvalue`).
    pub fn clipvalue(mut self, value: f32) -> Self {
        self.clipvalue = Some(value);
        self
    }

    /// Clips all gradients together to this L2 norm (Keras's `global_clipnorm`).
    pub fn global_clipnorm(mut self, norm: f32) -> Self {
        self.global_clipnorm = Some(norm);
        self
    }

    /// Decays weights by `value * weight_decay * learning_rate` before each update.
    pub fn weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = Some(weight_decay);
        self
    }

    /// The update rule, to read its settings.
    pub fn rule(&self) -> &R {
        &self.rule
    }

    fn rule_mut(mut self, f: impl FnOnce(&mut R)) -> Self {
        f(&mut self.rule);
        self
    }

    /// Refuses a step whose settings are not finite numbers (a NaN learning rate, say).
    fn check_settings(&self) -> Result<(), NonFinite> {
        let settings = [
            ("learning_rate", Some(self.learning_rate)),
            ("weight_decay", self.weight_decay),
            ("clipnorm", self.clipnorm),
            ("clipvalue", self.clipvalue),
            ("global_clipnorm", self.global_clipnorm),
        ];
        match settings
            .into_iter()
            .find_map(|(name, value)| value.filter(|v| !v.is_finite()).map(|v| (name, v)))
        {
            Some((name, value)) => Err(NonFinite::Setting { name, value }),
            None => Ok(()),
        }
    }

    /// Whether a step with calm gradients (below [`CALM_GRADIENT`]) cannot overflow finite
    /// weights: a moderate learning rate and weight decay, and a rule in its usual ranges.
    fn steps_are_bounded(&self) -> bool {
        let decay = self.weight_decay.unwrap_or(0.0) * self.learning_rate;
        self.learning_rate.abs() <= MODERATE_LEARNING_RATE
            && (0.0..=1.0).contains(&decay)
            && self.rule.bounded()
    }

    /// A step that might overflow: applied, checked, and undone if any weight or slot is
    /// not finite. Copies the weights, so it allocates; steps with calm gradients don't
    /// come here.
    fn update_checked(&mut self, params: &mut ParamVisitor<'_>) -> Result<(), NonFinite> {
        let before = self.clone();
        let mut weights = Vec::new();
        params(&mut |param| weights.push(param.value.to_vec()));
        self.update(params);
        let mut tensor = 0;
        let mut fault = None;
        params(&mut |param| {
            if fault.is_none() && param.value.iter().any(|w| !w.is_finite()) {
                fault = Some(tensor);
            }
            tensor += 1;
        });
        let slots = self.slots.iter().position(|slots| {
            slots
                .iter()
                .any(|values| values.iter().any(|v| !v.is_finite()))
        });
        let Some(tensor) = fault.or(slots) else {
            return Ok(());
        };
        *self = before;
        let mut weights = weights.into_iter();
        params(&mut |param| {
            if let Some(saved) = weights.next() {
                param.value.copy_from_slice(&saved);
            }
        });
        Err(NonFinite::Update { tensor })
    }

    /// One step of clipping, weight decay and the rule, on every tensor.
    fn update(&mut self, params: &mut ParamVisitor<'_>) {
        let global_scale = self.global_scale(params);
        self.rule.begin_step(self.iterations);
        let Optim {
            rule,
            learning_rate,
            clipnorm,
            clipvalue,
            weight_decay,
            iterations,
            slots,
            ..
        } = self;
        let mut index = 0;
        params(&mut |param| {
            clip(param.grad, *clipnorm, global_scale, *clipvalue);
            if let Some(decay) = *weight_decay {
                param
                    .value
                    .iter_mut()
                    .for_each(|w| *w -= *w * decay * *learning_rate);
            }
            if slots.len() == index {
                let len = param.value.len();
                slots.push(
                    (0..R::SLOTS.len())
                        .map(|slot| {
                            let used = rule.uses_slot(slot);
                            vec![rule.initial_slot_value(slot); if used { len } else { 0 }]
                        })
                        .collect(),
                );
            }
            update_in_parts(
                rule,
                (*learning_rate, *iterations),
                param.value,
                param.grad,
                &mut slots[index],
            );
            index += 1;
        });
        self.iterations += 1;
    }

    /// The factor `global_clipnorm` scales every gradient by this step.
    fn global_scale(&self, params: &mut ParamVisitor<'_>) -> f32 {
        let Some(limit) = self.global_clipnorm.filter(|&n| n > 0.0) else {
            return 1.0;
        };
        let mut squares = 0.0f32;
        params(&mut |param| squares += param.grad.iter().map(|g| g * g).sum::<f32>());
        limit / squares.sqrt().max(limit)
    }
}

/// The most slots a rule has (Adam's and RMSprop's three).
const MAX_SLOTS: usize = 3;

/// `rule.update` on one tensor, split over the threads of the product pool when the tensor is
/// big enough to pay for it: every rule moves each value on its own, so the parts give the
/// same bits as one pass.
fn update_in_parts<R: Rule>(
    rule: &R,
    (learning_rate, iteration): (f32, u64),
    value: &mut [f32],
    grad: &[f32],
    slots: &mut [Vec<f32>],
) {
    const { assert!(R::SLOTS.len() <= MAX_SLOTS) };
    /// A pointer the parts share; each part reaches its own range only.
    #[derive(Clone, Copy)]
    struct Shared(*mut f32);
    impl Shared {
        /// The pointer (a method, so that closures capture the whole `Shared`).
        fn at(self, offset: usize) -> *mut f32 {
            self.0.wrapping_add(offset)
        }
    }
    // SAFETY: the parts write disjoint ranges, and `for_each_part` returns when all are done.
    unsafe impl Sync for Shared {}
    unsafe impl Send for Shared {}
    let len = value.len();
    let value_ptr = Shared(value.as_mut_ptr());
    let grad_ptr = Shared(grad.as_ptr().cast_mut());
    let mut slot_ptrs = [(Shared(std::ptr::null_mut()), 0usize); MAX_SLOTS];
    for (ptr, slot) in slot_ptrs.iter_mut().zip(slots.iter_mut()) {
        *ptr = (Shared(slot.as_mut_ptr()), slot.len());
    }
    let count = slots.len();
    crate::linalg::for_each_part(len, &|range: std::ops::Range<usize>| {
        // SAFETY: `range` lies within the tensor, and no other part touches it; a slot not in
        // use (length 0) is given empty.
        unsafe {
            let value = std::slice::from_raw_parts_mut(value_ptr.at(range.start), range.len());
            let grad = std::slice::from_raw_parts(grad_ptr.at(range.start), range.len());
            let mut views: [&mut [f32]; MAX_SLOTS] = [&mut [], &mut [], &mut []];
            for (view, &(ptr, slot_len)) in views.iter_mut().zip(&slot_ptrs[..count]) {
                if slot_len == len {
                    *view = std::slice::from_raw_parts_mut(ptr.at(range.start), range.len());
                }
            }
            rule.update(learning_rate, iteration, value, grad, &mut views[..count]);
        }
    });
}

/// Gradients below this magnitude, with a [`MODERATE_LEARNING_RATE`] and a bounded rule,
/// move finite weights by far less than `f32::MAX` per step.
pub const CALM_GRADIENT: f32 = 3.4e9;

/// The largest learning rate whose steps are applied without a copy to undo them.
pub const MODERATE_LEARNING_RATE: f32 = 1e6;

/// Whether every value is finite and below [`CALM_GRADIENT`] in magnitude. One pass that
/// vectorizes: a value times 1e29 overflows exactly when it is at least about 3.4e9, and
/// an infinity times 0 is NaN, as is a NaN.
fn is_calm(values: &[f32]) -> bool {
    const LANES: usize = 16;
    const SCALE: f32 = f32::MAX / CALM_GRADIENT;
    let mut poison = [0.0f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (poison, value) in poison.iter_mut().zip(chunk) {
            *poison += (value * SCALE) * 0.0;
        }
    }
    let rest: f32 = rest.iter().map(|value| (value * SCALE) * 0.0).sum();
    poison.iter().sum::<f32>() + rest == 0.0
}

/// The largest `|value|`, or NaN or an infinity when a value is one. One pass in 16 lanes
/// over the values' bits without their signs: for magnitudes, the order of the bits is the
/// order of the values, and a NaN's bits are above an infinity's, which are above every finite
/// value's. With AVX2 where the CPU has it, which gives the same value.
pub(crate) fn largest_magnitude(values: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if crate::linalg::avx2_available() {
        // SAFETY: the CPU has AVX2.
        return unsafe { largest_magnitude_avx2(values) };
    }
    largest_magnitude_in_lanes(values)
}

/// [`largest_magnitude`] compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn largest_magnitude_avx2(values: &[f32]) -> f32 {
    largest_magnitude_in_lanes(values)
}

/// The pass of [`largest_magnitude`], for whatever instructions the caller enables.
#[inline(always)]
fn largest_magnitude_in_lanes(values: &[f32]) -> f32 {
    const LANES: usize = 16;
    const MAGNITUDE: u32 = 0x7fff_ffff;
    let mut largest = [0u32; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (largest, value) in largest.iter_mut().zip(chunk) {
            *largest = (*largest).max(value.to_bits() & MAGNITUDE);
        }
    }
    let rest = rest.iter().fold(0, |m, v| m.max(v.to_bits() & MAGNITUDE));
    f32::from_bits(largest.iter().fold(rest, |m, &v| m.max(v)))
}

/// A moving-average decay Keras's rules divide by `1 - decay` with: in `[0, 1)`.
fn steady_decay(decay: f64) -> bool {
    (0.0..1.0).contains(&decay)
}

/// An epsilon large enough to keep a rule's division finite.
fn steady_epsilon(epsilon: f32) -> bool {
    epsilon >= 1e-12 && epsilon.is_finite()
}

/// Clips one tensor's gradient as Keras does: `clipnorm`, else the global scale, else `clipvalue`.
fn clip(grad: &mut [f32], clipnorm: Option<f32>, global_scale: f32, clipvalue: Option<f32>) {
    if let Some(limit) = clipnorm.filter(|&n| n > 0.0) {
        let norm = grad.iter().map(|g| g * g).sum::<f32>().sqrt();
        if norm > 0.0 {
            let denominator = norm.max(limit);
            grad.iter_mut().for_each(|g| *g = *g * limit / denominator);
        }
    } else if global_scale != 1.0 {
        grad.iter_mut().for_each(|g| *g *= global_scale);
    } else if let Some(limit) = clipvalue.filter(|&v| v > 0.0) {
        grad.iter_mut().for_each(|g| *g = g.clamp(-limit, limit));
    }
}

impl<R: Rule> Optimizer for Optim<R> {
    fn keras_class_name(&self) -> &'static str {
        R::CLASS_NAME
    }

    fn learning_rate(&self) -> f32 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f32) {
        self.learning_rate = learning_rate;
    }

    fn iterations(&self) -> u64 {
        self.iterations
    }

    fn reset(&mut self) {
        self.iterations = 0;
        self.slots.clear();
    }

    fn apply(&mut self, params: &mut ParamVisitor<'_>) -> Result<(), NonFinite> {
        self.check_settings()?;
        let mut tensor = 0;
        let mut calm = true;
        let mut fault = None;
        params(&mut |param| {
            if !param.grad_is_calm && !is_calm(param.grad) {
                calm = false;
                if fault.is_none() && param.grad.iter().any(|g| !g.is_finite()) {
                    fault = Some(tensor);
                }
            }
            tensor += 1;
        });
        if let Some(tensor) = fault {
            return Err(NonFinite::Gradient { tensor });
        }
        if calm && self.steps_are_bounded() {
            self.update(params);
            return Ok(());
        }
        self.update_checked(params)
    }

    fn config(&self) -> Map<String, Value> {
        let mut config = Map::new();
        config.insert("name".into(), json!(R::CLASS_NAME.to_lowercase()));
        config.insert("learning_rate".into(), json!(self.learning_rate));
        config.insert("weight_decay".into(), json!(self.weight_decay));
        config.insert("clipnorm".into(), json!(self.clipnorm));
        config.insert("global_clipnorm".into(), json!(self.global_clipnorm));
        config.insert("clipvalue".into(), json!(self.clipvalue));
        config.insert("use_ema".into(), json!(false));
        config.insert("ema_momentum".into(), json!(0.99));
        config.insert("ema_overwrite_frequency".into(), Value::Null);
        config.insert("loss_scale_factor".into(), Value::Null);
        config.insert("gradient_accumulation_steps".into(), Value::Null);
        self.rule.config(&mut config);
        config
    }

    fn slot_names(&self) -> Vec<&'static str> {
        (0..R::SLOTS.len())
            .filter(|&slot| self.rule.uses_slot(slot))
            .map(|slot| R::SLOTS[slot])
            .collect()
    }

    fn slots(&self) -> Vec<(usize, &'static str, &[f32])> {
        self.slots
            .iter()
            .enumerate()
            .flat_map(|(tensor, slots)| {
                slots
                    .iter()
                    .enumerate()
                    .filter(|(slot, _)| self.rule.uses_slot(*slot))
                    .map(move |(slot, values)| (tensor, R::SLOTS[slot], values.as_slice()))
            })
            .collect()
    }

    fn set_slots(&mut self, iterations: u64, slots: Vec<Vec<Vec<f32>>>) -> Result<(), String> {
        let expected = (0..R::SLOTS.len())
            .filter(|&s| self.rule.uses_slot(s))
            .count();
        if let Some((tensor, found)) = slots.iter().enumerate().find(|(_, s)| s.len() != expected) {
            return Err(format!(
                "tensor {tensor} has {} optimizer slots, {} expects {expected}",
                found.len(),
                R::CLASS_NAME
            ));
        }
        self.slots = slots
            .into_iter()
            .map(|used| {
                let mut used = used.into_iter();
                (0..R::SLOTS.len())
                    .map(|s| {
                        if self.rule.uses_slot(s) {
                            used.next().unwrap_or_default()
                        } else {
                            Vec::new()
                        }
                    })
                    .collect()
            })
            .collect();
        self.iterations = iterations;
        Ok(())
    }

    fn box_clone(&self) -> Box<dyn Optimizer> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tensor of four values and its gradient, driven by `optimizer`.
    fn step(
        optimizer: &mut dyn Optimizer,
        value: &mut [f32; 4],
        grad: [f32; 4],
    ) -> Result<(), NonFinite> {
        let mut grad = grad;
        optimizer.apply(&mut |visit| {
            visit(ParamMut {
                name: "kernel",
                shape: &[4],
                value: &mut value[..],
                grad: &mut grad,
                grad_is_calm: false,
                trainable: true,
            })
        })
    }

    /// A big tensor's update, split over the pool's threads, gives the bits of one pass over
    /// it: for every rule, with its slots, over several steps.
    #[test]
    fn updates_split_over_threads_give_the_same_bits() {
        fn check<R: Rule>(mut optimizer: Optim<R>) {
            let len = 3 * PARALLEL_TEST_LEN + 5;
            let mut split = (0..len)
                .map(|i| (i % 97) as f32 / 97.0 - 0.5)
                .collect::<Vec<_>>();
            let mut whole = split.clone();
            let mut whole_slots: Vec<Vec<f32>> = (0..R::SLOTS.len())
                .map(|slot| {
                    let used = optimizer.rule.uses_slot(slot);
                    vec![optimizer.rule.initial_slot_value(slot); if used { len } else { 0 }]
                })
                .collect();
            for step in 0..3u64 {
                let grad: Vec<f32> = (0..len)
                    .map(|i| ((i * 7 + step as usize) % 31) as f32 / 31.0 - 0.4)
                    .collect();
                let mut g = grad.clone();
                optimizer
                    .apply(&mut |visit| {
                        visit(ParamMut {
                            name: "kernel",
                            shape: &[len],
                            value: &mut split,
                            grad: &mut g,
                            grad_is_calm: false,
                            trainable: true,
                        })
                    })
                    .unwrap();
                // The same step in one pass, on the side.
                let mut views: Vec<&mut [f32]> =
                    whole_slots.iter_mut().map(|s| &mut s[..]).collect();
                let mut rule = optimizer.rule.clone();
                rule.begin_step(step);
                rule.update(optimizer.learning_rate, step, &mut whole, &grad, &mut views);
                let same = split
                    .iter()
                    .zip(&whole)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{} step {step}", R::CLASS_NAME);
            }
        }
        check(Sgd::new(0.1).momentum(0.9).nesterov(true));
        check(Adam::new(1e-2).amsgrad(true));
        check(RmsProp::new(1e-2).momentum(0.5).centered(true));
        check(Adagrad::new(0.05));
        check(Nadam::new(2e-3));
    }

    /// A length above which updates are split, when the pool has threads.
    const PARALLEL_TEST_LEN: usize = 1 << 16;

    #[test]
    fn the_largest_magnitude_is_found_and_non_finite_values_are_not_hidden() {
        let mut values = vec![0.5f32; 37];
        assert_eq!(largest_magnitude(&values), 0.5);
        for at in [0, 15, 16, 36] {
            values[at] = -7.0;
            assert_eq!(largest_magnitude(&values), 7.0, "at {at}");
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                values[at] = bad;
                assert!(!largest_magnitude(&values).is_finite(), "{bad} at {at}");
            }
            values[at] = 0.5;
        }
        assert_eq!(largest_magnitude(&[]), 0.0);
        // The AVX2 pass finds what the plain one finds, to the bit.
        let mixed: Vec<f32> = (0..1000)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * if i % 3 == 0 { -1e-3 } else { 1.0 })
            .collect();
        for len in [0, 1, 15, 16, 17, 999, 1000] {
            let plain = largest_magnitude_in_lanes(&mixed[..len]);
            assert_eq!(
                largest_magnitude(&mixed[..len]).to_bits(),
                plain.to_bits(),
                "{len}"
            );
        }
    }

    #[test]
    fn calm_means_finite_and_below_the_bound() {
        assert!(is_calm(&[0.5; 37]));
        assert!(is_calm(&[-3.0e9; 20]));
        for bad in [4.0e9, -4.0e9, f32::INFINITY, f32::NEG_INFINITY, f32::NAN] {
            for at in [0, 15, 16, 36] {
                let mut values = [0.25f32; 37];
                values[at] = bad;
                assert!(!is_calm(&values), "{bad} at {at}");
            }
        }
    }

    #[test]
    fn a_step_that_is_not_finite_changes_nothing() {
        let mut adam = Adam::new(0.01);
        let mut value = [0.5, -0.25, 1.0, 2.0];
        step(&mut adam, &mut value, [0.1, 0.2, -0.3, 0.4]).unwrap();
        let (kept_value, kept_slots) = (value, format!("{:?}", adam.slots()));
        for grad in [[0.1, f32::NAN, 0.0, 0.0], [f32::INFINITY, 0.0, 0.0, 0.0]] {
            let refused = step(&mut adam, &mut value, grad).unwrap_err();
            assert_eq!(refused, NonFinite::Gradient { tensor: 0 });
        }
        adam.set_learning_rate(f32::NAN);
        let refused = step(&mut adam, &mut value, [0.1; 4]).unwrap_err();
        assert!(matches!(
            refused,
            NonFinite::Setting {
                name: "learning_rate",
                ..
            }
        ));
        // Calm gradients with a rate so large the step overflows: applied, then undone.
        let mut huge = Sgd::new(f32::MAX);
        let mut sgd_value = value;
        let refused = step(&mut huge, &mut sgd_value, [1e3; 4]).unwrap_err();
        assert_eq!(refused, NonFinite::Update { tensor: 0 });
        assert_eq!(sgd_value.map(f32::to_bits), value.map(f32::to_bits));
        assert_eq!(huge.iterations(), 0);
        assert_eq!(value.map(f32::to_bits), kept_value.map(f32::to_bits));
        assert_eq!(format!("{:?}", adam.slots()), kept_slots);
        assert_eq!(adam.iterations(), 1);
    }
}
