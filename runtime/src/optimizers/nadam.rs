//! Nadam: Adam with Nesterov momentum and Keras's momentum schedule.

use serde_json::{json, Map, Value};

use super::{Optim, Rule};

/// The update rule of [`Nadam`](super::Nadam).
#[derive(Clone, Debug, PartialEq)]
pub struct NadamRule {
    /// Decay of the gradient's moving average (0.9), kept in f64 like Keras's Python float.
    pub beta_1: f64,
    /// Decay of the squared gradient's moving average (0.999).
    pub beta_2: f64,
    /// Added to the denominator for stability (1e-7).
    pub epsilon: f32,
    /// The product of the momentum schedule over steps `1..=u_product_steps`.
    u_product: f32,
    u_product_steps: u64,
}

impl Default for NadamRule {
    fn default() -> Self {
        NadamRule {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            u_product: 1.0,
            u_product_steps: 0,
        }
    }
}

impl NadamRule {
    /// The momentum schedule at `step` (counting from 1).
    fn u(&self, step: f32) -> f32 {
        self.beta_1 as f32 * (1.0 - 0.5 * 0.96f32.powf(step))
    }
}

impl Rule for NadamRule {
    const CLASS_NAME: &'static str = "Nadam";
    const SLOTS: &'static [&'static str] = &["momentum", "velocity"];
    const DEFAULT_LEARNING_RATE: f32 = 0.001;

    fn bounded(&self) -> bool {
        super::steady_decay(self.beta_1)
            && super::steady_decay(self.beta_2)
            && super::steady_epsilon(self.epsilon)
    }

    /// Brings the schedule's product to this step, also after a reset or a resume.
    fn begin_step(&mut self, iteration: u64) {
        if self.u_product_steps > iteration {
            self.u_product = 1.0;
            self.u_product_steps = 0;
        }
        while self.u_product_steps <= iteration {
            self.u_product_steps += 1;
            self.u_product *= self.u(self.u_product_steps as f32);
        }
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
        let (u_t, u_t_1) = (self.u(step), self.u(step + 1.0));
        let u_product_t_1 = self.u_product * u_t_1;
        let beta_2_power = (self.beta_2 as f32).powf(step);
        // Unlike Adam, Keras's Nadam subtracts after casting its betas to f32.
        let (keep_1, keep_2) = (1.0 - self.beta_1 as f32, 1.0 - self.beta_2 as f32);
        let [m, v] = slots else {
            unreachable!("Nadam has two slots")
        };
        for i in 0..value.len() {
            let g = grad[i];
            m[i] += (g - m[i]) * keep_1;
            v[i] += (g * g - v[i]) * keep_2;
            let m_hat =
                u_t_1 * m[i] / (1.0 - u_product_t_1) + (1.0 - u_t) * g / (1.0 - self.u_product);
            let v_hat = v[i] / (1.0 - beta_2_power);
            value[i] -= m_hat * learning_rate / (v_hat.sqrt() + self.epsilon);
        }
    }

    fn config(&self, config: &mut Map<String, Value>) {
        config.insert("beta_1".into(), json!(self.beta_1));
        config.insert("beta_2".into(), json!(self.beta_2));
        config.insert("epsilon".into(), json!(self.epsilon));
    }
}

impl Optim<NadamRule> {
    /// Sets the decay of the gradient's moving average.
    pub fn beta_1(self, beta_1: f64) -> Self {
        self.rule_mut(|rule| rule.beta_1 = beta_1)
    }

    /// Sets the decay of the squared gradient's moving average.
    pub fn beta_2(self, beta_2: f64) -> Self {
        self.rule_mut(|rule| rule.beta_2 = beta_2)
    }

    /// Sets the stability constant.
    pub fn epsilon(self, epsilon: f32) -> Self {
        self.rule_mut(|rule| rule.epsilon = epsilon)
    }
}
