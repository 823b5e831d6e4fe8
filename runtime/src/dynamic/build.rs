//! Building a model at run time, in Keras's words: [`Sequential`] adds layers one after the
//! other, [`Functional`] applies them to the nodes it names. Every mistake is an error of
//! `build`, naming the layer and the shapes, before any weight is drawn.

use std::borrow::Cow;
use std::collections::HashSet;

use densely_spec::{OpKind, RuleRole, Source, Value, WeightRule, WeightRules, KINDS};

use crate::activation::ActivationKind;
use crate::error::{did_you_mean, Error, Result};
use crate::graph::{Graph, Node, NodeKind, Output};
use crate::init::Initializer;
use crate::loss::{IntoLoss, Loss, LossKind};
use crate::network::DEFAULT_SEED;

use super::DynamicModel;

/// A layer to add to a model built at run time, with Keras's arguments and defaults; made by
/// [`dense`], [`flatten`], [`dropout`], [`activation`], [`concatenate`] and [`add`].
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    kind: LayerArgs,
    name: Option<String>,
    /// Arguments given by name with [`Layer::with`].
    given: Vec<(String, Value)>,
    /// Keras's `trainable`.
    trainable: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum LayerArgs {
    Dense {
        units: usize,
        activation: String,
        use_bias: bool,
        kernel_initializer: String,
        bias_initializer: String,
        rules: WeightRules,
    },
    Flatten,
    Dropout {
        rate: f32,
    },
    Activation(String),
    Concatenate,
    Add,
    /// A kind described in [`densely_spec::KINDS`], by its Keras class name.
    Op(String),
}

/// Keras's layer of class `class`, for the kinds described in [`densely_spec::KINDS`]
/// (each entry's `class`), its arguments given by name with [`Layer::with`] and the others at
/// Keras's defaults.
///
/// ```
/// use densely::dynamic::{dense, layer, Functional};
/// use densely::prelude::*;
///
/// let mut f = Functional::new("gated");
/// let x = f.input("pixels", &[8]);
/// let scaled = f.apply(layer("Rescaling").with("scale", 1.0 / 255.0), &[x]);
/// let a = f.apply(dense(4), &[scaled]);
/// let a = f.apply(layer("LeakyReLU").with("negative_slope", 0.2), &[a]);
/// let b = f.apply(dense(4).activation("sigmoid"), &[scaled]);
/// let gated = f.apply(layer("Multiply"), &[a, b]);
/// f.output(gated, "mse", 1.0);
/// assert_eq!(f.build()?.count_params(), 72);
/// # Ok::<(), densely::Error>(())
/// ```
pub fn layer(class: &str) -> Layer {
    Layer::of(LayerArgs::Op(class.into()))
}

/// Keras's `Dense(units)`: linear unless [`Layer::activation`] says otherwise, with a bias,
/// a `glorot_uniform` kernel and a `zeros` bias.
pub fn dense(units: usize) -> Layer {
    Layer::of(LayerArgs::Dense {
        units,
        activation: "linear".into(),
        use_bias: true,
        kernel_initializer: "glorot_uniform".into(),
        bias_initializer: "zeros".into(),
        rules: WeightRules::NONE,
    })
}

/// Keras's `Flatten()`: each sample as one dimension.
pub fn flatten() -> Layer {
    Layer::of(LayerArgs::Flatten)
}

/// Keras's `Dropout(rate)`: drops `rate` of its inputs while training.
pub fn dropout(rate: f32) -> Layer {
    Layer::of(LayerArgs::Dropout { rate })
}

/// Keras's `Activation(name)`: an activation as a layer of its own.
pub fn activation(name: &str) -> Layer {
    Layer::of(LayerArgs::Activation(name.into()))
}

/// Keras's `Concatenate()`: joins rank-1 sources along their last axis.
pub fn concatenate() -> Layer {
    Layer::of(LayerArgs::Concatenate)
}

