//! Adagrad: the gradient divided by the root of the sum of its past squares.

use serde_json::{json, Map, Value};

use super::{Optim, Rule};

/// The update rule of [`Adagrad`](super::Adagrad).
#[derive(Clone, Debug, PartialEq)]
pub struct AdagradRule {
    /// The accumulator's starting value (0.1).
    pub initial_accumulator_value: f32,
    /// Added to the accumulator for stability (1e-7).
    pub epsilon: f32,
}

impl Default for AdagradRule {
    fn default() -> Self {
        AdagradRule {
            initial_accumulator_value: 0.1,
            epsilon: 1e-7,
        }
    }
}

impl Rule for AdagradRule {
    const CLASS_NAME: &'static str = "Adagrad";
    const SLOTS: &'static [&'static str] = &["accumulator"];
    const DEFAULT_LEARNING_RATE: f32 = 0.001;

    fn initial_slot_value(&self, _index: usize) -> f32 {
        self.initial_accumulator_value
    }

    fn bounded(&self) -> bool {
        self.initial_accumulator_value >= 0.0 && super::steady_epsilon(self.epsilon)
    }

    fn update(
        &self,
        learning_rate: f32,
        _iteration: u64,
        value: &mut [f32],
        grad: &[f32],
        slots: &mut [&mut [f32]],
    ) {
        let accumulator = &mut slots[0];
        for ((w, g), a) in value.iter_mut().zip(grad).zip(accumulator.iter_mut()) {
            *a += g * g;
            *w -= learning_rate * g / (*a + self.epsilon).sqrt();
        }
    }

    fn config(&self, config: &mut Map<String, Value>) {
        config.insert(
            "initial_accumulator_value".into(),
            json!(self.initial_accumulator_value),
        );
        config.insert("epsilon".into(), json!(self.epsilon));
    }
}

impl Optim<AdagradRule> {
    /// Sets the accumulator's starting value.
    pub fn initial_accumulator_value(self, value: f32) -> Self {
        self.rule_mut(|rule| rule.initial_accumulator_value = value)
    }

    /// Sets the stability constant.
    pub fn epsilon(self, epsilon: f32) -> Self {
        self.rule_mut(|rule| rule.epsilon = epsilon)
    }
}
