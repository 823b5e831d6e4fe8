//! The contract between a `model!` struct and the runtime.
//!
//! The macro implements [`Network`] with straight-line code: staging a batch into the
//! workspace, the forward pass, the losses and the backward pass. Everything Keras-like
//! (`predict`, `fit`, `summary`, files) is written once, here and in the modules built on it,
//! against this trait.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::layers::{Generator, Param, ParamMut};
use crate::spec::RuleRole;
use crate::training::TrainingState;
use crate::weights::BatchWeights;

/// The seed `Model::new()` uses, so that an unseeded model is still reproducible.
pub const DEFAULT_SEED: u64 = 42;

/// The targets of one output as staged for a batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TargetView<'a> {
    /// Class labels, one per sample.
    Classes(&'a [u32]),
    /// Target values, `units` per sample.
    Values(&'a [f32]),
}

/// What `predict`, `fit`, `evaluate` and `validation_data` take as the inputs of model `N`:
/// exactly `N::Inputs`, a `&Batch` per `input`, in declaration order (a tuple for several).
///
/// The `model!` macro implements it for each model. It exists for the message a call with
/// anything else gets (an array for a tuple, inputs swapped, an `ImageSet` for a `Batch`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what `{N}` takes as inputs",
    label = "not the inputs of `{N}`",
    note = "a model takes, for each of its `input`s, samples of its shape (a `&Batch`, `&ByteSamples`, `&NpyFile`): one alone, several as a tuple `(&wide, &deep)` in declaration order, never an array",
    note = "a data set's images become inputs with `.scaled()` (floats) or `.scaled_view()` (bytes scaled batch by batch)"
)]
pub trait InputsOf<'a, N: Network> {
    /// The inputs as the model's own type.
    fn into_inputs(self) -> N::Inputs<'a>;
}

/// What `fit`, `evaluate` and `validation_data` take as the targets of model `N`: exactly
/// `N::Targets`, one per `output` in declaration order (a tuple for several).
///
/// The `model!` macro implements it for each model, for the message a call with anything
/// else gets.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what `{N}` takes as targets",
    label = "not the targets of `{N}`",
    note = "a model takes one target per `output`, in declaration order: `&Labels<C>` where the loss is `sparse_categorical_crossentropy`, `&Batch<Shape1<UNITS>>` for the other losses; several as a tuple, never an array"
)]
pub trait TargetsOf<'a, N: Network> {
    /// The targets as the model's own type.
    fn into_targets(self) -> N::Targets<'a>;
}

/// A model with a statically known graph, as the `model!` macro generates it.
///
/// The methods below `GRAPH` are the generated building blocks; users call the provided
/// methods (and those of the training and file modules) instead.
pub trait Network: Sized {
    /// The inputs of a data set as the model reads them: an [`Input`](crate::inputs::Input)
    /// for one input, a tuple of them in declaration order for several (Keras's
    /// `fit((X_train_A, X_train_B), ...)`); callers give `&Batch`es or any other
    /// [`SampleRows`](crate::inputs::SampleRows).
    type Inputs<'a>: Copy + InputsOf<'a, Self>;
    /// The targets: `&Labels<C>` for a sparse-categorical output, `&Batch<Shape1<N>>` for the
    /// others; a tuple in declaration order for several outputs.
    type Targets<'a>: Copy + TargetsOf<'a, Self>;
    /// What `predict` returns: one batch per output, a tuple for several.
    type Predictions;
    /// The buffers of a forward and backward pass, reused from batch to batch.
    type Workspace;

