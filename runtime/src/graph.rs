//! A static description of a model's graph: what `summary`, plots and Keras configs read.
//!
//! The `model!` macro writes one `Graph` per model as a constant, so the description costs
//! nothing at run time and is available without building the model; a model built at run time
//! ([`DynamicModel`](crate::dynamic::DynamicModel)) owns one built the same way.

use std::borrow::Cow;

use densely_spec::{OpKind, Role, Value, WeightRules};

use crate::loss::Loss;

/// A model's graph: its nodes in declaration (topological) order.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// The model's name (the struct's name).
    pub name: Cow<'static, str>,
    /// Every node, inputs included, sources always before the nodes that read them.
    pub nodes: Cow<'static, [Node]>,
    /// The outputs, in declaration order.
    pub outputs: Cow<'static, [Output]>,
    /// Whether Keras sees the model as a Functional one even when it is a single chain (a
    /// model built with [`Functional`](crate::dynamic::Functional), or read from a file
    /// that says so); a declared chain is a Sequential model.
    pub functional: bool,
}

/// One node: an input or a layer applied to its sources.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The name given in the declaration (Keras's layer name).
    pub name: Cow<'static, str>,
    /// What the node computes.
    pub kind: NodeKind,
    /// The shape of one sample of the node's output.
    pub shape: Cow<'static, [usize]>,
    /// The indices in [`Graph::nodes`] of the nodes it reads.
    pub sources: Cow<'static, [usize]>,
    /// Its number of trainable parameters.
    pub params: usize,
}

/// The kind of a node, with its hyperparameters.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A model input (Keras's `InputLayer`).
    Input,
    /// A fully connected layer.
    Dense {
        /// Output width.
        units: usize,
        /// Keras name of the activation.
        activation: &'static str,
        /// Whether the layer adds a bias.
        use_bias: bool,
        /// Keras name of the kernel initializer.
        kernel_initializer: &'static str,
        /// Keras name of the bias initializer.
        bias_initializer: &'static str,
        /// Its weights' regularizers and constraints (`kernel_regularizer`, ...).
        rules: WeightRules,
    },
    /// Reshapes each sample to one dimension.
    Flatten,
    /// Inverted dropout while training, identity otherwise.
    Dropout {
        /// The fraction of values dropped.
        rate: f32,
    },
    /// An activation on its own.
    Activation {
        /// Keras name of the activation.
        activation: &'static str,
    },
    /// Joins its sources along the last axis.
    Concatenate,
    /// Sums its sources.
    Add,
    /// A layer kind described in [`densely_spec::KINDS`], with every argument of its spec
    /// in order.
    Op {
        /// The kind.
        kind: OpKind,
        /// Its arguments.
        args: Cow<'static, [Value]>,
    },
}

/// An output of the model, with the loss that trains it.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// The index of the output node in [`Graph::nodes`].
    pub node: usize,
    /// The loss that trains it: always given in a declaration; `None` for a model read from
    /// a file saved without one, which predicts but asks for a loss before it trains or
    /// evaluates ([`DynamicModel::set_loss`](crate::dynamic::DynamicModel::set_loss)).
    pub loss: Option<Loss>,
    /// Its weight in the model's total loss.
    pub weight: f32,
}

impl Node {
    /// The number of values in the node's weights the optimizer doesn't train.
    pub fn non_trainable_params(&self) -> usize {
        match &self.kind {
            NodeKind::Op { kind, args } => kind.spec().non_trainable_params(args, &self.shape),
            _ => 0,
        }
    }

    /// The regularizers and constraints of its weights.
    pub fn rules(&self) -> &WeightRules {
        match &self.kind {
            NodeKind::Dense { rules, .. } => rules,
            _ => &WeightRules::NONE,
        }
    }

    /// How many of its non-trainable parameters Keras keeps as 8-byte integers
    /// (Normalization's `count`).
    pub fn integer_params(&self) -> usize {
        match &self.kind {
            NodeKind::Op { kind, args } => kind.spec().integer_params(args, &self.shape),
            _ => 0,
        }
    }
}

impl NodeKind {
    /// Keras's class name for the layer (`Dense`, `InputLayer`, ...).
    pub fn keras_class_name(&self) -> &'static str {
        match self {
            NodeKind::Input => "InputLayer",
            NodeKind::Dense { .. } => "Dense",
            NodeKind::Flatten => "Flatten",
            NodeKind::Dropout { .. } => "Dropout",
            NodeKind::Activation { .. } => "Activation",
            NodeKind::Concatenate => "Concatenate",
            NodeKind::Add => "Add",
            NodeKind::Op { kind, .. } => kind.spec().class,
        }
    }

    /// Whether the node's output is its one source's values under another shape (`Flatten`,
    /// `Reshape`): it computes nothing and shares its source's buffers.
    pub fn is_view(&self) -> bool {
        match self {
            NodeKind::Flatten => true,
            NodeKind::Op { kind, .. } => kind.spec().role == Role::View,
            _ => false,
        }
    }

    /// Whether the node merges several sources.
    pub fn is_merge(&self) -> bool {
        match self {
            NodeKind::Concatenate | NodeKind::Add => true,
            NodeKind::Op { kind, .. } => kind.spec().is_merge(),
            _ => false,
        }
    }
}

impl Graph {
    /// The node called `name`, if any.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.name == name)
    }

    /// The input nodes, in declaration order.
    pub fn inputs(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|node| node.kind == NodeKind::Input)
    }

    /// The layers (every node but the inputs), in order: Keras's `model.layers` of a
    /// Sequential model.
    pub fn layers(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|node| node.kind != NodeKind::Input)
    }

    /// Whether Keras sees the model as a `Sequential` one: a single chain from the only
    /// input to the only output, not marked [`functional`](Graph::functional).
    pub fn is_sequential(&self) -> bool {
        let nodes = &self.nodes;
        let chain = nodes.iter().enumerate().all(|(index, node)| {
            if index == 0 {
                node.kind == NodeKind::Input
            } else {
                node.kind != NodeKind::Input && node.sources[..] == [index - 1]
            }
        });
        !self.functional
            && chain
            && self.outputs.len() == 1
            && self.outputs[0].node + 1 == nodes.len()
    }

    /// The nodes that read node `index`.
    pub fn consumers(&self, index: usize) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(move |node| node.sources.contains(&index))
    }

    /// The number of values in weights the optimizer doesn't train (BatchNormalization's
    /// moving statistics).
    pub fn non_trainable_params(&self) -> usize {
        self.nodes.iter().map(Node::non_trainable_params).sum()
    }

    /// The total number of trainable parameters.
    pub fn total_params(&self) -> usize {
        self.nodes.iter().map(|node| node.params).sum()
    }

    /// The name of output `index`.
    pub fn output_name(&self, index: usize) -> &str {
        &self.nodes[self.outputs[index].node].name
    }

    /// The values per sample of output `index`.
    pub fn output_units(&self, index: usize) -> usize {
        self.nodes[self.outputs[index].node].shape.iter().product()
    }
}