/// Keras's `Add()`: sums sources of one shape.
pub fn add() -> Layer {
    Layer::of(LayerArgs::Add)
}

impl Layer {
    fn of(kind: LayerArgs) -> Self {
        Layer {
            kind,
            name: None,
            given: Vec::new(),
            trainable: true,
        }
    }

    /// Argument `arg` (Keras's name) of a [`layer`]: `.with("negative_slope", 0.2)`,
    /// `.with("target_shape", [4, -1])`, `.with("max_value", None::<f64>)`.
    pub fn with(mut self, arg: &str, value: impl Into<Value>) -> Self {
        self.given.push((arg.into(), value.into()));
        self
    }

    /// The layer's name (Keras's `name=`); without one it is named as Keras names it:
    /// `dense`, `dense_1`, ...
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Keras's `trainable=`: `false` freezes the layer, whose weights then stay as they are
    /// while the others train ([`Network::set_trainable`](crate::Network::set_trainable)
    /// changes it on a built model).
    pub fn trainable(mut self, trainable: bool) -> Self {
        self.trainable = trainable;
        self
    }

    /// A Dense layer's rule under Keras's argument `argument`.
    fn rule(mut self, argument: &str, rule: WeightRule) -> Self {
        if let LayerArgs::Dense { rules, .. } = &mut self.kind {
            rules.set(argument, rule);
        }
        self
    }

    /// Every rule of `rules`, under its argument.
    pub(crate) fn with_rules(self, rules: &WeightRules) -> Self {
        rules.iter().fold(self, |layer, (argument, rule)| {
            layer.rule(argument, rule.clone())
        })
    }

    /// Keras's `kernel_regularizer=`: a penalty on a Dense layer's kernel added to the loss
    /// ([`rules::l2`](crate::rules::l2), ...).
    pub fn kernel_regularizer(self, rule: WeightRule) -> Self {
        self.rule("kernel_regularizer", rule)
    }

    /// Keras's `bias_regularizer=`: a penalty on a Dense layer's bias added to the loss.
    pub fn bias_regularizer(self, rule: WeightRule) -> Self {
        self.rule("bias_regularizer", rule)
    }

    /// Keras's `kernel_constraint=`: a projection of a Dense layer's kernel after each
    /// update ([`rules::max_norm`](crate::rules::max_norm), ...).
    pub fn kernel_constraint(self, rule: WeightRule) -> Self {
        self.rule("kernel_constraint", rule)
    }

    /// Keras's `bias_constraint=`: a projection of a Dense layer's bias after each update.
    pub fn bias_constraint(self, rule: WeightRule) -> Self {
        self.rule("bias_constraint", rule)
    }

    /// A Dense layer's activation, by Keras's name (`"relu"`).
    pub fn activation(mut self, name: &str) -> Self {
        if let LayerArgs::Dense { activation, .. } = &mut self.kind {
            *activation = name.into();
        }
        self
    }

    /// Whether a Dense layer adds a bias.
    pub fn use_bias(mut self, value: bool) -> Self {
        if let LayerArgs::Dense { use_bias, .. } = &mut self.kind {
            *use_bias = value;
        }
        self
    }

    /// A Dense layer's kernel initializer, by Keras's name (`"he_normal"`).
    pub fn kernel_initializer(mut self, name: &str) -> Self {
        if let LayerArgs::Dense {
            kernel_initializer, ..
        } = &mut self.kind
        {
            *kernel_initializer = name.into();
        }
        self
    }

    /// A Dense layer's bias initializer, by Keras's name (`"zeros"`).
    pub fn bias_initializer(mut self, name: &str) -> Self {
        if let LayerArgs::Dense {
            bias_initializer, ..
        } = &mut self.kind
        {
            *bias_initializer = name.into();
        }
        self
    }

