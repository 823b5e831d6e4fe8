//! A declaration with errors still generates its model, repaired: each part an error left
//! unknown becomes the nearest thing that compiles, so that the code using the model (`new`,
//! `compile`, `fit`, `predict`, `summary`, the fields of the layers that were fine) adds no
//! error of its own. The repaired model never runs: the declaration's errors stop the build.

use std::collections::HashSet;

use quote::format_ident;
use syn::ext::IdentExt;

use crate::ir::{Kind, LossDecl, Model, Node, Output};
use densely_spec::LossKind;

/// Makes `model` a graph codegen accepts, changing only what errors left unknown.
pub fn repair(model: &mut Model) {
    if model.nodes.is_empty() {
        let mut input = Node::new(
            format_ident!("input", span = model.ident.span()),
            Kind::Input,
        );
        input.shape = Some(vec![1]);
        model.nodes.push(input);
    }
    distinct_names(model);
    for index in 0..model.nodes.len() {
        repair_node(model, index);
    }
    for output in &mut model.outputs {
        if output.loss.is_none() {
            output.loss = Some(LossDecl::plain(LossKind::MeanSquaredError));
        }
        if !(output.weight.is_finite() && output.weight > 0.0) {
            output.weight = 1.0;
        }
    }
    if model.outputs.is_empty() {
        let last = model.nodes.len() - 1;
        let span = model.nodes[last].name.span();
        model.nodes[last].output = Some(0);
        model.outputs.push(Output {
            node: last,
            loss: Some(LossDecl::plain(LossKind::MeanSquaredError)),
            loss_span: span,
            weight: 1.0,
            weight_span: span,
        });
    }
}

/// A name declared twice gets a fresh one the second time, so that the struct's fields and
/// buffers stay distinct.
fn distinct_names(model: &mut Model) {
    let mut taken: HashSet<String> = model
        .nodes
        .iter()
        .map(|node| node.name.unraw().to_string())
        .collect();
    let mut seen = HashSet::new();
    for node in &mut model.nodes {
        if !seen.insert(node.name.unraw().to_string()) {
            let mut fresh = format_ident!("{}_again", node.name.unraw());
            while taken.contains(&fresh.to_string()) {
                fresh = format_ident!("{}_again", fresh);
            }
            taken.insert(fresh.to_string());
            node.name = fresh;
        }
    }
}

fn repair_node(model: &mut Model, index: usize) {
    let node = &model.nodes[index];
    if matches!(node.kind, Kind::Input) {
        if node.shape.is_none() {
            model.nodes[index].shape = Some(vec![1]);
        }
        return;
    }
    let merge = matches!(node.kind, Kind::Concatenate | Kind::Add);
    let mut sources = node.sources.clone();
    if sources.is_empty() {
        match index.checked_sub(1) {
            Some(previous) => sources.push(previous),
            None => {
                // Nothing before it to read: it stands in for an input.
                let node = &mut model.nodes[index];
                node.kind = Kind::Input;
                node.shape = Some(vec![1]);
                return;
            }
        }
    }
    if merge && sources.len() < 2 {
        sources.push(sources[0]);
    }
    if !merge {
        sources.truncate(1);
    }
    let widths: Vec<usize> = sources.iter().map(|&s| model.nodes[s].width()).collect();
    let first_shape = model.nodes[sources[0]].shape.clone();
    let node = &mut model.nodes[index];
    if matches!(node.kind, Kind::Invalid) {
        node.kind = Kind::Activation {
            activation: "linear",
        };
    }
    if node.shape.is_none() {
        node.shape = Some(match node.kind {
            Kind::Dense { units, .. } => vec![units],
            Kind::Flatten => vec![widths[0]],
            // A width that overflowed was the error: any width will do.
            Kind::Concatenate => vec![widths
                .iter()
                .try_fold(0usize, |sum, &w| sum.checked_add(w))
                .unwrap_or(1)],
            _ => first_shape.unwrap_or_else(|| vec![widths[0]]),
        });
    }
    node.sources = sources;
}
