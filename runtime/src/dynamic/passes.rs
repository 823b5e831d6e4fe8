//! The passes of a model built at run time: staging, forward, losses and backward, node by
//! node through the [`Plan`], each step the call a declared model's generated code makes.

use std::sync::Arc;

use crate::activation::with_activation;
use crate::error::{Error, Result};
use crate::layers::{
    activation_backward, activation_forward, pass_gradient, Add, Concatenate, Sources,
};
use crate::loss::{Loss, LossKind};
use crate::network::{reserve, TargetView};
use crate::weights::BatchWeights;

use super::data::{DynInputs, DynTargets, TargetRows};
use super::plan::Plan;
use super::NodeLayer;

/// The buffers of a model built at run time, reused from batch to batch: they grow on the
/// first batch, and no step allocates after it.
#[derive(Clone, Debug)]
pub struct DynWorkspace {
    plan: Arc<Plan>,
    /// Each node's output (an input's staged samples), by owner.
    out: Vec<Vec<f32>>,
    /// A Dense node's pre-activations.
    pre: Vec<Vec<f32>>,
    /// dLoss/d(output) of each node, by owner.
    grad: Vec<Vec<f32>>,
    /// A Dropout node's mask.
    mask: Vec<Vec<f32>>,
    /// Each output's staged class labels (sparse losses).
    classes: Vec<Vec<u32>>,
    /// Each output's staged target values (the other losses).
    values: Vec<Vec<f32>>,
}

impl DynWorkspace {
    pub(crate) fn new(plan: Arc<Plan>) -> Self {
        let (nodes, outputs) = (plan.widths.len(), plan.outputs.len());
        DynWorkspace {
            plan,
            out: vec![Vec::new(); nodes],
            pre: vec![Vec::new(); nodes],
            grad: vec![Vec::new(); nodes],
            mask: vec![Vec::new(); nodes],
            classes: vec![Vec::new(); outputs],
            values: vec![Vec::new(); outputs],
        }
    }

    /// Grows every buffer to hold `samples` samples.
    fn reserve(&mut self, samples: usize) {
        let plan = &*self.plan;
        for index in 0..plan.widths.len() {
            if plan.owner[index] != index {
                continue;
            }
            let len = plan.widths[index] * samples;
            reserve(&mut self.out[index], len);
            if plan.needs_grad[index] {
                reserve(&mut self.grad[index], len);
            }
            if plan.keeps_pre[index] {
                reserve(&mut self.pre[index], len);
            }
        }
        for (index, mask) in self.mask.iter_mut().enumerate() {
            if plan.is_dropout[index] {
                reserve(mask, plan.widths[index] * samples);
            }
        }
    }

    pub(crate) fn stage_inputs(&mut self, inputs: DynInputs<'_>, rows: &[usize]) -> Result<()> {
        check_input_shapes(&self.plan, inputs)?;
        for (input, part) in self.plan.inputs.iter().zip(inputs.iter()) {
            let needed = rows.len() * self.plan.widths[input.node];
            let buffer = &mut self.out[input.node];
            reserve(buffer, needed);
            part.stage(rows, &mut buffer[..needed])?;
        }
        Ok(())
    }