    /// Keras's class name, and the stem of the names it is given by default.
    fn class_name(&self) -> &str {
        match &self.kind {
            LayerArgs::Op(class) => class,
            LayerArgs::Dense { .. } => "Dense",
            LayerArgs::Flatten => "Flatten",
            LayerArgs::Dropout { .. } => "Dropout",
            LayerArgs::Activation(_) => "Activation",
            LayerArgs::Concatenate => "Concatenate",
            LayerArgs::Add => "Add",
        }
    }
}

/// A node of a model being built: an input or a layer applied to earlier nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeId(usize);

#[derive(Clone, Debug)]
enum Pending {
    Input { name: String, shape: Vec<usize> },
    Layer { layer: Layer, sources: Vec<NodeId> },
}

#[derive(Clone, Debug)]
struct PendingOutput {
    node: NodeId,
    /// `None` for an output read from a file saved without a loss; `Err` holds a name that
    /// names no loss, for `build` to report.
    loss: Option<std::result::Result<Loss, String>>,
    weight: f32,
}

/// Keras's Functional API at run time: inputs, layers applied to the nodes they read, and
/// outputs with their losses.
///
/// ```
/// use densely::dynamic::{concatenate, dense, Functional};
/// use densely::prelude::*;
///
/// let mut f = Functional::new("wide_and_deep");
/// let wide = f.input("wide_input", &[5]);
/// let deep = f.input("deep_input", &[6]);
/// let hidden1 = f.apply(dense(30).activation("relu").named("hidden1"), &[deep]);
/// let hidden2 = f.apply(dense(30).activation("relu").named("hidden2"), &[hidden1]);
/// let concat = f.apply(concatenate().named("concat"), &[wide, hidden2]);
/// let main = f.apply(dense(1).named("main_output"), &[concat]);
/// let aux = f.apply(dense(1).named("aux_output"), &[hidden2]);
/// f.output(main, "mse", 0.9).output(aux, "mse", 0.1);
/// let model = f.build()?;
/// assert_eq!(model.count_params(), 1_207);
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Functional {
    name: String,
    nodes: Vec<Pending>,
    outputs: Vec<PendingOutput>,
    /// Whether Keras sees it as Functional even as a single chain.
    functional: bool,
}

impl Functional {
    /// An empty model called `name`.
    pub fn new(name: &str) -> Self {
        Functional {
            name: name.into(),
            nodes: Vec::new(),
            outputs: Vec::new(),
            functional: true,
        }
    }

