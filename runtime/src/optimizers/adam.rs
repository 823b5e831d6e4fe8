//! Adam and AdamW: moving averages of the gradient and its square, bias-corrected.

use serde_json::{json, Map, Value};

use super::{Optim, Rule};

/// The update rule of [`Adam`](super::Adam).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamRule {
    /// Decay of the gradient's moving average (0.9), kept in f64 like Keras's Python float.
    pub beta_1: f64,
    /// Decay of the squared gradient's moving average (0.999).
    pub beta_2: f64,
    /// Added to the denominator for stability (1e-7).
    pub epsilon: f32,
    /// Whether to use the AMSGrad variant.
    pub amsgrad: bool,
}

impl Default for AdamRule {
    fn default() -> Self {
        AdamRule {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
        }
    }
}

impl Rule for AdamRule {
    const CLASS_NAME: &'static str = "Adam";
    const SLOTS: &'static [&'static str] = &["momentum", "velocity", "velocity_hat"];
    const DEFAULT_LEARNING_RATE: f32 = 0.001;

    fn uses_slot(&self, index: usize) -> bool {
        index < 2 || self.amsgrad
    }

    fn bounded(&self) -> bool {
        super::steady_decay(self.beta_1)
            && super::steady_decay(self.beta_2)
            && super::steady_epsilon(self.epsilon)
    }

    fn update(
        &self,
        learning_rate: f32,
        iteration: u64,
        value: &mut [f32],
        grad: &[f32],
        slots: &mut [&mut [f32]],
    ) {
        let step = (iteration + 1) as f32;
        let (beta_1, beta_2) = (self.beta_1 as f32, self.beta_2 as f32);
        let alpha = learning_rate * (1.0 - beta_2.powf(step)).sqrt() / (1.0 - beta_1.powf(step));
        // Keras subtracts its Python floats in double precision before the cast.
        let (keep_1, keep_2) = ((1.0 - self.beta_1) as f32, (1.0 - self.beta_2) as f32);
        let [m, v, v_hat] = slots else {
            unreachable!("Adam has three slots")
        };
        for i in 0..value.len() {
            let g = grad[i];
            m[i] += (g - m[i]) * keep_1;
            v[i] += (g * g - v[i]) * keep_2;
            let velocity = if self.amsgrad {
                v_hat[i] = v_hat[i].max(v[i]);
                v_hat[i]
            } else {
                v[i]
            };
            value[i] -= m[i] * alpha / (velocity.sqrt() + self.epsilon);
        }
    }

    fn config(&self, config: &mut Map<String, Value>) {
        config.insert("beta_1".into(), json!(self.beta_1));
        config.insert("beta_2".into(), json!(self.beta_2));
        config.insert("epsilon".into(), json!(self.epsilon));
        config.insert("amsgrad".into(), json!(self.amsgrad));
    }
}

/// The update rule of [`AdamW`](super::AdamW): Adam's, with weight decay on by default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdamWRule(pub AdamRule);

impl Rule for AdamWRule {
    const CLASS_NAME: &'static str = "AdamW";
    const SLOTS: &'static [&'static str] = AdamRule::SLOTS;
    const DEFAULT_LEARNING_RATE: f32 = 0.001;
    const DEFAULT_WEIGHT_DECAY: Option<f32> = Some(0.004);

    fn uses_slot(&self, index: usize) -> bool {
        self.0.uses_slot(index)
    }

    fn bounded(&self) -> bool {
        self.0.bounded()
    }

    fn update(
        &self,
        learning_rate: f32,
        iteration: u64,
        value: &mut [f32],
        grad: &[f32],
        slots: &mut [&mut [f32]],
    ) {
        self.0.update(learning_rate, iteration, value, grad, slots);
    }

    fn config(&self, config: &mut Map<String, Value>) {
        self.0.config(config);
    }
}

macro_rules! adam_settings {
    ($rule:ty, $($path:tt)*) => {
        impl Optim<$rule> {
            /// Sets the decay of the gradient's moving average.
            pub fn beta_1(self, beta_1: f64) -> Self {
                self.rule_mut(|rule| rule$($path)*.beta_1 = beta_1)
            }

            /// Sets the decay of the squared gradient's moving average.
            pub fn beta_2(self, beta_2: f64) -> Self {
                self.rule_mut(|rule| rule$($path)*.beta_2 = beta_2)
            }

            /// Sets the stability constant.
            pub fn epsilon(self, epsilon: f32) -> Self {
                self.rule_mut(|rule| rule$($path)*.epsilon = epsilon)
            }

            /// Uses AMSGrad: the maximum of past squared-gradient averages.
            pub fn amsgrad(self, amsgrad: bool) -> Self {
                self.rule_mut(|rule| rule$($path)*.amsgrad = amsgrad)
            }
        }
    };
}

adam_settings!(AdamRule,);
adam_settings!(AdamWRule, .0);