    pub(crate) fn stage_targets(&mut self, targets: DynTargets<'_>, rows: &[usize]) -> Result<()> {
        check_target_kinds(&self.plan, targets)?;
        for (k, (output, part)) in self.plan.outputs.iter().zip(targets.iter()).enumerate() {
            match part.target_rows() {
                TargetRows::Classes(labels) => {
                    let staged = &mut self.classes[k];
                    reserve(staged, rows.len());
                    for (slot, &row) in staged.iter_mut().zip(rows) {
                        let label = labels[row];
                        if label as usize >= output.units {
                            return Err(label_error(&self.plan, k, label, row));
                        }
                        *slot = label;
                    }
                }
                TargetRows::Values { values, width } => {
                    let staged = &mut self.values[k];
                    reserve(staged, rows.len() * width);
                    for (slot, &row) in staged.chunks_exact_mut(width).zip(rows) {
                        slot.copy_from_slice(&values[row * width..(row + 1) * width]);
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn output(&self, index: usize, samples: usize) -> &[f32] {
        let output = &self.plan.outputs[index];
        &self.out[self.plan.owner[output.node]][..output.units * samples]
    }

    pub(crate) fn staged_targets(&self, index: usize, samples: usize) -> TargetView<'_> {
        let output = &self.plan.outputs[index];
        if output.loss.as_ref().is_some_and(Loss::sparse_targets) {
            TargetView::Classes(&self.classes[index][..samples])
        } else {
            TargetView::Values(&self.values[index][..output.units * samples])
        }
    }

    /// The forward pass; `trains(node)` says whether a node's layer is trainable (a frozen
    /// BatchNormalization computes as in inference).
    pub(crate) fn forward(
        &mut self,
        layers: &mut [NodeLayer],
        samples: usize,
        training: bool,
        trains: &dyn Fn(usize) -> bool,
    ) {
        self.reserve(samples);
        let plan = Arc::clone(&self.plan);
        for (index, layer) in layers.iter_mut().enumerate() {
            let width = plan.widths[index];
            let source = |k: usize| plan.owner[plan.sources[index][k]];
            match layer {
                NodeLayer::Input | NodeLayer::View => {}
                NodeLayer::Op(op) => {
                    // Sources always come before the nodes that read them.
                    let (head, tail) = self.out.split_at_mut(index);
                    let x = Buffers {
                        buffers: head,
                        owners: &plan.source_owners[index],
                    };
                    let infers = op.kind().spec().frozen_infers && !trains(index);
                    op.forward(&x, &mut tail[0], width, samples, training && !infers);
                }
                NodeLayer::Dense(core, kind) => {
                    let (x, y) = read_write(&mut self.out, source(0), index);
                    if plan.keeps_pre[index] {
                        let z = &mut self.pre[index];
                        with_activation!(*kind, A => core.forward::<A>(x, z, y, samples));
                    } else {
                        with_activation!(*kind, A => core.forward_to_output::<A>(x, y, samples));
                    }
                }
                NodeLayer::Dropout(core) => {
                    let (x, y) = read_write(&mut self.out, source(0), index);
                    core.forward(x, &mut self.mask[index], y, width * samples, training);
                }
                NodeLayer::Activation(kind) => {
                    let (x, y) = read_write(&mut self.out, source(0), index);
                    with_activation!(*kind, A => activation_forward::<A>(x, y, width, samples));
                }
                NodeLayer::Concatenate => {
                    let mut offset = 0;
                    for k in 0..plan.sources[index].len() {
                        let w = plan.widths[plan.sources[index][k]];
                        let (x, y) = read_write(&mut self.out, source(k), index);
                        Concatenate.forward_part(x, w, y, width, offset, samples);
                        offset += w;
                    }
                }
                NodeLayer::Add => {
                    for k in 0..plan.sources[index].len() {
                        let (x, y) = read_write(&mut self.out, source(k), index);
                        Add.forward_part(x, y, width * samples, k > 0);
                    }
                }
            }
        }
    }

    pub(crate) fn losses(&self, samples: usize, weights: &BatchWeights, losses: &mut [f64]) {
        output_losses(&self.buffers(), None, samples, weights, losses);
    }

    /// The buffers the losses read.
    fn buffers(&self) -> LossBuffers<'_> {
        LossBuffers {
            plan: &self.plan,
            out: &self.out,
            pre: &self.pre,
            classes: &self.classes,
            values: &self.values,
        }
    }

    pub(crate) fn backward(
        &mut self,
        layers: &mut [NodeLayer],
        samples: usize,
        weights: &BatchWeights,
        losses: &mut [f64],
    ) {
        let buffers = LossBuffers {
            plan: &self.plan,
            out: &self.out,
            pre: &self.pre,
            classes: &self.classes,
            values: &self.values,
        };
        output_losses(&buffers, Some(&mut self.grad), samples, weights, losses);
        let plan = Arc::clone(&self.plan);
        for (index, layer) in layers.iter_mut().enumerate().rev() {
            if !plan.needs_grad[index] {
                continue;
            }
            let width = plan.widths[index];
            let sources = &plan.sources[index];
            let accumulate = &plan.dx_accumulate[index];
            match layer {
                NodeLayer::Input | NodeLayer::View => {}
                NodeLayer::Op(op) => {
                    let x = Buffers {
                        buffers: &self.out,
                        owners: &plan.source_owners[index],
                    };
                    let y = &self.out[index];
                    op.backward_params(&x, &self.grad[index], width, samples);
                    for (k, &source) in sources.iter().enumerate() {
                        let owner = plan.owner[source];
                        if let (grad, Some(dx)) =
                            grad_and_dx(&mut self.grad, index, owner, accumulate[k])
                        {
                            op.backward_to(k, &x, y, grad, dx, width, samples);
                        }
                    }
                }
                NodeLayer::Dense(core, kind) => {
                    let source = plan.owner[sources[0]];
                    let x = &self.out[source];
                    let (grad, dx) = grad_and_dx(&mut self.grad, index, source, accumulate[0]);
                    if plan.fused[index] {
                        core.backward_from_preactivation(x, grad, dx, samples);
                    } else if plan.keeps_pre[index] {
                        let (z, y) = (&self.pre[index], &self.out[index]);
                        with_activation!(*kind, A => core.backward::<A>(x, z, y, grad, dx, samples));
                    } else {
                        let y = &self.out[index];
                        with_activation!(*kind, A => core.backward_from_output::<A>(x, y, grad, dx, samples));
                    }
                }
                NodeLayer::Dropout(core) => {
                    let source = plan.owner[sources[0]];
                    let (grad, dx) = grad_and_dx(&mut self.grad, index, source, accumulate[0]);
                    let dx = dx.expect("dropout needs a gradient only if its source does");
                    core.backward(&self.mask[index], grad, dx, width * samples);
                }
                NodeLayer::Activation(kind) => {
                    let source = plan.owner[sources[0]];
                    let (grad, dx) = grad_and_dx(&mut self.grad, index, source, accumulate[0]);
                    let dx = dx.expect("an activation needs a gradient only if its source does");
                    if plan.fused[index] {
                        pass_gradient(grad, dx, width * samples);
                    } else {
                        let (x, y) = (&self.out[source], &self.out[index]);
                        with_activation!(*kind, A => activation_backward::<A>(x, y, grad, dx, width, samples));
                    }
                }
                NodeLayer::Concatenate => {
                    let mut offset = 0;
                    for (k, &source) in sources.iter().enumerate() {
                        let w = plan.widths[source];
                        let owner = plan.owner[source];
                        if let (grad, Some(dx)) =
                            grad_and_dx(&mut self.grad, index, owner, accumulate[k])
                        {
                            Concatenate.backward_to(grad, width, offset, w, dx, samples);
                        }
                        offset += w;
                    }
                }
                NodeLayer::Add => {
                    for (k, &source) in sources.iter().enumerate() {
                        let owner = plan.owner[source];
                        if let (grad, Some(dx)) =
                            grad_and_dx(&mut self.grad, index, owner, accumulate[k])
                        {
                            Add.backward_to(grad, dx, width * samples);
                        }
                    }
                }
            }
        }
    }
}

/// The outputs of a node's sources among the model's buffers.
struct Buffers<'a> {
    buffers: &'a [Vec<f32>],
    /// The buffer of each source.
    owners: &'a [usize],
}

impl Sources for Buffers<'_> {
    fn count(&self) -> usize {
        self.owners.len()
    }
    fn get(&self, k: usize) -> &[f32] {
        &self.buffers[self.owners[k]]
    }
}

/// What the losses read: the outputs, pre-activations and staged targets.
struct LossBuffers<'a> {
    plan: &'a Plan,
    out: &'a [Vec<f32>],
    pre: &'a [Vec<f32>],
    classes: &'a [Vec<u32>],
    values: &'a [Vec<f32>],
}

