//! Models built at run time: an architecture the program chooses while it runs (a
//! hyperparameter search, a file from elsewhere), with everything a `model!` struct has.
//!
//! A [`DynamicModel`] is built with [`Sequential`] or [`Functional`], in Keras's words, or
//! read from a file by [`load_model`](crate::load_model). It implements [`Network`] with the
//! same layers, kernels and losses as a declared model, so `compile`, `fit` with every
//! option and callback, `evaluate`, `predict`, `summary`, `get_weights` and `save` are the
//! very ones a declared model has; from the same seed, the two train to the same bits.
//! Shapes are checked when the model is built, and data when it is given.
//!
//! ```
//! use densely::dynamic::{dense, Sequential};
//! use densely::prelude::*;
//!
//! let mut model = Sequential::new("regressor")
//!     .input("features", &[8])
//!     .add(dense(30).activation("relu"))
//!     .add(dense(1))
//!     .loss("mse")
//!     .build()?;
//! model.compile(Sgd::new(0.01), []);
//! let x = Batch::<Shape1<8>>::from_fn(64, |i, j| ((i * 8 + j) % 7) as f32 / 7.0);
//! let y = Batch::<Shape1<1>>::from_fn(64, |i, _| (i % 3) as f32);
//! let history = model.fit(&x, &y, FitOptions::default().epochs(2).verbose(0))?;
//! assert_eq!(history.epoch, [0, 1]);
//! let predictions = model.predict(&x)?;
//! assert_eq!(predictions[0].shape(), [64, 1]);
//! # Ok::<(), densely::Error>(())
//! ```

mod build;
mod data;
mod passes;
mod plan;

use std::sync::Arc;

pub use build::{
    activation, add, concatenate, dense, dropout, flatten, layer, Functional, Layer, NodeId,
    Sequential,
};
pub use data::{AnySamples, AnyTargets, DynInputs, DynTargets, Parts, TargetRows};
pub use passes::DynWorkspace;

use crate::activation::ActivationKind;
use crate::error::{did_you_mean, quoted_list, Error, Result};
use crate::graph::{Graph, NodeKind};
use crate::init::Initializer;
use crate::inspect::Array;
use crate::layers::{DenseCore, DropoutCore, Generator, Layer as _, OpLayer, Param, ParamMut};
use crate::loss::{IntoLoss, Loss};
use crate::network::{next_seed, seeded_rng, Network, TargetView};
use crate::training::TrainingState;
use crate::weights::BatchWeights;

use plan::Plan;

/// A model whose architecture is known when the program runs: built with [`Sequential`] or
/// [`Functional`], or read by [`load_model`](crate::load_model). See the [module](self).
#[derive(Clone, Debug)]
pub struct DynamicModel {
    graph: Graph,
    /// What each node computes with: its weights, generator or activation.
    layers: Vec<NodeLayer>,
    plan: Arc<Plan>,
    state: TrainingState,
}

/// A node's layer, as a model built at run time holds it.
#[derive(Clone, Debug)]
pub(crate) enum NodeLayer {
    Input,
    Dense(DenseCore, ActivationKind),
    /// A node whose output is its source's values under another shape.
    View,
    Dropout(Box<DropoutCore>),
    Activation(ActivationKind),
    Concatenate,
    Add,
    Op(Box<OpLayer>),
}

impl DynamicModel {
    /// The model of a checked `graph`, its weights drawn in node order from a generator
    /// seeded by `seed`, as a declared model's `with_seed` draws them.
    pub(crate) fn from_graph(graph: Graph, seed: u64) -> Self {
        let mut rng = seeded_rng(seed);
        let layers = graph
            .nodes
            .iter()
            .map(|node| match node.kind {
                _ if node.kind.is_view() => NodeLayer::View,
                NodeKind::Dense {
                    units,
                    activation,
                    use_bias,
                    kernel_initializer,
                    bias_initializer,
                    ..
                } => {
                    let inputs = graph.nodes[node.sources[0]].shape[0];
                    let known = |name| Initializer::from_name(name).expect("checked when built");
                    NodeLayer::Dense(
                        DenseCore::new(
                            inputs,
                            units,
                            use_bias,
                            known(kernel_initializer),
                            known(bias_initializer),
                            &mut rng,
                        ),
                        ActivationKind::from_name(activation).expect("checked when built"),
                    )
                }
                NodeKind::Dropout { rate } => {
                    NodeLayer::Dropout(Box::new(DropoutCore::new(rate, next_seed(&mut rng))))
                }
                NodeKind::Activation { activation } => NodeLayer::Activation(
                    ActivationKind::from_name(activation).expect("checked when built"),
                ),
                NodeKind::Input => NodeLayer::Input,
                NodeKind::Flatten => NodeLayer::View,
                NodeKind::Concatenate => NodeLayer::Concatenate,
                NodeKind::Add => NodeLayer::Add,
                NodeKind::Op { .. } => NodeLayer::Op(Box::new(OpLayer::of_node(node, &mut rng))),
            })
            .collect();
        let plan = Arc::new(Plan::new(&graph));
        DynamicModel {
            graph,
            layers,
            plan,
            state: TrainingState::default(),
        }
    }

