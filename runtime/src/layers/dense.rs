//! `Dense`: `output = activation(dot(input, kernel) + bias)`.

use std::marker::PhantomData;

use nalgebra::{Const, MatrixView, SVectorView, U1};
use rand::Rng;

use super::{Layer, Param, ParamMut};
use crate::activation::Activation;
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::linalg::{self, Epilogue, Mat};
use crate::optimizers::{largest_magnitude, CALM_GRADIENT};

/// A fully connected layer from `IN` to `OUT` units with activation `A`.
///
/// The kernel has Keras's layout `(IN, OUT)`, row-major, so it reads and writes Keras files as
/// they are; the type knows both sizes, so `kernel()` is an `IN x OUT` matrix and nothing else.
/// The math is [`DenseCore`]'s, which a model built at run time uses as it is.
#[derive(Clone, Debug)]
pub struct Dense<const IN: usize, const OUT: usize, A: Activation> {
    core: DenseCore,
    activation: PhantomData<A>,
}

/// A Dense layer's weights, gradients and passes, its sizes known at run time: what
/// [`Dense`] computes with, and what a [`DynamicModel`](crate::dynamic::DynamicModel) holds.
/// Each pass takes the activation as a type, so both kinds of model run the same code.
#[derive(Clone, Debug)]
pub struct DenseCore {
    kernel: Vec<f32>,
    bias: Vec<f32>,
    kernel_grad: Vec<f32>,
    bias_grad: Vec<f32>,
    /// What the last backward pass proved of the gradients (see [`ParamMut::grad_is_calm`]).
    calm: CalmGradients,
    use_bias: bool,
    /// `[input_dim, units]`, the kernel's shape.
    kernel_shape: [usize; 2],
    /// `[units]`, the bias's shape.
    bias_shape: [usize; 1],
}

/// Which of a Dense layer's gradients the last backward pass bounded below
/// [`CALM_GRADIENT`](crate::optimizers::CALM_GRADIENT).
#[derive(Clone, Copy, Debug, Default)]
struct CalmGradients {
    kernel: bool,
    bias: bool,
}

impl CalmGradients {
    /// From the largest magnitudes of the layer's inputs `x` and of dL/dz: each kernel
    /// gradient is a sum of `samples` products `x * dz`, each bias gradient a sum of
    /// `samples` values of dL/dz. A NaN or an infinity in either proves nothing.
    fn of(x: &[f32], dz: &[f32], samples: usize) -> Self {
        let (x, dz) = (largest_magnitude(x), largest_magnitude(dz));
        let bias = f64::from(dz) * samples as f64;
        CalmGradients {
            kernel: bias * f64::from(x) < f64::from(CALM_GRADIENT),
            bias: bias < f64::from(CALM_GRADIENT),
        }
    }
}

/// The kernel as an `IN x OUT` matrix view in Keras's orientation.
pub type KernelView<'a, const IN: usize, const OUT: usize> =
    MatrixView<'a, f32, Const<IN>, Const<OUT>, Const<OUT>, U1>;

impl DenseCore {
    /// A layer from `inputs` to `units` units initialized as Keras would, drawing from `rng`
    /// (the kernel first, then the bias).
    pub fn new<R: Rng + ?Sized>(
        inputs: usize,
        units: usize,
        use_bias: bool,
        kernel_initializer: Initializer,
        bias_initializer: Initializer,
        rng: &mut R,
    ) -> Self {
        let mut kernel = vec![0.0; inputs * units];
        kernel_initializer.fill(&mut kernel, inputs, units, rng);
        let bias_len = if use_bias { units } else { 0 };
        let mut bias = vec![0.0; bias_len];
        bias_initializer.fill(&mut bias, inputs, units, rng);
        DenseCore {
            kernel,
            bias,
            kernel_grad: vec![0.0; inputs * units],
            bias_grad: vec![0.0; bias_len],
            calm: CalmGradients::default(),
            use_bias,
            kernel_shape: [inputs, units],
            bias_shape: [units],
        }
    }