/// Each output's loss into `losses`; with `grad`, also its weighted gradient into its
/// buffer, written or added as the generated backward pass does.
fn output_losses(
    buffers: &LossBuffers<'_>,
    mut grad: Option<&mut [Vec<f32>]>,
    samples: usize,
    weights: &BatchWeights,
    losses: &mut [f64],
) {
    let plan = buffers.plan;
    for (k, output) in plan.outputs.iter().enumerate() {
        let node = output.node;
        let owner = plan.owner[node];
        let len = output.units * samples;
        let scale = output.weight / samples as f32;
        let loss = output
            .loss
            .as_ref()
            .expect("targets are staged only for outputs with a loss");
        let target = if loss.sparse_targets() {
            TargetView::Classes(&buffers.classes[k][..samples])
        } else {
            TargetView::Values(&buffers.values[k][..len])
        };
        let y = &buffers.out[owner][..len];
        let grad = grad
            .as_deref_mut()
            .filter(|_| plan.needs_grad[owner])
            .map(|grad| &mut grad[owner][..len]);
        losses[k] = if plan.fused[node] {
            let z = if plan.keeps_pre[node] {
                &buffers.pre[node][..len]
            } else {
                &buffers.out[plan.owner[plan.sources[node][0]]][..len]
            };
            let sum = loss
                .fused(z, y, target, output.units, scale, weights.output(k), grad)
                .expect("a fused output's loss fuses");
            sum / samples as f64
        } else {
            let value = loss.mean_loss(y, target, output.units, samples, weights.output(k));
            if let Some(grad) = grad {
                loss.loss_gradient(
                    y,
                    target,
                    output.units,
                    scale,
                    weights.output(k),
                    grad,
                    output.accumulate,
                );
            }
            value
        };
    }
}