    /// The names of the inputs, in the order `fit` and `predict` take them.
    pub fn input_names(&self) -> Vec<&str> {
        self.plan.inputs.iter().map(|i| i.name.as_str()).collect()
    }

    /// The shape of one sample of each input.
    pub fn input_shapes(&self) -> Vec<&[usize]> {
        self.plan.inputs.iter().map(|i| &i.shape[..]).collect()
    }

    /// The names of the outputs, in the order `predict` returns them.
    pub fn output_names(&self) -> Vec<&str> {
        self.plan.outputs.iter().map(|o| o.name.as_str()).collect()
    }

    /// Each output's loss (`None` for a file saved without one) and its weight in the
    /// model's loss.
    pub fn losses(&self) -> Vec<(Option<Loss>, f32)> {
        self.graph
            .outputs
            .iter()
            .map(|o| (o.loss.clone(), o.weight))
            .collect()
    }

    /// Gives output `output` the loss `loss` (Keras's name, or a [`Loss`] with its
    /// arguments) and the weight `weight`: what a
    /// model read from a file saved without a loss needs before it trains or evaluates
    /// (Keras's `compile(loss=...)`). Errors name the output or the loss, and leave the
    /// model as it was.
    pub fn set_loss(&mut self, output: &str, loss: impl IntoLoss, weight: f32) -> Result<()> {
        let model = self.graph.name.to_string();
        let error = |reason: String| Error::Model {
            model: model.clone(),
            reason,
        };
        let index = self
            .output_names()
            .iter()
            .position(|name| *name == output)
            .ok_or_else(|| {
                let names = self.output_names();
                error(format!(
                    "`{output}` is no output; the outputs are {}.{}",
                    quoted_list(names.iter().copied()),
                    did_you_mean(output, names.iter().copied())
                ))
            })?;
        let units = self.plan.outputs[index].units;
        let loss = build::output_loss(output, units, loss.into_loss(), weight).map_err(error)?;
        let outputs = self.graph.outputs.to_mut();
        outputs[index].loss = Some(loss);
        outputs[index].weight = weight;
        self.plan = Arc::new(Plan::new(&self.graph));
        Ok(())
    }

    /// The Dense layer called `name`, to read its sizes and weights.
    pub fn dense(&self, name: &str) -> Option<&DenseCore> {
        let index = self.graph.nodes.iter().position(|n| n.name == name)?;
        match &self.layers[index] {
            NodeLayer::Dense(core, _) => Some(core),
            _ => None,
        }
    }
}

impl Network for DynamicModel {
    type Inputs<'a> = DynInputs<'a>;
    type Targets<'a> = DynTargets<'a>;
    type Predictions = Vec<Array>;
    type Workspace = DynWorkspace;

    fn graph(&self) -> &Graph {
        &self.graph
    }

    fn new_workspace(&self) -> DynWorkspace {
        DynWorkspace::new(Arc::clone(&self.plan))
    }

    fn check_data(&self, inputs: DynInputs<'_>, targets: Option<DynTargets<'_>>) -> Result<()> {
        passes::check_inputs(&self.plan, inputs)?;
        if let Some(targets) = targets {
            passes::check_targets(&self.plan, targets)?;
        }
        Ok(())
    }

    fn input_samples(inputs: DynInputs<'_>) -> Result<usize> {
        passes::count(inputs.iter().map(|part| part.samples()), "input")
    }

    fn target_samples(targets: DynTargets<'_>) -> Result<usize> {
        passes::count(
            targets.iter().map(|part| part.target_rows().samples()),
            "output's targets",
        )
    }

