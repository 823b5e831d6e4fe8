//! `Flatten`: each sample as one dimension.

use std::marker::PhantomData;

use super::{Layer, Param, ParamMut};
use crate::shape::Shape;

/// Reshapes samples of shape `S` to `[S::SIZE]`.
///
/// Samples are stored contiguously, so flattening moves no data: the generated code reads the
/// source's buffer directly.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten<S: Shape> {
    shape: PhantomData<S>,
}

impl<S: Shape> Flatten<S> {
    /// The layer.
    pub fn new() -> Self {
        Flatten { shape: PhantomData }
    }

    /// The number of values in each flattened sample.
    pub const fn units(&self) -> usize {
        S::SIZE
    }
}

impl<S: Shape> Layer for Flatten<S> {
    fn visit_params(&self, _visit: &mut dyn FnMut(Param<'_>)) {}
    fn visit_params_mut(&mut self, _visit: &mut dyn FnMut(ParamMut<'_>)) {}
}
