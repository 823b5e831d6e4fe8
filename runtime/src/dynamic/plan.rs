//! How a model built at run time runs its graph: which buffer each node writes, which nodes
//! need gradients, which outputs take their loss from logits, and whether each gradient is
//! written or added. The rules are those the `model!` macro follows when it writes a
//! declared model's passes, so that both compute the same numbers in the same order.

use crate::activation::ActivationKind;
use crate::graph::{Graph, NodeKind};
use crate::loss::Loss;

/// The fixed facts of a model's passes, computed once when the model is built.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// The model's name, for errors about data.
    pub model: String,
    /// Values per sample of each node.
    pub widths: Vec<usize>,
    /// The nodes each node reads.
    pub sources: Vec<Vec<usize>>,
    /// The node whose buffers each node uses (a Flatten uses its source's).
    pub owner: Vec<usize>,
    /// The buffers each node reads: its sources' owners.
    pub source_owners: Vec<Vec<usize>>,
    /// Whether the loss depends on a parameter at or before the node.
    pub needs_grad: Vec<bool>,
    /// Whether an output node's loss is computed from its logits with its activation.
    pub fused: Vec<bool>,
    /// Whether a Dense node keeps its pre-activations.
    pub keeps_pre: Vec<bool>,
    /// Whether a node is a Dropout layer, with a mask.
    pub is_dropout: Vec<bool>,
    /// The inputs: node, name and sample shape, in the model's input order.
    pub inputs: Vec<InputPlan>,
    /// The outputs, in the model's output order.
    pub outputs: Vec<OutputPlan>,
    /// For each node and each of its sources: `None` if the source needs no gradient, else
    /// whether the node's backward pass adds to it (another wrote it first).
    pub dx_accumulate: Vec<Vec<Option<bool>>>,
}

/// An input of the model.
#[derive(Clone, Debug)]
pub(crate) struct InputPlan {
    pub node: usize,
    pub name: String,
    pub shape: Vec<usize>,
}

/// An output of the model and how its loss is computed.
#[derive(Clone, Debug)]
pub(crate) struct OutputPlan {
    pub node: usize,
    pub name: String,
    pub units: usize,
    /// `None` until the model is given one (a file saved without a loss).
    pub loss: Option<Loss>,
    pub weight: f32,
    /// Whether its gradient is added to its buffer (another output wrote it first).
    pub accumulate: bool,
}

/// The activation of a Dense or Activation node.
pub(crate) fn activation_of(kind: &NodeKind) -> Option<ActivationKind> {
    match kind {
        NodeKind::Dense { activation, .. } | NodeKind::Activation { activation } => {
            ActivationKind::from_name(activation)
        }
        _ => None,
    }
}

/// Whether an activation's derivative needs only its output, so that a Dense layer with it
/// keeps no pre-activations ([`Activation::FROM_OUTPUT`](crate::activation::Activation)).
fn from_output(kind: ActivationKind) -> bool {
    crate::activation::with_activation!(kind, A => <A as crate::activation::Activation>::FROM_OUTPUT)
}

impl Plan {
    /// The plan of a checked graph.
    pub(crate) fn new(graph: &Graph) -> Self {
        let nodes = &graph.nodes;
        let mut owner = Vec::with_capacity(nodes.len());
        let mut needs_grad = Vec::with_capacity(nodes.len());
        for (index, node) in nodes.iter().enumerate() {
            owner.push(if node.kind.is_view() {
                owner[node.sources[0]]
            } else {
                index
            });
            let has_params = node.params > 0;
            needs_grad.push(has_params || node.sources.iter().any(|&s| needs_grad[s]));
        }
        let output_of = |index: usize| graph.outputs.iter().position(|o| o.node == index);
        let fused: Vec<bool> = (0..nodes.len())
            .map(|index| {
                let Some(k) = output_of(index) else {
                    return false;
                };
                let read = graph.consumers(index).next().is_some();
                let fuses_with = graph.outputs[k].loss.as_ref().and_then(Loss::fuses_with);
                !read && fuses_with.is_some() && fuses_with == activation_of(&nodes[index].kind)
            })
            .collect();
        let keeps_pre = (0..nodes.len())
            .map(|index| {
                matches!(nodes[index].kind, NodeKind::Dense { .. })
                    && (fused[index] || !activation_of(&nodes[index].kind).is_some_and(from_output))
            })
            .collect();
        // Which gradient buffers are written: each output's first, then the layers' from
        // the last to the first, as the generated backward pass writes them.
        let mut written = vec![false; nodes.len()];
        let mut first_write = |owner: usize| !std::mem::replace(&mut written[owner], true);
        let outputs = graph
            .outputs
            .iter()
            .map(|output| {
                let buffer = owner[output.node];
                let accumulate = needs_grad[buffer] && !first_write(buffer);
                OutputPlan {
                    node: output.node,
                    name: nodes[output.node].name.to_string(),
                    units: nodes[output.node].shape.iter().product(),
                    loss: output.loss.clone(),
                    weight: output.weight,
                    accumulate,
                }
            })
            .collect();
        let mut dx_accumulate = vec![Vec::new(); nodes.len()];
        for index in (0..nodes.len()).rev() {
            let node = &nodes[index];
            if node.kind == NodeKind::Input || node.kind.is_view() || !needs_grad[index] {
                continue;
            }
            dx_accumulate[index] = node
                .sources
                .iter()
                .map(|&source| {
                    let buffer = owner[source];
                    needs_grad[buffer].then(|| !first_write(buffer))
                })
                .collect();
        }
        let inputs = nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.kind == NodeKind::Input)
            .map(|(index, node)| InputPlan {
                node: index,
                name: node.name.to_string(),
                shape: node.shape.to_vec(),
            })
            .collect();
        Plan {
            model: graph.name.to_string(),
            widths: nodes.iter().map(|n| n.shape.iter().product()).collect(),
            sources: nodes.iter().map(|n| n.sources.to_vec()).collect(),
            source_owners: nodes
                .iter()
                .map(|n| n.sources.iter().map(|&s| owner[s]).collect())
                .collect(),
            owner,
            needs_grad,
            fused,
            keeps_pre,
            is_dropout: nodes
                .iter()
                .map(|n| matches!(n.kind, NodeKind::Dropout { .. }))
                .collect(),
            inputs,
            outputs,
            dx_accumulate,
        }
    }
}