    fn stage_inputs(
        workspace: &mut DynWorkspace,
        inputs: DynInputs<'_>,
        rows: &[usize],
    ) -> Result<()> {
        workspace.stage_inputs(inputs, rows)
    }

    fn stage_targets(
        workspace: &mut DynWorkspace,
        targets: DynTargets<'_>,
        rows: &[usize],
    ) -> Result<()> {
        workspace.stage_targets(targets, rows)
    }

    fn forward(&mut self, workspace: &mut DynWorkspace, samples: usize, training: bool) {
        let (graph, state) = (&self.graph, &self.state);
        let trains = |index: usize| state.is_trainable(&graph.nodes[index].name);
        workspace.forward(&mut self.layers, samples, training, &trains);
    }

    fn losses(
        &self,
        workspace: &DynWorkspace,
        samples: usize,
        weights: &BatchWeights,
        losses: &mut [f64],
    ) {
        workspace.losses(samples, weights, losses);
    }

    fn backward(
        &mut self,
        workspace: &mut DynWorkspace,
        samples: usize,
        weights: &BatchWeights,
        losses: &mut [f64],
    ) {
        workspace.backward(&mut self.layers, samples, weights, losses);
    }

    fn predictions_from(&self, outputs: Vec<Vec<f32>>) -> Vec<Array> {
        outputs
            .into_iter()
            .zip(&self.plan.outputs)
            .map(|(values, output)| {
                let samples = values.len() / output.units.max(1);
                let mut shape = vec![samples];
                shape.extend_from_slice(&self.graph.nodes[output.node].shape);
                Array::new(shape, values).expect("each output's values are whole samples")
            })
            .collect()
    }

    fn output(workspace: &DynWorkspace, index: usize, samples: usize) -> &[f32] {
        workspace.output(index, samples)
    }

    fn staged_targets(workspace: &DynWorkspace, index: usize, samples: usize) -> TargetView<'_> {
        workspace.staged_targets(index, samples)
    }

    fn training_state(&self) -> &TrainingState {
        &self.state
    }

    fn training_state_mut(&mut self) -> &mut TrainingState {
        &mut self.state
    }

    fn apply_gradients(&mut self) -> Result<(), crate::error::NonFinite> {
        let DynamicModel {
            state,
            layers,
            graph,
            ..
        } = self;
        state.apply_gradients(&mut |visit| {
            for (node, layer) in graph.nodes.iter().zip(layers.iter_mut()) {
                let name = &node.name;
                match layer {
                    NodeLayer::Dense(core, _) => {
                        core.visit_params_mut(&mut |param| visit(name, param))
                    }
                    NodeLayer::Op(op) => op.visit_params_mut(&mut |param| visit(name, param)),
                    _ => {}
                }
            }
        })
    }

    fn visit_params(&self, visit: &mut dyn FnMut(&str, Param<'_>)) {
        for (node, layer) in self.graph.nodes.iter().zip(&self.layers) {
            match layer {
                NodeLayer::Dense(core, _) => {
                    core.visit_params(&mut |param| visit(&node.name, param))
                }
                NodeLayer::Op(op) => op.visit_params(&mut |param| visit(&node.name, param)),
                _ => {}
            }
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ParamMut<'_>)) {
        for (node, layer) in self.graph.nodes.iter().zip(&mut self.layers) {
            match layer {
                NodeLayer::Dense(core, _) => {
                    core.visit_params_mut(&mut |param| visit(&node.name, param))
                }
                NodeLayer::Op(op) => op.visit_params_mut(&mut |param| visit(&node.name, param)),
                _ => {}
            }
        }
    }

    fn visit_generators(&self, visit: &mut dyn FnMut(&str, &Generator)) {
        for (node, layer) in self.graph.nodes.iter().zip(&self.layers) {
            match layer {
                NodeLayer::Dropout(core) => visit(&node.name, core.generator()),
                NodeLayer::Op(op) => {
                    if let Some(generator) = op.generator() {
                        visit(&node.name, generator);
                    }
                }
                _ => {}
            }
        }
    }

    fn visit_generators_mut(&mut self, visit: &mut dyn FnMut(&str, &mut Generator)) {
        for (node, layer) in self.graph.nodes.iter().zip(&mut self.layers) {
            match layer {
                NodeLayer::Dropout(core) => visit(&node.name, core.generator_mut()),
                NodeLayer::Op(op) => {
                    if let Some(generator) = op.generator_mut() {
                        visit(&node.name, generator);
                    }
                }
                _ => {}
            }
        }
    }
}