    /// Keras's `Input(shape=..., name=...)`: an input whose samples have `shape`.
    pub fn input(&mut self, name: &str, shape: &[usize]) -> NodeId {
        self.nodes.push(Pending::Input {
            name: name.into(),
            shape: shape.to_vec(),
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Keras's `layer(sources)`: the layer applied to `sources` (one, or several for a merge).
    pub fn apply(&mut self, layer: Layer, sources: &[NodeId]) -> NodeId {
        self.nodes.push(Pending::Layer {
            layer,
            sources: sources.to_vec(),
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Makes `node` an output trained with `loss` (Keras's name: `"mse"`,
    /// `"sparse_categorical_crossentropy"`, or a [`Loss`] with its arguments), weighing
    /// `weight` in the model's loss.
    pub fn output(&mut self, node: NodeId, loss: impl IntoLoss, weight: f32) -> &mut Self {
        self.outputs.push(PendingOutput {
            node,
            loss: Some(loss.into_loss()),
            weight,
        });
        self
    }

    /// Makes `node` an output without a loss (a file saved without one): the model
    /// predicts, and asks for a loss before it trains or evaluates.
    pub(crate) fn output_without_loss(&mut self, node: NodeId, weight: f32) {
        self.outputs.push(PendingOutput {
            node,
            loss: None,
            weight,
        });
    }

    /// Marks a single chain as Keras's Sequential model (a Sequential file).
    pub(crate) fn sequential(&mut self) {
        self.functional = false;
    }

    /// The model, its weights drawn with Keras's initializers from the default seed
    /// ([`DEFAULT_SEED`]), as a declared model's `new()` draws them.
    pub fn build(&self) -> Result<DynamicModel> {
        self.build_with_seed(DEFAULT_SEED)
    }

    /// The model, its weights drawn from a generator seeded by `seed`: the weights a
    /// `model!` declaration of the same architecture draws from that seed.
    pub fn build_with_seed(&self, seed: u64) -> Result<DynamicModel> {
        let graph = self.graph()?;
        let frozen: Vec<String> = (self.nodes.iter().zip(graph.nodes.iter()))
            .filter(
                |(pending, _)| matches!(pending, Pending::Layer { layer, .. } if !layer.trainable),
            )
            .map(|(_, node)| node.name.to_string())
            .collect();
        let mut model = DynamicModel::from_graph(graph, seed);
        for name in &frozen {
            crate::network::Network::training_state_mut(&mut model).set_trainable(name, false);
        }
        Ok(model)
    }

    /// The checked graph.
    pub(crate) fn graph(&self) -> Result<Graph> {
        let mut checker = Checker {
            model: &self.name,
            names: Vec::with_capacity(self.nodes.len()),
            nodes: Vec::with_capacity(self.nodes.len()),
        };
        for pending in &self.nodes {
            let node = checker.node(pending)?;
            checker.names.push(node.name.to_string());
            checker.nodes.push(node);
        }
        let outputs = checker.outputs(&self.outputs)?;
        checker.reaches_outputs(&outputs)?;
        let graph = Graph {
            name: Cow::Owned(self.name.clone()),
            nodes: Cow::Owned(checker.nodes),
            outputs: Cow::Owned(outputs),
            functional: self.functional,
        };
        Ok(graph)
    }
}

/// Keras's Sequential API at run time: an input, then layers each reading the one before,
/// and the loss of the last.
///
/// ```
/// use densely::dynamic::{dense, flatten, Sequential};
/// use densely::prelude::*;
///
/// let model = Sequential::new("fashion_mlp")
///     .input("image", &[28, 28])
///     .add(flatten())
///     .add(dense(300).activation("relu"))
///     .add(dense(100).activation("relu"))
///     .add(dense(10).activation("softmax"))
///     .loss("sparse_categorical_crossentropy")
///     .build()?;
/// assert_eq!(model.count_params(), 266_610);
/// # Ok::<(), densely::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sequential {
    functional: Functional,
    last: Option<NodeId>,
    loss: Option<std::result::Result<Loss, String>>,
    /// A layer added before the input, reported by `build`.
    misplaced: Option<String>,
}

impl Sequential {
    /// An empty model called `name`.
    pub fn new(name: &str) -> Self {
        let mut functional = Functional::new(name);
        functional.sequential();
        Sequential {
            functional,
            last: None,
            loss: None,
            misplaced: None,
        }
    }

    /// The model's input, called `name`, whose samples have `shape`.
    pub fn input(mut self, name: &str, shape: &[usize]) -> Self {
        self.last = Some(self.functional.input(name, shape));
        self
    }

    /// Keras's `model.add(layer)`: the layer reads the one added before it.
    #[allow(clippy::should_implement_trait)] // Keras's name; nothing is summed
    pub fn add(mut self, layer: Layer) -> Self {
        match self.last {
            Some(last) => self.last = Some(self.functional.apply(layer, &[last])),
            None => {
                self.misplaced
                    .get_or_insert_with(|| layer.name.clone().unwrap_or(layer.class_name().into()));
            }
        }
        self
    }

    /// The loss of the model's output, the last layer (Keras's name: `"mse"`, or a [`Loss`]
    /// with its arguments).
    pub fn loss(mut self, loss: impl IntoLoss) -> Self {
        self.loss = Some(loss.into_loss());
        self
    }

    /// The model, its weights drawn from the default seed ([`DEFAULT_SEED`]).
    pub fn build(&self) -> Result<DynamicModel> {
        self.build_with_seed(DEFAULT_SEED)
    }

    /// The model, its weights drawn from a generator seeded by `seed`.
    pub fn build_with_seed(&self, seed: u64) -> Result<DynamicModel> {
        let mut functional = self.functional.clone();
        if let Some(layer) = &self.misplaced {
            return Err(build_error(
                &functional.name,
                format!("`{layer}` is added before the input: start with `.input(name, shape)`"),
            ));
        }
        let (Some(last), Some(loss)) = (self.last, self.loss.clone()) else {
            return Err(build_error(
                &functional.name,
                "a model needs an input, layers and a loss: `.input(name, shape)`, `.add(layer)`, `.loss(name)`",
            ));
        };
        functional.outputs.push(PendingOutput {
            node: last,
            loss: Some(loss),
            weight: 1.0,
        });
        functional.build_with_seed(seed)
    }
}

/// The layer classes with builders of their own: [`dense`], [`flatten`], [`dropout`],
/// [`activation`], [`concatenate`] and [`add`].
const DEDICATED: [&str; 6] = [
    "Dense",
    "Flatten",
    "Dropout",
    "Activation",
    "Concatenate",
    "Add",
];

/// The loss `loss` (or the name that names none) for output `name` of `units` units,
/// weighing `weight`; the error says what doesn't fit. What `build` and
/// [`DynamicModel::set_loss`] check.
pub(crate) fn output_loss(
    name: &str,
    units: usize,
    loss: std::result::Result<Loss, String>,
    weight: f32,
) -> std::result::Result<Loss, String> {
    let loss = loss.map_err(|unknown| {
        format!(
            "output `{name}` has the unknown loss `{unknown}`.{}",
            did_you_mean(&unknown, LossKind::all().map(LossKind::name))
        )
    })?;
    loss.check_units(units)
        .map_err(|needs| format!("output `{name}` has {units} units, and {needs}"))?;
    if !(weight.is_finite() && weight > 0.0) {
        return Err(format!(
            "output `{name}` has loss weight {weight}; a loss weight is a positive number"
        ));
    }
    Ok(loss)
}

fn build_error(model: &str, reason: impl Into<String>) -> Error {
    Error::Model {
        model: model.into(),
        reason: reason.into(),
    }
}

/// Turns pending nodes into checked graph nodes, one after the other.
struct Checker<'a> {
    model: &'a str,
    names: Vec<String>,
    nodes: Vec<Node>,
}

impl Checker<'_> {
    fn error(&self, reason: impl Into<String>) -> Error {
        build_error(self.model, reason)
    }

    fn node(&self, pending: &Pending) -> Result<Node> {
        match pending {
            Pending::Input { name, shape } => self.input(name, shape),
            Pending::Layer { layer, sources } => self.layer(layer, sources),
        }
    }

    fn fresh_name(&self, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(self.error("a layer's name is empty"));
        }
        if self.names.iter().any(|n| n == name) {
            return Err(self.error(format!(
                "`{name}` is already the name of a layer; every input and layer needs its own"
            )));
        }
        Ok(())
    }

    fn input(&self, name: &str, shape: &[usize]) -> Result<Node> {
        self.fresh_name(name)?;
        if shape.is_empty() || shape.len() > 4 || shape.contains(&0) {
            return Err(self.error(format!(
                "input `{name}` has shape {shape:?}: give the shape of one sample, 1 to 4 \
                 dimensions none of them zero, like [28, 28]"
            )));
        }
        if shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .is_none()
        {
            return Err(self.error(format!(
                "input `{name}` of shape {shape:?} holds more values per sample than `usize` can count"
            )));
        }
        Ok(Node {
            name: Cow::Owned(name.into()),
            kind: NodeKind::Input,
            shape: Cow::Owned(shape.to_vec()),
            sources: Cow::Owned(Vec::new()),
            params: 0,
        })
    }

    /// Keras's default name for a layer of `class`: `dense`, then `dense_1`, `dense_2`, ...
    fn default_name(&self, class: &str) -> String {
        let stem = crate::files::keras_config::snake_case(class);
        (0..)
            .map(|k| {
                if k == 0 {
                    stem.clone()
                } else {
                    format!("{stem}_{k}")
                }
            })
            .find(|candidate| !self.names.contains(candidate))
            .expect("some suffix is free")
    }

    fn layer(&self, layer: &Layer, sources: &[NodeId]) -> Result<Node> {
        let class = layer.class_name();
        let name = match &layer.name {
            Some(name) => name.clone(),
            None => self.default_name(class),
        };
        self.fresh_name(&name)?;
        let at = format!("layer `{name}` ({class})");
        if let Some(unknown) = sources.iter().find(|s| s.0 >= self.nodes.len()) {
            return Err(self.error(format!(
                "{at} reads node {}, which is not declared before it",
                unknown.0
            )));
        }
        let shapes: Vec<&[usize]> = sources.iter().map(|s| &self.nodes[s.0].shape[..]).collect();
        let source_name = |i: usize| &self.nodes[sources[i].0].name;
        if let LayerArgs::Op(_) = &layer.kind {
            let (kind, mut args) = self.op(&at, layer)?;
            if let [shape] = shapes[..] {
                kind.spec().canonical(&mut args, shape.len());
            }
            let named: Vec<Source<'_>> = (0..shapes.len())
                .map(|i| Source {
                    name: source_name(i),
                    shape: shapes[i],
                })
                .collect();
            let shape = kind
                .spec()
                .output_shape(&at, &args, &named)
                .map_err(|error| self.error(error.message(&at)))?;
            let params = kind.spec().trainable_params(&args, &shape);
            return Ok(Node {
                name: Cow::Owned(name),
                kind: NodeKind::Op {
                    kind,
                    args: Cow::Owned(args),
                },
                shape: Cow::Owned(shape),
                sources: Cow::Owned(sources.iter().map(|s| s.0).collect()),
                params,
            });
        }
        if let Some((arg, _)) = layer.given.first() {
            return Err(self.error(format!(
                "{at} has no argument `{arg}` to give with `with`; its own methods set its arguments"
            )));
        }
        let merge = matches!(layer.kind, LayerArgs::Concatenate | LayerArgs::Add);
        match (merge, shapes.len()) {
            (true, 0 | 1) => {
                return Err(self.error(format!(
                    "{at} merges at least two sources, and it is given {}",
                    shapes.len()
                )))
            }
            (false, n) if n != 1 => {
                return Err(self.error(format!(
                    "{at} reads one source, and it is given {n}; to combine several, join them first with concatenate()"
                )))
            }
            _ => {}
        }
        let rank_one = |i: usize, what: &str| -> Result<()> {
            if shapes[i].len() == 1 {
                Ok(())
            } else {
                Err(self.error(format!(
                    "{at} {what} a rank-1 input, but `{}` has shape {:?}; put a Flatten before it",
                    source_name(i),
                    shapes[i]
                )))
            }
        };
        let (kind, shape, params) = match &layer.kind {
            LayerArgs::Dense {
                units,
                activation,
                use_bias,
                kernel_initializer,
                bias_initializer,
                rules,
            } => {
                rank_one(0, "needs")?;
                if *units == 0 {
                    return Err(self.error(format!("{at} needs at least one unit")));
                }
                let inputs = shapes[0][0];
                let params = inputs
                    .checked_mul(*units)
                    .and_then(|w| w.checked_add(if *use_bias { *units } else { 0 }))
                    .ok_or_else(|| {
                        self.error(format!("{at} has more parameters than `usize` can count"))
                    })?;
                let kind = NodeKind::Dense {
                    units: *units,
                    activation: self.activation(&at, activation)?.name(),
                    use_bias: *use_bias,
                    kernel_initializer: self.initializer(&at, kernel_initializer)?.name(),
                    bias_initializer: self.initializer(&at, bias_initializer)?.name(),
                    rules: self.rules(&at, rules, *use_bias)?,
                };
                (kind, vec![*units], params)
            }
            LayerArgs::Flatten => (NodeKind::Flatten, vec![shapes[0].iter().product()], 0),
            LayerArgs::Dropout { rate } => {
                if !(0.0..1.0).contains(rate) {
                    return Err(self.error(format!(
                        "{at} has rate {rate}; a dropout rate is a number in [0, 1)"
                    )));
                }
                (NodeKind::Dropout { rate: *rate }, shapes[0].to_vec(), 0)
            }
            LayerArgs::Activation(name) => {
                let activation = self.activation(&at, name)?;
                if activation == ActivationKind::Softmax {
                    rank_one(0, "takes the softmax of")?;
                }
                (
                    NodeKind::Activation {
                        activation: activation.name(),
                    },
                    shapes[0].to_vec(),
                    0,
                )
            }
            LayerArgs::Concatenate => {
                for i in 0..shapes.len() {
                    rank_one(i, "joins")?;
                }
                let width = shapes
                    .iter()
                    .try_fold(0usize, |sum, s| sum.checked_add(s[0]))
                    .ok_or_else(|| {
                        self.error(format!(
                            "{at} joins more values per sample than `usize` can count"
                        ))
                    })?;
                (NodeKind::Concatenate, vec![width], 0)
            }
            LayerArgs::Op(_) => unreachable!("built above"),
            LayerArgs::Add => {
                if shapes.iter().any(|s| *s != shapes[0]) {
                    let listed: Vec<String> = (0..shapes.len())
                        .map(|i| format!("`{}` {:?}", source_name(i), shapes[i]))
                        .collect();
                    return Err(self.error(format!(
                        "{at} sums sources of one shape, and they are {}",
                        listed.join(", ")
                    )));
                }
                (NodeKind::Add, shapes[0].to_vec(), 0)
            }
        };
        Ok(Node {
            name: Cow::Owned(name),
            kind,
            shape: Cow::Owned(shape),
            sources: Cow::Owned(sources.iter().map(|s| s.0).collect()),
            params,
        })
    }

    /// A Dense layer's rules, each checked: a regularizer given as one, a constraint as
    /// one, arguments within their rules, none on a bias the layer lacks.
    fn rules(&self, at: &str, rules: &WeightRules, use_bias: bool) -> Result<WeightRules> {
        for (argument, rule) in rules.iter() {
            let spec = rule.kind.spec();
            let weights: &[&str] = if use_bias {
                &["kernel", "bias"]
            } else {
                &["kernel"]
            };
            let Some((_, role)) = densely_spec::rule_argument(argument, weights) else {
                return Err(self.error(format!(
                    "{at} has no weight for `{argument}` (it has no bias)"
                )));
            };
            if spec.role != role {
                return Err(self.error(format!(
                    "{at}: `{argument}` takes a {}, and {} is a {}",
                    if role == RuleRole::Regularizer {
                        "regularizer"
                    } else {
                        "constraint"
                    },
                    spec.class,
                    if spec.role == RuleRole::Regularizer {
                        "regularizer"
                    } else {
                        "constraint"
                    },
                )));
            }
            let given = rule.args.iter().cloned().map(Some).collect();
            WeightRule::new(rule.kind, given)
                .map_err(|error| self.error(format!("{at}: {argument}: {}", error.message)))?;
        }
        Ok(rules.clone())
    }

    /// The kind of a [`layer`] and its checked arguments.
    fn op(&self, at: &str, layer: &Layer) -> Result<(OpKind, Vec<Value>)> {
        let LayerArgs::Op(class) = &layer.kind else {
            unreachable!("called for described kinds")
        };
        let kind = OpKind::from_class(class).ok_or_else(|| {
            let classes = KINDS.iter().map(|spec| spec.class).chain(DEDICATED);
            self.error(format!(
                "{at}: `{class}` is no layer class densely knows.{}",
                did_you_mean(class, classes)
            ))
        })?;
        let spec = kind.spec();
        let mut given = vec![None; spec.args.len()];
        for (arg, value) in &layer.given {
            let (index, _) = spec.arg(arg).ok_or_else(|| {
                let names: Vec<&str> = spec.args.iter().map(|a| a.name).collect();
                self.error(format!(
                    "{at} has no argument `{arg}`; {}",
                    if let Some(renamed) = spec.renamed(arg) {
                        format!(
                            "`{arg}` is tf-keras's name of `{}`: give `{}`",
                            renamed.name, renamed.name
                        )
                    } else if names.is_empty() {
                        "it takes none".to_owned()
                    } else {
                        format!(
                            "it takes {}.{}",
                            crate::error::quoted_list(names.iter().copied()),
                            did_you_mean(arg, names.iter().copied())
                        )
                    }
                ))
            })?;
            given[index] = Some(value.clone());
        }
        let args = spec
            .arguments(given)
            .map_err(|error| self.error(format!("{at}: {}", error.message)))?;
        Ok((kind, args))
    }

    fn activation(&self, at: &str, name: &str) -> Result<ActivationKind> {
        ActivationKind::from_name(name).ok_or_else(|| {
            self.error(format!(
                "{at} has the unknown activation `{name}`.{}",
                did_you_mean(name, ActivationKind::ALL.iter().map(|a| a.name()))
            ))
        })
    }

    fn initializer(&self, at: &str, name: &str) -> Result<Initializer> {
        Initializer::from_name(name).ok_or_else(|| {
            self.error(format!(
                "{at} has the unknown initializer `{name}`.{}",
                did_you_mean(name, Initializer::ALL.iter().map(|i| i.name()))
            ))
        })
    }

    /// The outputs, each checked against its loss, and the losses.
    fn outputs(&self, pending: &[PendingOutput]) -> Result<Vec<Output>> {
        if pending.is_empty() {
            return Err(self.error(
                "the model has no output: name one and its loss with `.output(node, loss, weight)`",
            ));
        }
        let mut outputs = Vec::with_capacity(pending.len());
        let mut seen = HashSet::new();
        for output in pending {
            let Some(node) = self.nodes.get(output.node.0) else {
                return Err(self.error(format!(
                    "output {} is not a node of the model",
                    output.node.0
                )));
            };
            let name = &node.name;
            if !seen.insert(output.node.0) {
                return Err(self.error(format!("`{name}` is an output twice")));
            }
            if node.shape.len() != 1 {
                return Err(self.error(format!(
                    "output `{name}` has shape {:?}; an output is rank 1 (put a Flatten before it)",
                    node.shape
                )));
            }
            let loss = match &output.loss {
                Some(loss) => Some(
                    output_loss(name, node.shape[0], loss.clone(), output.weight)
                        .map_err(|reason| self.error(reason))?,
                ),
                None => None,
            };
            outputs.push(Output {
                node: output.node.0,
                loss,
                weight: output.weight,
            });
        }
        Ok(outputs)
    }

    /// Every input and layer leads to an output, as in a `model!` declaration.
    fn reaches_outputs(&self, outputs: &[Output]) -> Result<()> {
        let mut reaches = vec![false; self.nodes.len()];
        for output in outputs {
            reaches[output.node] = true;
        }
        for index in (0..self.nodes.len()).rev() {
            if reaches[index] {
                for &source in self.nodes[index].sources.iter() {
                    reaches[source] = true;
                }
            }
        }
        match reaches.iter().position(|r| !r) {
            Some(index) => Err(self.error(format!(
                "`{}` reaches no output; make it an output or remove it",
                self.nodes[index].name
            ))),
            None => Ok(()),
        }
    }
}
