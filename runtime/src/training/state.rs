//! What `compile` sets on a model: its optimizer, its metrics, and the stop flag callbacks set.

use crate::error::NonFinite;
use crate::layers::ParamMut;
use crate::metrics::Metric;
use crate::optimizers::Optimizer;

/// Visits a model's tensors: `params(&mut |layer, param| ...)` calls the inner function with
/// each tensor and the name of its layer.
pub type LayerParamVisitor<'a> = dyn FnMut(&mut dyn FnMut(&str, ParamMut<'_>)) + 'a;

/// A model's training state, kept in a hidden field of every `model!` struct.
#[derive(Clone, Debug, Default)]
pub struct TrainingState {
    optimizer: Option<Box<dyn Optimizer>>,
    metrics: Vec<Metric>,
    stop_training: bool,
    /// The layers whose weights the optimizer leaves alone (Keras's `trainable = False`).
    frozen: Vec<String>,
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

    /// Applies one optimizer step to the tensors `params` visits that train: those of
    /// layers not frozen, but for weights no optimizer trains (BatchNormalization's moving
    /// statistics); does nothing before `compile`. A step that would make the model
    /// non-finite is not applied (see [`Optimizer::apply`]).
    pub fn apply_gradients(&mut self, params: &mut LayerParamVisitor<'_>) -> Result<(), NonFinite> {
        let frozen = &self.frozen;
        match self.optimizer.as_mut() {
            Some(optimizer) => optimizer.apply(&mut |visit| {
                params(&mut |layer, param| {
                    if param.trainable && !frozen.iter().any(|f| f == layer) {
                        visit(param);
                    }
                })
            }),
            None => Ok(()),
        }
    }

    /// Whether the optimizer trains layer `layer`'s weights (Keras's `layer.trainable`).
    pub fn is_trainable(&self, layer: &str) -> bool {
        !self.frozen.iter().any(|f| f == layer)
    }

    /// The layers frozen, in the order they were.
    pub fn frozen(&self) -> &[String] {
        &self.frozen
    }

    /// Freezes (`trainable` false) or unfreezes layer `layer`. As in Keras, the change
    /// takes effect at the next `compile`: a compiled model's optimizer is dropped, and
    /// training asks for `compile` again.
    pub fn set_trainable(&mut self, layer: &str, trainable: bool) {
        if trainable == self.is_trainable(layer) {
            return;
        }
        if trainable {
            self.frozen.retain(|f| f != layer);
        } else {
            self.frozen.push(layer.to_owned());
        }
        self.optimizer = None;
    }
}