/// `buffers[read]` to read and `buffers[write]` to write, two different buffers.
fn read_write(buffers: &mut [Vec<f32>], read: usize, write: usize) -> (&[f32], &mut [f32]) {
    debug_assert_ne!(read, write, "a node never reads its own buffer");
    if read < write {
        let (head, tail) = buffers.split_at_mut(write);
        (&head[read], &mut tail[0])
    } else {
        let (head, tail) = buffers.split_at_mut(read);
        (&tail[0], &mut head[write])
    }
}

/// A node's gradient buffer and, when its source needs one (`accumulate` is `Some`), the
/// source's, with whether to add to it.
fn grad_and_dx(
    grad: &mut [Vec<f32>],
    node: usize,
    source: usize,
    accumulate: Option<bool>,
) -> (&mut [f32], Option<(&mut [f32], bool)>) {
    let Some(accumulate) = accumulate else {
        return (&mut grad[node], None);
    };
    debug_assert_ne!(node, source, "a node never reads its own buffer");
    if source < node {
        let (head, tail) = grad.split_at_mut(node);
        (&mut tail[0], Some((&mut head[source], accumulate)))
    } else {
        let (head, tail) = grad.split_at_mut(source);
        (&mut head[node], Some((&mut tail[0], accumulate)))
    }
}

