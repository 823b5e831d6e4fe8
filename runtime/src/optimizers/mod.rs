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
    fn apply(&mut self, params: &mut ParamVisitor<'_>);
    /// The hyperparameters as Keras writes them in `optimizer_config.config`.
    fn config(&self) -> Map<String, Value>;
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
    /// Called once per step before the tensors are updated; `iteration` counts from 0.
    fn begin_step(&mut self, _iteration: u64) {}
    /// Moves `value` against `grad`, updating this tensor's `slots`.
    fn update(
        &self,
        learning_rate: f32,
        iteration: u64,
        value: &mut [f32],
        grad: &[f32],
        slots: &mut [Vec<f32>],
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

    fn apply(&mut self, params: &mut ParamVisitor<'_>) {
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
            rule.update(
                *learning_rate,
                *iterations,
                param.value,
                param.grad,
                &mut slots[index],
            );
            index += 1;
        });
        self.iterations += 1;
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