    /// The model's graph.
    fn graph(&self) -> &Graph;
    /// Empty buffers for this model's passes; they grow on the first batch and are kept.
    fn new_workspace(&self) -> Self::Workspace;
    /// The number of samples in `inputs`; errors name the input whose count differs.
    fn input_samples(inputs: Self::Inputs<'_>) -> Result<usize>;
    /// The number of samples in `targets`; errors name the output whose count differs.
    fn target_samples(targets: Self::Targets<'_>) -> Result<usize>;
    /// Copies the samples `rows` of `inputs` into the workspace; errors say which samples
    /// could not be read (and, for a model built at run time, which input has the wrong
    /// shape).
    fn stage_inputs(
        workspace: &mut Self::Workspace,
        inputs: Self::Inputs<'_>,
        rows: &[usize],
    ) -> Result<()>;
    /// Copies the samples `rows` of `targets` into the workspace; errors (for a model built
    /// at run time) name the output whose targets don't fit it.
    fn stage_targets(
        workspace: &mut Self::Workspace,
        targets: Self::Targets<'_>,
        rows: &[usize],
    ) -> Result<()>;
    /// Checks that `inputs` and `targets` (if given) fit the model, before any batch is
    /// staged: a declared model's types already say so; a model built at run time checks
    /// each input's sample shape and each output's kind of targets, naming them.
    fn check_data(
        &self,
        inputs: Self::Inputs<'_>,
        targets: Option<Self::Targets<'_>>,
    ) -> Result<()> {
        let _ = (inputs, targets);
        Ok(())
    }
    /// The forward pass over the first `samples` staged samples (dropout active if `training`).
    fn forward(&mut self, workspace: &mut Self::Workspace, samples: usize, training: bool);
    /// Each output's loss over the batch after a forward pass, its samples weighted by
    /// `weights` (Keras's `Σ wᵢ lᵢ / samples`), not yet by the output's loss weight.
    fn losses(
        &self,
        workspace: &Self::Workspace,
        samples: usize,
        weights: &BatchWeights,
        losses: &mut [f64],
    );
    /// The backward pass after a forward pass: stores every parameter's gradient of the
    /// total loss (each output's loss, as [`Network::losses`] computes it, times its loss
    /// weight) and writes each output's loss.
    fn backward(
        &mut self,
        workspace: &mut Self::Workspace,
        samples: usize,
        weights: &BatchWeights,
        losses: &mut [f64],
    );
    /// The predictions made of each output's values, sample after sample (whole samples).
    fn predictions_from(&self, outputs: Vec<Vec<f32>>) -> Self::Predictions;
    /// Output `index` of the last forward pass, `units` values per sample.
    fn output(workspace: &Self::Workspace, index: usize, samples: usize) -> &[f32];
    /// The staged targets of output `index`.
    fn staged_targets(workspace: &Self::Workspace, index: usize, samples: usize) -> TargetView<'_>;
    /// The optimizer, metrics and stop flag that `compile` and callbacks set.
    fn training_state(&self) -> &TrainingState;
    /// The training state, writable.
    fn training_state_mut(&mut self) -> &mut TrainingState;
    /// Applies one step of the compiled optimizer to every parameter, with the gradients of
    /// the last backward pass; does nothing before `compile`. A step that would put a NaN or
    /// an infinity into the model is refused and leaves it as it was.
    fn apply_gradients(&mut self) -> Result<(), crate::error::NonFinite>;
    /// Calls `visit(layer name, parameter)` for every trainable tensor, in layer order.
    fn visit_params(&self, visit: &mut dyn FnMut(&str, Param<'_>));
    /// Calls `visit(layer name, parameter)` for every trainable tensor, writable.
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ParamMut<'_>));
    /// Calls `visit(layer name, generator)` for every layer that draws random numbers while
    /// training (each Dropout), in layer order.
    fn visit_generators(&self, visit: &mut dyn FnMut(&str, &Generator));
    /// Calls `visit(layer name, generator)` for every layer that draws, writable.
    fn visit_generators_mut(&mut self, visit: &mut dyn FnMut(&str, &mut Generator));

    /// The weighted sum of per-output losses, as Keras reports `loss`.
    fn total_loss(&self, losses: &[f64]) -> f64 {
        let weighted: f64 = self
            .graph()
            .outputs
            .iter()
            .zip(losses)
            .map(|(output, loss)| f64::from(output.weight) * loss)
            .sum();
        weighted + self.penalty()
    }

    /// The penalty the regularizers of the trainable weights add to the loss (Keras's
    /// `sum(model.losses)`), 0 without regularizers.
    fn penalty(&self) -> f64 {
        let graph = self.graph();
        if graph.nodes.iter().all(|node| node.rules().is_empty()) {
            return 0.0;
        }
        let state = self.training_state();
        let mut total = 0.0;
        self.visit_params(&mut |layer, param| {
            if !param.trainable || !state.is_trainable(layer) {
                return;
            }
            let node = graph.nodes.iter().find(|node| node.name == layer);
            let rule = node.and_then(|n| n.rules().get(param.name, RuleRole::Regularizer));
            if let Some(rule) = rule {
                total += crate::rules::penalty(rule, param.value);
            }
        });
        total
    }

    /// Adds the regularizers' gradients to the trainable weights' gradients, after a
    /// backward pass.
    fn add_penalty_gradients(&mut self) {
        crate::rules::each_ruled_mut(self, RuleRole::Regularizer, |rule, param| {
            crate::rules::add_gradient(rule, param.value, param.grad)
        });
    }

    /// Projects the trainable weights that have constraints, as Keras does after each
    /// update.
    fn apply_constraints(&mut self) {
        crate::rules::each_ruled_mut(self, RuleRole::Constraint, |rule, param| {
            crate::rules::constrain(rule, param.value, param.shape)
        });
    }

    /// Keras's `model.get_layer(layer).trainable = trainable`: freezes layer `layer` (its
    /// weights stay as they are while the others train, and a BatchNormalization normalizes
    /// with its moving statistics) or unfreezes it. As in Keras, the change takes effect at
    /// the next `compile`: a compiled model is compiled again before it trains. An unknown
    /// name is an error naming the layers.
    ///
    /// ```
    /// use densely::prelude::*;
    ///
    /// model! {
    ///     struct Net {
    ///         input x: [4];
    ///         base = Dense(8, relu);
    ///         output head = Dense(1), loss = mse;
    ///     }
    /// }
    ///
    /// let mut model = Net::new();
    /// model.set_trainable("base", false)?;
    /// assert_eq!(model.trainable_count_params(), 9);
    /// assert!(model.set_trainable("bas", false).is_err());
    /// # Ok::<(), densely::Error>(())
    /// ```
    fn set_trainable(&mut self, layer: &str, trainable: bool) -> Result<()> {
        let graph = self.graph();
        let known = graph.layers().any(|node| node.name == layer);
        if !known {
            let names = graph.layers().map(|node| &node.name[..]);
            return Err(Error::Model {
                model: graph.name.to_string(),
                reason: format!(
                    "`{layer}` is no layer of the model.{}",
                    crate::error::did_you_mean(layer, names)
                ),
            });
        }
        self.training_state_mut().set_trainable(layer, trainable);
        Ok(())
    }

    /// Keras's `Normalization.adapt(data)`: sets the Normalization layer `layer`'s mean and
    /// variance to those of `data`, samples of the layer's input one after the other (each
    /// feature, its last axis, over the samples and their other axes), so that raw features
    /// go straight into the model. Errors name the layer: not a Normalization, one given its
    /// moments, or data that isn't whole samples of finite values.
    ///
    /// ```
    /// use densely::prelude::*;
    ///
    /// model! {
    ///     struct Net {
    ///         input x: [2];
    ///         scaled = Normalization();
    ///         output y = Dense(1), loss = mse;
    ///     }
    /// }
    ///
    /// let mut model = Net::new();
    /// model.adapt("scaled", &[1.0, 100.0, 3.0, 300.0])?;
    /// // Keras's order: the mean, the variance and the count, then the Dense layer's.
    /// let weights = model.get_weights();
    /// assert_eq!(weights[0].values(), [2.0, 200.0]);
    /// assert_eq!(weights[1].values(), [1.0, 10000.0]);
    /// assert!(model.adapt("y", &[1.0, 2.0]).is_err());
    /// # Ok::<(), densely::Error>(())
    /// ```
    fn adapt(&mut self, layer: &str, data: &[f32]) -> Result<()> {
        crate::adapt::adapt(self, layer, data)
    }

    /// The number of parameters the optimizer trains: those of the layers not frozen, but
    /// for weights no optimizer trains.
    fn trainable_count_params(&self) -> usize {
        let state = self.training_state();
        self.graph()
            .nodes
            .iter()
            .filter(|node| state.is_trainable(&node.name))
            .map(|node| node.params)
            .sum()
    }

    /// The number of parameters, trainable or not, as Keras's `count_params` counts them.
    fn count_params(&self) -> usize {
        self.graph().total_params() + self.graph().non_trainable_params()
    }

    /// Predicts every sample of `inputs`, `batch_size` at a time (Keras's default is 32).
    fn predict_batched<'i>(
        &mut self,
        inputs: impl InputsOf<'i, Self>,
        batch_size: usize,
    ) -> Result<Self::Predictions> {
        let inputs = inputs.into_inputs();
        if batch_size == 0 {
            return Err(Error::Argument {
                argument: "batch_size",
                reason: "must be at least 1".into(),
            });
        }
        self.check_data(inputs, None)?;
        let samples = Self::input_samples(inputs)?;
        let mut workspace = self.new_workspace();
        let graph = self.graph();
        let mut outputs: Vec<Vec<f32>> = (0..graph.outputs.len())
            .map(|k| Vec::with_capacity(samples * graph.output_units(k)))
            .collect();
        let rows: Vec<usize> = (0..samples).collect();
        for chunk in rows.chunks(batch_size) {
            Self::stage_inputs(&mut workspace, inputs, chunk)?;
            self.forward(&mut workspace, chunk.len(), false);
            for (k, values) in outputs.iter_mut().enumerate() {
                values.extend_from_slice(Self::output(&workspace, k, chunk.len()));
            }
        }
        Ok(self.predictions_from(outputs))
    }

    /// Keras's `predict`, with its default batch size of 32.
    fn predict<'i>(&mut self, inputs: impl InputsOf<'i, Self>) -> Result<Self::Predictions> {
        self.predict_batched(inputs, 32)
    }

    /// The weighted loss of the whole data set in one batch, and the gradient of every
    /// parameter (read them with [`Network::visit_params`]); no dropout.
    fn loss_and_gradients<'i, 't>(
        &mut self,
        inputs: impl InputsOf<'i, Self>,
        targets: impl TargetsOf<'t, Self>,
    ) -> Result<f64> {
        let (mut workspace, samples) =
            forward_whole_set(self, inputs.into_inputs(), targets.into_targets())?;
        let mut losses = vec![0.0; self.graph().outputs.len()];
        self.backward(&mut workspace, samples, &BatchWeights::NONE, &mut losses);
        self.add_penalty_gradients();
        Ok(self.total_loss(&losses))
    }

    /// The weighted loss of the whole data set in one batch, without gradients; no dropout.
    fn loss<'i, 't>(
        &mut self,
        inputs: impl InputsOf<'i, Self>,
        targets: impl TargetsOf<'t, Self>,
    ) -> Result<f64> {
        let (workspace, samples) =
            forward_whole_set(self, inputs.into_inputs(), targets.into_targets())?;
        let mut losses = vec![0.0; self.graph().outputs.len()];
        self.losses(&workspace, samples, &BatchWeights::NONE, &mut losses);
        Ok(self.total_loss(&losses))
    }
}

/// A model declared with `model!`: its graph is a constant, known without building it, and
/// it can be built from a seed alone.
pub trait Declared: Network {
    /// The model's graph.
    const GRAPH: &'static Graph;

    /// A model whose weights are drawn with Keras's initializers from a generator seeded by
    /// `seed`.
    fn with_seed(seed: u64) -> Self;
}

/// The whole data set staged as one batch and passed forward without dropout: the workspace
/// and the number of samples, checked to agree between inputs and targets.
fn forward_whole_set<N: Network>(
    model: &mut N,
    inputs: N::Inputs<'_>,
    targets: N::Targets<'_>,
) -> Result<(N::Workspace, usize)> {
    model.check_data(inputs, Some(targets))?;
    let samples = N::input_samples(inputs)?;
    let targets_samples = N::target_samples(targets)?;
    crate::data::check_samples("targets of", &model.graph().name, samples, targets_samples)?;
    let rows: Vec<usize> = (0..samples).collect();
    let mut workspace = model.new_workspace();
    N::stage_inputs(&mut workspace, inputs, &rows)?;
    N::stage_targets(&mut workspace, targets, &rows)?;
    model.forward(&mut workspace, samples, false);
    Ok((workspace, samples))
}

/// The generator a model draws its initial weights from.
pub fn seeded_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A fresh seed drawn from `rng`, for a layer with a generator of its own (dropout).
pub fn next_seed(rng: &mut StdRng) -> u64 {
    rng.random()
}

/// Grows `buffer` to hold `len` values; never shrinks, so a loop allocates only once.
pub fn reserve<T: Copy + Default>(buffer: &mut Vec<T>, len: usize) {
    if buffer.len() < len {
        buffer.resize(len, T::default());
    }
}
