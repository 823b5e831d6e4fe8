//! `Activation`: an activation function as a layer of its own.

use std::marker::PhantomData;

use super::{Layer, Param, ParamMut};
use crate::activation::Activation;

/// Applies `A` to samples of `N` values.
#[derive(Clone, Copy, Debug, Default)]
pub struct ActivationLayer<const N: usize, A: Activation> {
    activation: PhantomData<A>,
}

impl<const N: usize, A: Activation> ActivationLayer<N, A> {
    /// The layer.
    pub fn new() -> Self {
        ActivationLayer {
            activation: PhantomData,
        }
    }

    /// `y = A(x)` over `samples` samples.
    pub fn forward(&self, x: &[f32], y: &mut [f32], samples: usize) {
        activation_forward::<A>(x, y, N, samples);
    }

    /// Turns dL/dy in `grad` into dL/dx, then writes or adds it to `dx`.
    pub fn backward(
        &self,
        x: &[f32],
        y: &[f32],
        grad: &mut [f32],
        dx: (&mut [f32], bool),
        samples: usize,
    ) {
        activation_backward::<A>(x, y, grad, dx, N, samples);
    }
}

/// `y = A(x)` over `samples` samples of `width` values: an [`ActivationLayer`]'s forward
/// pass, for any width.
pub fn activation_forward<A: Activation>(x: &[f32], y: &mut [f32], width: usize, samples: usize) {
    let len = width * samples;
    A::forward(&x[..len], &mut y[..len], width);
}

/// Turns dL/dy in `grad` into dL/dx, then writes or adds it to `dx`: an
/// [`ActivationLayer`]'s backward pass, for any width.
pub fn activation_backward<A: Activation>(
    x: &[f32],
    y: &[f32],
    grad: &mut [f32],
    dx: (&mut [f32], bool),
    width: usize,
    samples: usize,
) {
    let len = width * samples;
    A::backward(&x[..len], &y[..len], &mut grad[..len], width);
    add_or_copy(&grad[..len], &mut dx.0[..len], dx.1);
}

impl<const N: usize, A: Activation> Layer for ActivationLayer<N, A> {
    fn visit_params(&self, _visit: &mut dyn FnMut(Param<'_>)) {}
    fn visit_params_mut(&mut self, _visit: &mut dyn FnMut(ParamMut<'_>)) {}
}

/// Writes `source` into `target`, or adds it when `accumulate`.
pub(crate) fn add_or_copy(source: &[f32], target: &mut [f32], accumulate: bool) {
    if accumulate {
        target.iter_mut().zip(source).for_each(|(t, s)| *t += s);
    } else {
        target.copy_from_slice(source);
    }
}
