//! `Dense`: `output = activation(dot(input, kernel) + bias)`.

use std::marker::PhantomData;

use nalgebra::{Const, MatrixView, SVectorView, U1};
use rand::Rng;

use super::{Layer, Param, ParamMut};
use crate::activation::Activation;
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::linalg;

/// A fully connected layer from `IN` to `OUT` units with activation `A`.
///
/// The kernel has Keras's layout `(IN, OUT)`, row-major, so it reads and writes Keras files as
/// they are; the type knows both sizes, so `kernel()` is an `IN x OUT` matrix and nothing else.
#[derive(Clone, Debug)]
pub struct Dense<const IN: usize, const OUT: usize, A: Activation> {
    kernel: Vec<f32>,
    bias: Vec<f32>,
    kernel_grad: Vec<f32>,
    bias_grad: Vec<f32>,
    use_bias: bool,
    activation: PhantomData<A>,
}

/// The kernel as an `IN x OUT` matrix view in Keras's orientation.
pub type KernelView<'a, const IN: usize, const OUT: usize> =
    MatrixView<'a, f32, Const<IN>, Const<OUT>, Const<OUT>, U1>;

impl<const IN: usize, const OUT: usize, A: Activation> Dense<IN, OUT, A> {
    const KERNEL_SHAPE: &'static [usize] = &[IN, OUT];
    const BIAS_SHAPE: &'static [usize] = &[OUT];

    /// A layer initialized as Keras would, drawing from `rng`.
    pub fn new<R: Rng + ?Sized>(
        use_bias: bool,
        kernel_initializer: Initializer,
        bias_initializer: Initializer,
        rng: &mut R,
    ) -> Self {
        let mut kernel = vec![0.0; IN * OUT];
        kernel_initializer.fill(&mut kernel, IN, OUT, rng);
        let bias_len = if use_bias { OUT } else { 0 };
        let mut bias = vec![0.0; bias_len];
        bias_initializer.fill(&mut bias, IN, OUT, rng);
        Dense {
            kernel,
            bias,
            kernel_grad: vec![0.0; IN * OUT],
            bias_grad: vec![0.0; bias_len],
            use_bias,
            activation: PhantomData,
        }
    }

    /// The number of input features.
    pub const fn input_dim(&self) -> usize {
        IN
    }

    /// The number of units.
    pub const fn units(&self) -> usize {
        OUT
    }

    /// Whether the layer adds a bias.
    pub fn use_bias(&self) -> bool {
        self.use_bias
    }