/// The number of samples all parts share; errors name the first part that differs.
pub(crate) fn count(parts: impl Iterator<Item = usize>, what: &str) -> Result<usize> {
    let mut first = None;
    for (index, samples) in parts.enumerate() {
        match first {
            None => first = Some(samples),
            Some(expected) if expected != samples => {
                return Err(Error::shape(
                    format!("{what} {}", index + 1),
                    format!("{expected} samples, as {what} 1"),
                    format!("{samples} samples"),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(first.unwrap_or(0))
}

fn data_error(plan: &Plan, reason: String) -> Error {
    Error::Model {
        model: plan.model.clone(),
        reason,
    }
}

fn label_error(plan: &Plan, output: usize, label: u32, sample: usize) -> Error {
    let output = &plan.outputs[output];
    data_error(
        plan,
        format!(
            "output `{}` has {} classes, and sample {sample}'s label is {label}",
            output.name, output.units
        ),
    )
}

/// Checks the number of inputs and the shape of each one's samples.
fn check_input_shapes(plan: &Plan, inputs: DynInputs<'_>) -> Result<()> {
    if inputs.len() != plan.inputs.len() {
        let listed: Vec<String> = plan
            .inputs
            .iter()
            .map(|i| format!("`{}` {:?}", i.name, i.shape))
            .collect();
        return Err(data_error(
            plan,
            format!(
                "the model takes {} input{} ({}), and {} {} given",
                plan.inputs.len(),
                if plan.inputs.len() == 1 { "" } else { "s" },
                listed.join(", "),
                inputs.len(),
                if inputs.len() == 1 { "is" } else { "are" }
            ),
        ));
    }
    for (input, part) in plan.inputs.iter().zip(inputs.iter()) {
        if part.sample_shape() != input.shape {
            return Err(data_error(
                plan,
                format!(
                    "input `{}` takes samples of shape {:?}, and it is given samples of shape {:?}",
                    input.name,
                    input.shape,
                    part.sample_shape()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the number of targets and that each is of the kind and width its output's loss
/// trains on.
fn check_target_kinds(plan: &Plan, targets: DynTargets<'_>) -> Result<()> {
    if targets.len() != plan.outputs.len() {
        return Err(data_error(
            plan,
            format!(
                "the model has {} output{} ({}), and targets for {} are given",
                plan.outputs.len(),
                if plan.outputs.len() == 1 { "" } else { "s" },
                crate::error::quoted_list(plan.outputs.iter().map(|o| o.name.as_str())),
                targets.len()
            ),
        ));
    }
    for (output, part) in plan.outputs.iter().zip(targets.iter()) {
        let Some(loss) = &output.loss else {
            return Err(data_error(
                plan,
                format!(
                    "output `{}` has no loss (its file was saved without one): give it one \
                     with `set_loss(\"{}\", loss, weight)` before training or evaluating",
                    output.name, output.name
                ),
            ));
        };
        let reason = match (loss.sparse_targets(), part.target_rows()) {
            (true, TargetRows::Values { .. }) => Some(format!(
                "output `{}` is trained with {}, which takes class labels, and it is given values",
                output.name,
                loss.name()
            )),
            (false, TargetRows::Classes(_)) => Some(format!(
                "output `{}` is trained with {}, which takes {} values per sample, and it is given class labels{}",
                output.name,
                loss.name(),
                output.units,
                if loss.kind() == LossKind::CategoricalCrossentropy {
                    " (one-hot them, or train with sparse_categorical_crossentropy)"
                } else {
                    ""
                }
            )),
            (false, TargetRows::Values { width, .. }) if width != output.units => Some(format!(
                "output `{}` has {} units, and its targets have {width} values per sample",
                output.name, output.units
            )),
            _ => None,
        };
        if let Some(reason) = reason {
            return Err(data_error(plan, reason));
        }
    }
    Ok(())
}

/// [`check_input_shapes`], for `check_data`.
pub(crate) fn check_inputs(plan: &Plan, inputs: DynInputs<'_>) -> Result<()> {
    check_input_shapes(plan, inputs)
}

/// [`check_target_kinds`] and every class label, for `check_data`.
pub(crate) fn check_targets(plan: &Plan, targets: DynTargets<'_>) -> Result<()> {
    check_target_kinds(plan, targets)?;
    for (k, (output, part)) in plan.outputs.iter().zip(targets.iter()).enumerate() {
        if let TargetRows::Classes(labels) = part.target_rows() {
            if let Some((sample, &label)) = labels
                .iter()
                .enumerate()
                .find(|(_, &label)| label as usize >= output.units)
            {
                return Err(label_error(plan, k, label, sample));
            }
        }
    }
    Ok(())
}