    /// The number of input features.
    pub fn input_dim(&self) -> usize {
        self.kernel_shape[0]
    }

    /// The number of units.
    pub fn units(&self) -> usize {
        self.kernel_shape[1]
    }

    /// Whether the layer adds a bias.
    pub fn use_bias(&self) -> bool {
        self.use_bias
    }

    /// The kernel, row-major `(input_dim, units)`.
    pub fn kernel(&self) -> &[f32] {
        &self.kernel
    }

    /// The bias, or `None` for a layer built with `use_bias = false`.
    pub fn bias(&self) -> Option<&[f32]> {
        self.use_bias.then_some(&self.bias[..])
    }

    /// Keras's `set_weights()`: a row-major `(input_dim, units)` kernel and a `(units,)` bias;
    /// errors name the weight and both sizes, and leave the layer unchanged.
    pub fn set_weights(&mut self, kernel: &[f32], bias: Option<&[f32]>) -> Result<()> {
        let [inputs, units] = self.kernel_shape;
        if kernel.len() != inputs * units {
            return Err(Error::shape(
                "Dense kernel",
                format!("{inputs} x {units} = {} values", inputs * units),
                format!("{} values", kernel.len()),
            ));
        }
        match (bias, self.use_bias) {
            (Some(bias), true) if bias.len() != units => {
                return Err(Error::shape(
                    "Dense bias",
                    format!("{units} values"),
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
                return Err(Error::shape(
                    "Dense bias",
                    format!("{units} values"),
                    "none",
                ))
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
    pub fn forward<A: Activation>(&self, x: &[f32], z: &mut [f32], y: &mut [f32], samples: usize) {
        let [inputs, units] = self.kernel_shape;
        let (x, z, y) = (
            &x[..inputs * samples],
            &mut z[..units * samples],
            &mut y[..units * samples],
        );
        linalg::gemm_with(
            z,
            Mat::new(&self.kernel, units, inputs),
            Mat::new(x, inputs, samples),
            Epilogue::bias(self.bias(), false),
        );
        A::forward(z, y, units);
    }

    /// The forward pass straight into `y`, keeping no pre-activations: the bias (and a `relu`)
    /// are applied as the product stores its results, any other activation in place. Only for
    /// the activations whose derivative needs only `y` ([`Activation::FROM_OUTPUT`]); pair it
    /// with [`backward_from_output`](Self::backward_from_output).
    pub fn forward_to_output<A: Activation>(&self, x: &[f32], y: &mut [f32], samples: usize) {
        debug_assert!(A::FROM_OUTPUT, "{} needs its pre-activations", A::NAME);
        let [inputs, units] = self.kernel_shape;
        let (x, y) = (&x[..inputs * samples], &mut y[..units * samples]);
        linalg::gemm_with(
            y,
            Mat::new(&self.kernel, units, inputs),
            Mat::new(x, inputs, samples),
            Epilogue::bias(self.bias(), A::RELU),
        );
        if !A::RELU {
            A::forward_in_place(y, units);
        }
    }

    /// The backward pass from dL/dy in `grad` (turned into dL/dz in place): stores the kernel
    /// and bias gradients and, when `dx` is given, writes or adds (`accumulate`) dL/dx.
    pub fn backward<A: Activation>(
        &mut self,
        x: &[f32],
        z: &[f32],
        y: &[f32],
        grad: &mut [f32],
        dx: Option<(&mut [f32], bool)>,
        samples: usize,
    ) {
        let units = self.units();
        A::backward(
            &z[..units * samples],
            &y[..units * samples],
            &mut grad[..units * samples],
            units,
        );
        self.backward_from_preactivation(x, grad, dx, samples);
    }

    /// The backward pass after [`forward_to_output`](Self::forward_to_output): like
    /// [`backward`](Self::backward), with the activation's derivative taken from `y` alone.
    pub fn backward_from_output<A: Activation>(
        &mut self,
        x: &[f32],
        y: &[f32],
        grad: &mut [f32],
        dx: Option<(&mut [f32], bool)>,
        samples: usize,
    ) {
        debug_assert!(A::FROM_OUTPUT, "{} needs its pre-activations", A::NAME);
        let units = self.units();
        let y = &y[..units * samples];
        // `FROM_OUTPUT` promises that `backward` never reads `z`.
        A::backward(y, y, &mut grad[..units * samples], units);
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
        let [inputs, units] = self.kernel_shape;
        let (x, dz) = (&x[..inputs * samples], &dz[..units * samples]);
        self.calm = CalmGradients::of(x, dz, samples);
        linalg::gemm_with(
            &mut self.kernel_grad,
            Mat::new(dz, units, samples),
            Mat::new(x, inputs, samples).t(),
            Epilogue::STORE,
        );
        if self.use_bias {
            self.bias_grad.fill(0.0);
            for column in dz.chunks_exact(units) {
                self.bias_grad
                    .iter_mut()
                    .zip(column)
                    .for_each(|(g, d)| *g += d);
            }
        }
        if let Some((dx, accumulate)) = dx {
            linalg::gemm_with(
                &mut dx[..inputs * samples],
                Mat::new(&self.kernel, units, inputs).t(),
                Mat::new(dz, units, samples),
                if accumulate {
                    Epilogue::ACCUMULATE
                } else {
                    Epilogue::STORE
                },
            );
        }
    }
}

impl Layer for DenseCore {
    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        visit(Param {
            name: "kernel",
            shape: &self.kernel_shape,
            value: &self.kernel,
            grad: &self.kernel_grad,
            trainable: true,
        });
        if self.use_bias {
            visit(Param {
                name: "bias",
                shape: &self.bias_shape,
                value: &self.bias,
                grad: &self.bias_grad,
                trainable: true,
            });
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        visit(ParamMut {
            name: "kernel",
            shape: &self.kernel_shape,
            value: &mut self.kernel,
            grad: &mut self.kernel_grad,
            grad_is_calm: self.calm.kernel,
            trainable: true,
        });
        if self.use_bias {
            visit(ParamMut {
                name: "bias",
                shape: &self.bias_shape,
                value: &mut self.bias,
                grad: &mut self.bias_grad,
                grad_is_calm: self.calm.bias,
                trainable: true,
            });
        }
    }
}

impl<const IN: usize, const OUT: usize, A: Activation> Dense<IN, OUT, A> {
    /// A layer initialized as Keras would, drawing from `rng`.
    pub fn new<R: Rng + ?Sized>(
        use_bias: bool,
        kernel_initializer: Initializer,
        bias_initializer: Initializer,
        rng: &mut R,
    ) -> Self {
        Dense {
            core: DenseCore::new(IN, OUT, use_bias, kernel_initializer, bias_initializer, rng),
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
        self.core.use_bias
    }

    /// The layer with its sizes known at run time, as a model built at run time holds it.
    pub fn core(&self) -> &DenseCore {
        &self.core
    }

    /// The kernel, `IN x OUT` like Keras's `(input_dim, units)`.
    pub fn kernel(&self) -> KernelView<'_, IN, OUT> {
        MatrixView::from_slice_with_strides_generic(
            &self.core.kernel,
            Const::<IN>,
            Const::<OUT>,
            Const::<OUT>,
            U1,
        )
    }

    /// The bias, or `None` for a layer built with `use_bias = false`.
    pub fn bias(&self) -> Option<SVectorView<'_, f32, OUT>> {
        self.core.bias().map(SVectorView::from_slice)
    }

    /// Keras's `get_weights()`: the kernel and the bias (if any).
    pub fn get_weights(&self) -> (KernelView<'_, IN, OUT>, Option<SVectorView<'_, f32, OUT>>) {
        (self.kernel(), self.bias())
    }

    /// Keras's `set_weights()`: a row-major `(IN, OUT)` kernel and an `(OUT,)` bias; errors name
    /// the weight and both sizes, and leave the layer unchanged.
    pub fn set_weights(&mut self, kernel: &[f32], bias: Option<&[f32]>) -> Result<()> {
        self.core.set_weights(kernel, bias)
    }

    /// The forward pass over `samples` samples: `z = x K + b` and `y = A(z)`.
    pub fn forward(&self, x: &[f32], z: &mut [f32], y: &mut [f32], samples: usize) {
        self.core.forward::<A>(x, z, y, samples);
    }

    /// The forward pass straight into `y`, keeping no pre-activations (see
    /// [`DenseCore::forward_to_output`]); pair it with
    /// [`backward_from_output`](Self::backward_from_output).
    pub fn forward_to_output(&self, x: &[f32], y: &mut [f32], samples: usize) {
        const {
            assert!(
                A::FROM_OUTPUT,
                "forward_to_output needs an activation whose derivative needs only its output"
            )
        };
        self.core.forward_to_output::<A>(x, y, samples);
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
        self.core.backward::<A>(x, z, y, grad, dx, samples);
    }

    /// The backward pass after [`forward_to_output`](Self::forward_to_output): like
    /// [`backward`](Self::backward), with the activation's derivative taken from `y` alone.
    pub fn backward_from_output(
        &mut self,
        x: &[f32],
        y: &[f32],
        grad: &mut [f32],
        dx: Option<(&mut [f32], bool)>,
        samples: usize,
    ) {
        const {
            assert!(
                A::FROM_OUTPUT,
                "backward_from_output needs an activation whose derivative needs only its output"
            )
        };
        self.core.backward_from_output::<A>(x, y, grad, dx, samples);
    }

    /// The backward pass from dL/dz (a loss fused with the activation already applied it).
    pub fn backward_from_preactivation(
        &mut self,
        x: &[f32],
        dz: &[f32],
        dx: Option<(&mut [f32], bool)>,
        samples: usize,
    ) {
        self.core.backward_from_preactivation(x, dz, dx, samples);
    }
}

impl<const IN: usize, const OUT: usize, A: Activation> Layer for Dense<IN, OUT, A> {
    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        self.core.visit_params(visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        self.core.visit_params_mut(visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Linear, Relu, Tanh};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn layer<A: Activation>(use_bias: bool) -> Dense<3, 2, A> {
        let mut rng = StdRng::seed_from_u64(0);
        let mut layer = Dense::new(
            use_bias,
            Initializer::GlorotUniform,
            Initializer::Zeros,
            &mut rng,
        );
        // Keras layout (input_dim, units): row i holds input i's weights to both units.
        let kernel = [1.0, -1.0, 0.5, 2.0, -0.25, 0.0];
        let bias = use_bias.then_some(&[0.5, -3.0][..]);
        layer.set_weights(&kernel, bias).unwrap();
        layer
    }

    #[test]
    fn forward_is_x_dot_kernel_plus_bias_then_activation() {
        let dense = layer::<Relu>(true);
        let x = [1.0, 2.0, 4.0, 0.0, 0.0, 1.0]; // two samples
        let (mut z, mut y) = ([0.0; 4], [0.0; 4]);
        dense.forward(&x, &mut z, &mut y, 2);
        // sample 0: [1 + 1 - 1 + 0.5, -1 + 4 + 0 - 3]; sample 1: [-0.25 + 0.5, 0 - 3]
        assert_eq!(z, [1.5, 0.0, 0.25, -3.0]);
        assert_eq!(y, [1.5, 0.0, 0.25, 0.0]);
        assert_eq!(dense.kernel()[(1, 1)], 2.0);
        assert_eq!(dense.bias().unwrap()[1], -3.0);
    }

    /// Checks the backward pass of `sum(c * y)` against central differences.
    fn check_backward<A: Activation>(use_bias: bool) {
        let mut dense = layer::<A>(use_bias);
        let x = [0.3, -0.7, 0.9, -0.2, 0.4, 0.8];
        let c = [0.5, -1.5, 2.0, 0.25];
        let loss = |dense: &Dense<3, 2, A>, x: &[f32]| -> f64 {
            let (mut z, mut y) = ([0.0; 4], [0.0; 4]);
            dense.forward(x, &mut z, &mut y, 2);
            y.iter().zip(&c).map(|(y, c)| f64::from(y * c)).sum()
        };
        let (mut z, mut y) = ([0.0; 4], [0.0; 4]);
        dense.forward(&x, &mut z, &mut y, 2);
        let mut grad = c;
        let mut dx = [0.0; 6];
        dense.backward(&x, &z, &y, &mut grad, Some((&mut dx, false)), 2);
        let step = 1e-3;
        let numeric =
            |f: &dyn Fn(f32) -> f64| ((f(step) - f(-step)) / (2.0 * f64::from(step))) as f32;
        for i in 0..6 {
            let n = numeric(&|d| {
                let mut moved = dense.clone();
                moved.core.kernel[i] += d;
                loss(&moved, &x)
            });
            assert!(
                (dense.core.kernel_grad[i] - n).abs() < 1e-3,
                "kernel[{i}]: {} vs {n}",
                dense.core.kernel_grad[i]
            );
            let n = numeric(&|d| {
                let mut moved = x;
                moved[i] += d;
                loss(&dense, &moved)
            });
            assert!((dx[i] - n).abs() < 1e-3, "x[{i}]: {} vs {n}", dx[i]);
        }
        for u in 0..dense.core.bias.len() {
            let n = numeric(&|d| {
                let mut moved = dense.clone();
                moved.core.bias[u] += d;
                loss(&moved, &x)
            });
            assert!(
                (dense.core.bias_grad[u] - n).abs() < 1e-3,
                "bias[{u}]: {} vs {n}",
                dense.core.bias_grad[u]
            );
        }
    }

    #[test]
    fn backward_with_bias_matches_finite_differences() {
        check_backward::<Tanh>(true);
        check_backward::<Linear>(true);
    }

    /// The gradients a backward pass calls calm are below the bound; large or non-finite
    /// inputs and gradients make no such claim.
    #[test]
    fn calm_gradients_are_proved_only_when_they_are() {
        let calm_flags = |dense: &mut Dense<3, 2, Linear>| {
            let mut flags = Vec::new();
            dense.visit_params_mut(&mut |param| {
                if param.grad_is_calm {
                    assert!(
                        param.grad.iter().all(|g| g.abs() < CALM_GRADIENT),
                        "{param:?}"
                    );
                }
                flags.push(param.grad_is_calm);
            });
            flags
        };
        let mut dense = layer::<Linear>(true);
        let (mut z, mut y) = ([0.0; 6], [0.0; 6]);
        let cases: [([f32; 9], [f32; 6], [bool; 2]); 5] = [
            (
                [0.3, -0.7, 0.9, -0.2, 0.4, 0.8, 1.5, -1.0, 0.1],
                [0.5; 6],
                [true, true],
            ),
            (
                [3e9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                [0.5; 6],
                [false, true],
            ),
            ([0.3; 9], [2e9, 0.0, 0.0, 0.0, 0.0, 0.0], [true, false]),
            ([1.0; 9], [2e9, 0.0, 0.0, 0.0, 0.0, 0.0], [false, false]),
            (
                [f32::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                [0.5; 6],
                [false, true],
            ),
        ];
        for (x, dy, expected) in cases {
            dense.forward(&x, &mut z, &mut y, 3);
            let mut grad = dy;
            dense.backward(&x, &z, &y, &mut grad, None, 3);
            assert_eq!(calm_flags(&mut dense), expected, "x {x:?}, dy {dy:?}");
        }
    }

    #[test]
    fn backward_without_bias_matches_finite_differences() {
        check_backward::<Tanh>(false);
    }

    /// `forward_to_output` and `backward_from_output` give what `forward` and `backward` give.
    fn check_output_only_passes<A: Activation>() {
        let mut full = layer::<A>(true);
        let mut fused = full.clone();
        let x = [0.3, -0.7, 0.9, -0.2, 0.4, 0.8, 1.5, -1.0, 0.1];
        let (mut z, mut y, mut y_fused) = ([0.0; 6], [0.0; 6], [f32::NAN; 6]);
        full.forward(&x, &mut z, &mut y, 3);
        fused.forward_to_output(&x, &mut y_fused, 3);
        for (a, b) in y.iter().zip(&y_fused) {
            assert!(
                (a - b).abs() < 1e-6,
                "{} forward: {y:?} vs {y_fused:?}",
                A::NAME
            );
        }
        let c = [0.5, -1.5, 2.0, 0.25, -0.75, 1.0];
        let (mut grad, mut grad_fused) = (c, c);
        let (mut dx, mut dx_fused) = ([0.0; 9], [0.0; 9]);
        full.backward(&x, &z, &y, &mut grad, Some((&mut dx, false)), 3);
        fused.backward_from_output(
            &x,
            &y_fused,
            &mut grad_fused,
            Some((&mut dx_fused, false)),
            3,
        );
        for (a, b) in dx.iter().zip(&dx_fused) {
            assert!((a - b).abs() < 1e-6, "{} dx", A::NAME);
        }
        for (a, b) in full.core.kernel_grad.iter().zip(&fused.core.kernel_grad) {
            assert!((a - b).abs() < 1e-6, "{} kernel gradient", A::NAME);
        }
        assert_eq!(full.core.bias_grad, fused.core.bias_grad);
    }

    #[test]
    fn output_only_passes_match_the_full_ones() {
        use crate::activation::{Sigmoid, Softmax};
        check_output_only_passes::<Relu>();
        check_output_only_passes::<Linear>();
        check_output_only_passes::<Tanh>();
        check_output_only_passes::<Sigmoid>();
        check_output_only_passes::<Softmax>();
    }

    #[test]
    fn accumulate_adds_to_the_source_gradient() {
        let mut dense = layer::<Linear>(true);
        let x = [1.0, 2.0, 3.0];
        let (mut z, mut y) = ([0.0; 2], [0.0; 2]);
        dense.forward(&x, &mut z, &mut y, 1);
        let mut written = [0.0; 3];
        dense.backward_from_preactivation(&x, &[1.0, 1.0], Some((&mut written, false)), 1);
        let mut added = [10.0; 3];
        dense.backward_from_preactivation(&x, &[1.0, 1.0], Some((&mut added, true)), 1);
        assert_eq!(written, [0.0, 2.5, -0.25]);
        assert_eq!(added, [10.0, 12.5, 9.75]);
    }

    #[test]
    fn set_weights_names_the_weight_and_both_sizes() {
        let mut dense = layer::<Linear>(true);
        let err = dense
            .set_weights(&[0.0; 5], Some(&[0.0; 2]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("kernel") && err.contains("3 x 2 = 6") && err.contains("5 values"),
            "{err}"
        );
        let err = dense
            .set_weights(&[0.0; 6], Some(&[0.0; 3]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bias") && err.contains("2 values") && err.contains("3 values"),
            "{err}"
        );
        assert_eq!(
            dense.kernel()[(0, 0)],
            1.0,
            "a failed set_weights leaves the layer unchanged"
        );
        let mut no_bias = layer::<Linear>(false);
        assert!(no_bias.set_weights(&[0.0; 6], Some(&[0.0; 2])).is_err());
        assert!(no_bias.bias().is_none());
    }

    #[test]
    fn initial_weights_follow_the_initializers_and_the_seed() {
        let mut rng = StdRng::seed_from_u64(9);
        let a: Dense<784, 300, Relu> = Dense::new(
            true,
            Initializer::GlorotUniform,
            Initializer::Zeros,
            &mut rng,
        );
        let limit = (6.0f32 / (784.0 + 300.0)).sqrt();
        assert!(a.core.kernel.iter().all(|w| w.abs() <= limit));
        assert!(a.core.kernel.iter().any(|w| w.abs() > limit * 0.9));
        assert!(a.core.bias.iter().all(|&b| b == 0.0));
        let mut rng = StdRng::seed_from_u64(9);
        let b: Dense<784, 300, Relu> = Dense::new(
            true,
            Initializer::GlorotUniform,
            Initializer::Zeros,
            &mut rng,
        );
        assert_eq!(a.core.kernel, b.core.kernel);
    }
}