    /// The kernel, `IN x OUT` like Keras's `(input_dim, units)`.
    pub fn kernel(&self) -> KernelView<'_, IN, OUT> {
        MatrixView::from_slice_with_strides_generic(
            &self.kernel,
            Const::<IN>,
            Const::<OUT>,
            Const::<OUT>,
            U1,
        )
    }

    /// The bias, or `None` for a layer built with `use_bias = false`.
    pub fn bias(&self) -> Option<SVectorView<'_, f32, OUT>> {
        self.use_bias.then(|| SVectorView::from_slice(&self.bias))
    }

    /// Keras's `get_weights()`: the kernel and the bias (if any).
    pub fn get_weights(&self) -> (KernelView<'_, IN, OUT>, Option<SVectorView<'_, f32, OUT>>) {
        (self.kernel(), self.bias())
    }

    /// Keras's `set_weights()`: a row-major `(IN, OUT)` kernel and an `(OUT,)` bias; errors name
    /// the weight and both sizes, and leave the layer unchanged.
    pub fn set_weights(&mut self, kernel: &[f32], bias: Option<&[f32]>) -> Result<()> {
        if kernel.len() != IN * OUT {
            return Err(Error::shape(
                "Dense kernel",
                format!("{IN} x {OUT} = {} values", IN * OUT),
                format!("{} values", kernel.len()),
            ));
        }
        match (bias, self.use_bias) {
            (Some(bias), true) if bias.len() != OUT => {
                return Err(Error::shape(
                    "Dense bias",
                    format!("{OUT} values"),
                    format!("{} values", bias.len()),
                ))
            }
            (Some(_), false) => {
                return Err(Error::shape(
                    "Dense bias",
                    "none (use_bias = false)",
                    "a bias",
                ))
            }
            (None, true) => {
                return Err(Error::shape("Dense bias", format!("{OUT} values"), "none"))
            }
            _ => {}
        }
        self.kernel.copy_from_slice(kernel);
        if let Some(bias) = bias {
            self.bias.copy_from_slice(bias);
        }
        Ok(())
    }

    /// The forward pass over `samples` samples: `z = x K + b` and `y = A(z)`.
    pub fn forward(&self, x: &[f32], z: &mut [f32], y: &mut [f32], samples: usize) {
        let (x, z, y) = (
            &x[..IN * samples],
            &mut z[..OUT * samples],
            &mut y[..OUT * samples],
        );
        linalg::gemm(
            &mut linalg::view_mut(z, OUT, samples),
            &linalg::view(&self.kernel, OUT, IN),
            &linalg::view(x, IN, samples),
            0.0,
        );
        if self.use_bias {
            for column in z.chunks_exact_mut(OUT) {
                column.iter_mut().zip(&self.bias).for_each(|(v, b)| *v += b);
            }
        }
        A::forward(z, y, OUT);
    }

    /// The backward pass from dL/dy in `grad` (turned into dL/dz in place): stores the kernel
    /// and bias gradients and, when `dx` is given, writes or adds (`accumulate`) dL/dx.
    pub fn backward(
        &mut self,
        x: &[f32],
        z: &[f32],
        y: &[f32],
        grad: &mut [f32],
        dx: Option<(&mut [f32], bool)>,
        samples: usize,
    ) {
        A::backward(
            &z[..OUT * samples],
            &y[..OUT * samples],
            &mut grad[..OUT * samples],
            OUT,
        );
        self.backward_from_preactivation(x, grad, dx, samples);
    }

    /// The backward pass from dL/dz (a loss fused with the activation already applied it).
    pub fn backward_from_preactivation(
        &mut self,
        x: &[f32],
        dz: &[f32],
        dx: Option<(&mut [f32], bool)>,
        samples: usize,
    ) {
        let (x, dz) = (&x[..IN * samples], &dz[..OUT * samples]);
        linalg::gemm(
            &mut linalg::view_mut(&mut self.kernel_grad, OUT, IN),
            &linalg::view(dz, OUT, samples),
            &linalg::view_transposed(x, samples, IN),
            0.0,
        );
        if self.use_bias {
            self.bias_grad.fill(0.0);
            for column in dz.chunks_exact(OUT) {
                self.bias_grad
                    .iter_mut()
                    .zip(column)
                    .for_each(|(g, d)| *g += d);
            }
        }
        if let Some((dx, accumulate)) = dx {
            linalg::gemm(
                &mut linalg::view_mut(&mut dx[..IN * samples], IN, samples),
                &linalg::view_transposed(&self.kernel, IN, OUT),
                &linalg::view(dz, OUT, samples),
                if accumulate { 1.0 } else { 0.0 },
            );
        }
    }
}

impl<const IN: usize, const OUT: usize, A: Activation> Layer for Dense<IN, OUT, A> {
    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        visit(Param {
            name: "kernel",
            shape: Self::KERNEL_SHAPE,
            value: &self.kernel,
            grad: &self.kernel_grad,
        });
        if self.use_bias {
            visit(Param {
                name: "bias",
                shape: Self::BIAS_SHAPE,
                value: &self.bias,
                grad: &self.bias_grad,
            });
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        visit(ParamMut {
            name: "kernel",
            shape: Self::KERNEL_SHAPE,
            value: &mut self.kernel,
            grad: &self.kernel_grad,
        });
        if self.use_bias {
            visit(ParamMut {
                name: "bias",
                shape: Self::BIAS_SHAPE,
                value: &mut self.bias,
                grad: &self.bias_grad,
            });
        }
    }
}
