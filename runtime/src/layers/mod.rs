//! The layers a `model!` declaration can use, each statically shaped.

mod activation;
mod dense;
mod dropout;
mod flatten;
mod generator;
mod merge;
mod ops;

pub use activation::{activation_backward, activation_forward, ActivationLayer};
pub use dense::{Dense, DenseCore};
pub use dropout::{Dropout, DropoutCore};
pub use flatten::Flatten;
pub use generator::{Generator, GeneratorState};
pub use merge::{Add, Concatenate};
pub use ops::{OpLayer, Sources};

/// A trainable tensor of a layer, read-only, with the gradient of the last backward pass.
#[derive(Debug)]
pub struct Param<'a> {
    /// The weight's name within its layer: `kernel` or `bias`.
    pub name: &'static str,
    /// Its shape as Keras reports it: `(input_dim, units)` for a kernel.
    pub shape: &'a [usize],
    /// Its values, row-major in Keras's shape.
    pub value: &'a [f32],
    /// dLoss/dvalue from the last backward pass.
    pub grad: &'a [f32],
    /// Whether the optimizer trains it (BatchNormalization's moving statistics it doesn't).
    pub trainable: bool,
}

/// A trainable tensor of a layer, writable, with the gradient of the last backward pass.
#[derive(Debug)]
pub struct ParamMut<'a> {
    /// The weight's name within its layer: `kernel` or `bias`.
    pub name: &'static str,
    /// Its shape as Keras reports it.
    pub shape: &'a [usize],
    /// Its values, row-major in Keras's shape.
    pub value: &'a mut [f32],
    /// dLoss/dvalue from the last backward pass (an optimizer may clip it in place).
    pub grad: &'a mut [f32],
    /// Whether the layer's backward pass bounded every value of `grad` below
    /// [`CALM_GRADIENT`](crate::optimizers::CALM_GRADIENT) (finite, then): the optimizer
    /// skips its own pass over them. `false` when unknown.
    pub grad_is_calm: bool,
    /// Whether the optimizer trains it.
    pub trainable: bool,
}

/// What every layer offers a model: its trainable tensors, in Keras's order.
pub trait Layer {
    /// Calls `visit` with each trainable tensor, kernel before bias.
    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>));
    /// Calls `visit` with each trainable tensor, writable.
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>));
}

/// Writes or adds (`.1`) `grad` to the first `len` values of a source's gradient: the backward
/// pass of a layer whose gradient was already taken through (a fused loss and activation).
pub fn pass_gradient(grad: &[f32], dx: (&mut [f32], bool), len: usize) {
    activation::add_or_copy(&grad[..len], &mut dx.0[..len], dx.1);
}
