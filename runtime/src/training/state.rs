//! What `compile` sets on a model: its optimizer, its metrics, and the stop flag callbacks set.

use crate::error::NonFinite;
use crate::metrics::Metric;
use crate::optimizers::{Optimizer, ParamVisitor};

/// A model's training state, kept in a hidden field of every `model!` struct.
#[derive(Clone, Debug, Default)]
pub struct TrainingState {
    optimizer: Option<Box<dyn Optimizer>>,
    metrics: Vec<Metric>,
    stop_training: bool,
}

impl TrainingState {
    /// Sets a fresh optimizer (its state reset, as compiling again in Keras) and the metrics.
    pub fn compile(&mut self, mut optimizer: Box<dyn Optimizer>, metrics: Vec<Metric>) {
        optimizer.reset();
        self.optimizer = Some(optimizer);
        self.metrics = metrics;
    }

    /// The optimizer, once compiled.
    pub fn optimizer(&self) -> Option<&dyn Optimizer> {
        self.optimizer.as_deref()
    }

    /// The optimizer, writable (to read or set its learning rate, say).
    pub fn optimizer_mut(&mut self) -> Option<&mut (dyn Optimizer + 'static)> {
        self.optimizer.as_deref_mut()
    }

    /// The metrics given to `compile`.
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// Whether a callback asked training to stop.
    pub fn stop_requested(&self) -> bool {
        self.stop_training
    }

    /// Asks training to stop (or clears the request).
    pub fn set_stop_training(&mut self, stop: bool) {
        self.stop_training = stop;
    }

    /// Applies one optimizer step to the trainable tensors `params` visits (the others,
    /// BatchNormalization's moving statistics, it skips); does nothing before `compile`. A
    /// step that would make the model non-finite is not applied (see [`Optimizer::apply`]).
    pub fn apply_gradients(&mut self, params: &mut ParamVisitor<'_>) -> Result<(), NonFinite> {
        match self.optimizer.as_mut() {
            Some(optimizer) => optimizer.apply(&mut |visit| {
                params(&mut |param| {
                    if param.trainable {
                        visit(param);
                    }
                })
            }),
            None => Ok(()),
        }
    }
}
