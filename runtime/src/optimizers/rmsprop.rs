//! RMSprop: the gradient divided by the root of a moving average of its square.

use serde_json::{json, Map, Value};

use super::{Optim, Rule};

/// The update rule of [`RmsProp`](super::RmsProp).
#[derive(Clone, Debug, PartialEq)]
pub struct RmsPropRule {
    /// Decay of the moving averages (0.9), kept in f64 like Keras's Python float.
    pub rho: f64,
    /// Momentum of the increments (0).
    pub momentum: f32,
    /// Added to the denominator for stability (1e-7).
    pub epsilon: f32,
    /// Whether to divide by the estimated variance rather than the second moment.
    pub centered: bool,
}

impl Default for RmsPropRule {
    fn default() -> Self {
        RmsPropRule {
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
        }
    }
}

impl Rule for RmsPropRule {
    const CLASS_NAME: &'static str = "RMSprop";
    const SLOTS: &'static [&'static str] = &["velocity", "momentum", "average_gradient"];
    const DEFAULT_LEARNING_RATE: f32 = 0.001;

    fn uses_slot(&self, index: usize) -> bool {
        match index {
            1 => self.momentum > 0.0,
            2 => self.centered,
            _ => true,
        }
    }

    fn bounded(&self) -> bool {
        super::steady_decay(self.rho)
            && (0.0..=1.0).contains(&self.momentum)
            && super::steady_epsilon(self.epsilon)
    }

    fn update(
        &self,
        learning_rate: f32,
        _iteration: u64,
        value: &mut [f32],
        grad: &[f32],
        slots: &mut [&mut [f32]],
    ) {
        let [velocity, momentum, average] = slots else {
            unreachable!("RMSprop has three slots")
        };
        let (rho, keep) = (self.rho as f32, (1.0 - self.rho) as f32);
        for i in 0..value.len() {
            let g = grad[i];
            velocity[i] = rho * velocity[i] + keep * (g * g);
            let denominator = if self.centered {
                average[i] = rho * average[i] + keep * g;
                velocity[i] - average[i] * average[i] + self.epsilon
            } else {
                velocity[i] + self.epsilon
            };
            let increment = learning_rate * g / denominator.sqrt();
            if self.momentum > 0.0 {
                momentum[i] = self.momentum * momentum[i] + increment;
                value[i] -= momentum[i];
            } else {
                value[i] -= increment;
            }
        }
    }

    fn config(&self, config: &mut Map<String, Value>) {
        config.insert("rho".into(), json!(self.rho));
        config.insert("momentum".into(), json!(self.momentum));
        config.insert("epsilon".into(), json!(self.epsilon));
        config.insert("centered".into(), json!(self.centered));
    }
}

impl Optim<RmsPropRule> {
    /// Sets the decay of the moving averages.
    pub fn rho(self, rho: f64) -> Self {
        self.rule_mut(|rule| rule.rho = rho)
    }

    /// Sets the momentum of the increments.
    pub fn momentum(self, momentum: f32) -> Self {
        self.rule_mut(|rule| rule.momentum = momentum)
    }

    /// Sets the stability constant.
    pub fn epsilon(self, epsilon: f32) -> Self {
        self.rule_mut(|rule| rule.epsilon = epsilon)
    }

    /// Divides by the estimated variance of the gradient.
    pub fn centered(self, centered: bool) -> Self {
        self.rule_mut(|rule| rule.centered = centered)
    }
}
