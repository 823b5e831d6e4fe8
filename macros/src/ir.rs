//! The resolved graph of a declaration: nodes in topological order with their shapes.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Attribute, Ident, Visibility};

use densely_spec::{LossKind, OpKind, Role, Value, WeightRule};

/// A model whose names are resolved and shapes computed.
pub struct Model {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    /// Every input and layer, sources always first.
    pub nodes: Vec<Node>,
    /// The outputs, in declaration order.
    pub outputs: Vec<Output>,
}

/// An input or a layer applied to its sources.
pub struct Node {
    /// The Rust name: a field of the struct, and the name sources use.
    pub name: Ident,
    /// The name in summaries, plots and files: Keras's `name = "..."` when given, otherwise
    /// the Rust name without any `r#`.
    pub keras_name: String,
    pub kind: Kind,
    /// The shape of one sample of its output; `None` when an error left it unknown.
    pub shape: Option<Vec<usize>>,
    /// Indices of the nodes it reads.
    pub sources: Vec<usize>,
    /// Its index in [`Model::outputs`], when it is an output.
    pub output: Option<usize>,
    /// Whether its weights train (`trainable = false` freezes it).
    pub trainable: bool,
}

/// What a node computes.
pub enum Kind {
    Input,
    Dense {
        units: usize,
        activation: &'static str,
        use_bias: bool,
        kernel_initializer: &'static str,
        bias_initializer: &'static str,
        /// Regularizers and constraints under their Keras arguments (`kernel_regularizer`).
        rules: Vec<(String, WeightRule)>,
    },
    Flatten,
    Dropout {
        rate: f64,
    },
    Activation {
        activation: &'static str,
    },
    Concatenate,
    Add,
    /// A kind described in [`densely_spec::KINDS`], with every argument of its spec.
    Op {
        kind: OpKind,
        args: Vec<Value>,
    },
    /// A layer that could not be resolved (its error is already recorded).
    Invalid,
}

/// A loss as declared: its kind and every argument, checked, in its spec's order.
#[derive(Clone, Debug)]
pub struct LossDecl {
    pub kind: LossKind,
    pub args: Vec<Value>,
}

impl LossDecl {
    /// The loss with Keras's default arguments.
    pub fn plain(kind: LossKind) -> Self {
        let args = kind.spec().args.iter().map(|a| a.default.clone()).collect();
        LossDecl { kind, args }
    }

    /// Whether its targets are class labels.
    pub fn sparse(&self) -> bool {
        self.kind.sparse_targets()
    }

    /// The activation whose logits it takes, if any.
    pub fn fuses_with(&self) -> Option<&'static str> {
        self.kind.spec().fuses_with_args(&self.args)
    }
}

/// An output and the loss that trains it.
pub struct Output {
    pub node: usize,
    /// The loss, `None` when it was missing or unknown (the error is recorded).
    pub loss: Option<LossDecl>,
    pub loss_span: Span,
    pub weight: f64,
    pub weight_span: Span,
}

impl Model {
    /// The nodes that read node `index`.
    pub fn consumers(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, node)| node.sources.contains(&index))
            .map(|(consumer, _)| consumer)
    }
}

impl Kind {
    /// Whether the node is its source's values under another shape, sharing its buffers.
    pub fn is_view(&self) -> bool {
        match self {
            Kind::Flatten => true,
            Kind::Op { kind, .. } => kind.spec().role == Role::View,
            _ => false,
        }
    }
}

impl Node {
    /// A node called `name` (its Keras name too, until `name = "..."` says otherwise) of
    /// unknown shape, reading nothing yet.
    pub fn new(name: Ident, kind: Kind) -> Node {
        Node {
            keras_name: name.unraw().to_string(),
            name,
            kind,
            shape: None,
            sources: Vec::new(),
            output: None,
            trainable: true,
        }
    }

    /// The values in one sample of the node's output.
    pub fn width(&self) -> usize {
        // Lowering refuses every shape whose product overflows; saturating keeps this total.
        self.shape.as_ref().map_or(0, |shape| {
            shape
                .iter()
                .fold(1, |product, &d| product.saturating_mul(d))
        })
    }

    /// The number of trainable parameters.
    pub fn params(&self, model: &Model) -> usize {
        match self.kind {
            Kind::Dense {
                units, use_bias, ..
            } => {
                let input = model.nodes[self.sources[0]].width();
                // Checked by lowering, saturating here to stay total.
                input
                    .saturating_mul(units)
                    .saturating_add(if use_bias { units } else { 0 })
            }
            Kind::Op { kind, ref args } => self
                .shape
                .as_ref()
                .map_or(0, |shape| kind.spec().trainable_params(args, shape)),
            _ => 0,
        }
    }

    /// Whether the node has weights, trained or not (Normalization's are not).
    pub fn has_weights(&self, model: &Model) -> bool {
        match self.kind {
            Kind::Op { kind, ref args } => kind.spec().present_weights(args).next().is_some(),
            _ => self.params(model) > 0,
        }
    }

    /// The node's activation, for the layers that have one.
    pub fn activation(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Dense { activation, .. } | Kind::Activation { activation } => Some(activation),
            _ => None,
        }
    }
}
