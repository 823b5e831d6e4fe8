//! The rules that span the whole graph, one small function each.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use syn::Ident;

use crate::ctxt::Ctxt;
use crate::ir::{Kind, Model};

/// Applies every rule, recording each violation.
pub fn check(model: &Model, ctxt: &mut Ctxt) {
    has_an_output(model, ctxt);
    keras_names_are_distinct(model, ctxt);
    every_node_reaches_an_output(model, ctxt);
    outputs_are_rank_one(model, ctxt);
    losses_fit_their_outputs(model, ctxt);
    loss_weights_are_positive(model, ctxt);
}

/// A model trains and predicts through its outputs: it needs at least one.
fn has_an_output(model: &Model, ctxt: &mut Ctxt) {
    if model.outputs.is_empty() {
        ctxt.error_at(
            &model.ident,
            format!(
                "model `{}` has no output; mark its last layer: `output NAME = Dense(...), loss = ...`",
                model.ident
            ),
        );
    }
}

/// Files pair layers by their Keras names, so no two nodes may share one. (Rust names that
/// repeat were reported by lowering.)
fn keras_names_are_distinct(model: &Model, ctxt: &mut Ctxt) {
    let mut first: HashMap<&str, &Ident> = HashMap::new();
    for node in &model.nodes {
        match first.entry(&node.keras_name) {
            Entry::Occupied(earlier) if *earlier.get() != &node.name => ctxt.error_at(
                &node.name,
                format!(
                    "`{}` has the Keras name \"{}\", as `{}` has; files pair layers by these names, so give it another",
                    node.name, node.keras_name, earlier.get()
                ),
            ),
            Entry::Occupied(_) => {}
            Entry::Vacant(slot) => {
                slot.insert(&node.name);
            }
        }
    }
}

/// A node no output depends on would be computed for nothing (and never trained): it is
/// almost always a wiring mistake, so it is an error, as in a Keras graph it would be dropped.
///
/// A layer left without sources had them reported already; the edges it misses would show up
/// here as unused nodes, so the rule waits until they are fixed.
fn every_node_reaches_an_output(model: &Model, ctxt: &mut Ctxt) {
    let sources_missing = model
        .nodes
        .iter()
        .any(|node| !matches!(node.kind, Kind::Input) && node.sources.is_empty());
    if model.outputs.is_empty() || sources_missing {
        return;
    }
    let mut reaches = vec![false; model.nodes.len()];
    for index in (0..model.nodes.len()).rev() {
        reaches[index] =
            model.nodes[index].output.is_some() || model.consumers(index).any(|c| reaches[c]);
    }
    for (node, reaches) in model.nodes.iter().zip(reaches) {
        if !reaches {
            ctxt.error_at(
                &node.name,
                format!("`{}` reaches no output; use it, or remove it", node.name),
            );
        }
    }
}

/// Predictions and targets are rows of values: an output must be rank 1.
fn outputs_are_rank_one(model: &Model, ctxt: &mut Ctxt) {
    for output in &model.outputs {
        let node = &model.nodes[output.node];
        if let Some(shape) = node.shape.as_ref().filter(|shape| shape.len() != 1) {
            ctxt.error_at(
                &node.name,
                format!(
                    "output `{}` has shape {shape:?}; outputs must be rank 1, so flatten it first",
                    node.name
                ),
            );
        }
    }
}

/// Class losses need classes: sparse or categorical cross-entropy on one unit, or binary
/// cross-entropy on several, can't be what was meant.
fn losses_fit_their_outputs(model: &Model, ctxt: &mut Ctxt) {
    for output in &model.outputs {
        let node = &model.nodes[output.node];
        let (Some(loss), Some(shape)) = (&output.loss, node.shape.as_ref()) else {
            continue;
        };
        let spec = loss.kind.spec();
        let units = shape.iter().product::<usize>();
        if units < spec.min_units {
            ctxt.error_span(
                output.loss_span,
                format!(
                    "`{}` needs at least {} output units, but `{}` has {units}; for one unit use `binary_crossentropy` (with sigmoid) or `mse`",
                    spec.name, spec.min_units, node.name
                ),
            );
        } else if let Some(max) = spec.max_units.filter(|&max| units > max) {
            ctxt.error_span(
                output.loss_span,
                format!(
                    "`{}` needs exactly {max} output unit, but `{}` has {units}; for classes use `categorical_crossentropy` or `sparse_categorical_crossentropy`",
                    spec.name, node.name
                ),
            );
        }
    }
}

/// A loss weight scales a loss to be minimised: it must be a positive, finite number. (Lowering
/// already rejects a written weight that isn't, under the whole value; this keeps the graph's
/// invariant for codegen.)
fn loss_weights_are_positive(model: &Model, ctxt: &mut Ctxt) {
    for output in &model.outputs {
        if !(output.weight.is_finite() && output.weight > 0.0) {
            ctxt.error_span(
                output.weight_span,
                format!(
                    "the loss weight of `{}` must be positive and finite, not {}",
                    model.nodes[output.node].name, output.weight
                ),
            );
        }
    }
}
