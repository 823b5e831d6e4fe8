//! SGD: `w -= lr * g`, or with momentum `m = momentum * m - lr * g; w += m`.

use serde_json::{json, Map, Value};

use super::{Optim, Rule};

/// The update rule of [`Sgd`](super::Sgd).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SgdRule {
    /// The momentum factor (Keras's default is 0).
    pub momentum: f32,
    /// Whether to use Nesterov momentum.
    pub nesterov: bool,
}

impl Rule for SgdRule {
    const CLASS_NAME: &'static str = "SGD";
    const SLOTS: &'static [&'static str] = &["momentum"];
    const DEFAULT_LEARNING_RATE: f32 = 0.01;

    fn uses_slot(&self, _index: usize) -> bool {
        self.momentum != 0.0
    }

    fn bounded(&self) -> bool {
        (0.0..=1.0).contains(&self.momentum)
    }

    fn update(
        &self,
        learning_rate: f32,
        _iteration: u64,
        value: &mut [f32],
        grad: &[f32],
        slots: &mut [&mut [f32]],
    ) {
        if self.momentum == 0.0 {
            value
                .iter_mut()
                .zip(grad)
                .for_each(|(w, g)| *w -= g * learning_rate);
            return;
        }
        let momentum = &mut slots[0];
        for ((w, g), m) in value.iter_mut().zip(grad).zip(momentum.iter_mut()) {
            *m = *m * self.momentum - g * learning_rate;
            if self.nesterov {
                *w += *m * self.momentum - g * learning_rate;
            } else {
                *w += *m;
            }
        }
    }

    fn config(&self, config: &mut Map<String, Value>) {
        config.insert("momentum".into(), json!(self.momentum));
        config.insert("nesterov".into(), json!(self.nesterov));
    }
}

impl Optim<SgdRule> {
    /// Sets the momentum factor.
    pub fn momentum(self, momentum: f32) -> Self {
        self.rule_mut(|rule| rule.momentum = momentum)
    }

    /// Uses Nesterov momentum.
    pub fn nesterov(self, nesterov: bool) -> Self {
        self.rule_mut(|rule| rule.nesterov = nesterov)
    }
}
