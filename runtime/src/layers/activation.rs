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
        A::forward(&x[..N * samples], &mut y[..N * samples], N);
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
        let len = N * samples;
        A::backward(&x[..len], &y[..len], &mut grad[..len], N);
        add_or_copy(&grad[..len], &mut dx.0[..len], dx.1);
    }
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
