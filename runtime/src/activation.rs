//! Activation functions, named and defined as Keras defines them.

/// An activation applied to a layer's pre-activations, sample by sample.
pub trait Activation: Copy + Default + Send + Sync + 'static {
    /// Keras's name for it, as written in a `model!` declaration and in Keras configs.
    const NAME: &'static str;
    /// Computes `y = f(z)` for `z.len() / units` samples of `units` values each.
    fn forward(z: &[f32], y: &mut [f32], units: usize);
    /// Turns `grad` from dL/dy into dL/dz in place, given the `z` and `y` of the forward pass.
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], units: usize);

    /// Whether the derivative needs only the output: `backward` never reads `z`. A layer with
    /// such an activation keeps no pre-activations, and computes `y` over them in place with
    /// [`forward_in_place`](Self::forward_in_place).
    const FROM_OUTPUT: bool = false;
    /// Whether the activation is `max(x, 0)`, which a matrix product applies as it stores its
    /// results (see [`linalg::Epilogue`](crate::linalg::Epilogue)).
    const RELU: bool = false;

    /// `y = f(y)` in place for `y.len() / units` samples. The activations with
    /// [`FROM_OUTPUT`](Self::FROM_OUTPUT) compute it without a copy; the default copies.
    fn forward_in_place(y: &mut [f32], units: usize) {
        let z = y.to_vec();
        Self::forward(&z, y, units);
    }
}

/// Keras's SELU `alpha`.
const SELU_ALPHA: f32 = 1.673_263_2;
/// Keras's SELU `scale`.
const SELU_SCALE: f32 = 1.050_701;
/// Keras 3's default `negative_slope` of `leaky_relu`.
const LEAKY_RELU_SLOPE: f32 = 0.2;

/// Applies `f` to every element: `y[i] = f(z[i])`.
fn map(z: &[f32], y: &mut [f32], f: impl Fn(f32) -> f32) {
    debug_assert_eq!(z.len(), y.len());
    for (y, &z) in y.iter_mut().zip(z) {
        *y = f(z);
    }
}

/// Multiplies every element of `grad` by the derivative `df(z, y)`.
fn chain(z: &[f32], y: &[f32], grad: &mut [f32], df: impl Fn(f32, f32) -> f32) {
    debug_assert_eq!(z.len(), grad.len());
    debug_assert_eq!(y.len(), grad.len());
    for ((g, &z), &y) in grad.iter_mut().zip(z).zip(y) {
        *g *= df(z, y);
    }
}

/// `max(x, 0)` that keeps NaN (`f32::max` would turn it into 0 and hide it).
pub fn relu(x: f32) -> f32 {
    if x < 0.0 {
        0.0
    } else {
        x
    }
}

/// The logistic function, without overflow for any `x`.
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The identity, Keras's `linear` (the default of `Dense`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Linear;

impl Activation for Linear {
    const NAME: &'static str = "linear";
    const FROM_OUTPUT: bool = true;
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        y.copy_from_slice(z);
    }
    fn backward(_z: &[f32], _y: &[f32], _grad: &mut [f32], _units: usize) {}
    fn forward_in_place(_y: &mut [f32], _units: usize) {}
}

/// `max(x, 0)`, Keras's `relu`; NaN stays NaN, as in TensorFlow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl Activation for Relu {
    const NAME: &'static str = "relu";
    const FROM_OUTPUT: bool = true;
    const RELU: bool = true;
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, relu);
    }
    fn forward_in_place(y: &mut [f32], _units: usize) {
        y.iter_mut().for_each(|y| *y = relu(*y));
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |_, y| if y > 0.0 { 1.0 } else { 0.0 });
    }
}

/// `1 / (1 + exp(-x))`, Keras's `sigmoid`, stable for large `|x|`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl Activation for Sigmoid {
    const NAME: &'static str = "sigmoid";
    const FROM_OUTPUT: bool = true;
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, sigmoid);
    }
    fn forward_in_place(y: &mut [f32], _units: usize) {
        y.iter_mut().for_each(|y| *y = sigmoid(*y));
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |_, y| y * (1.0 - y));
    }
}

/// The hyperbolic tangent, Keras's `tanh`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Activation for Tanh {
    const NAME: &'static str = "tanh";
    const FROM_OUTPUT: bool = true;
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, f32::tanh);
    }
    fn forward_in_place(y: &mut [f32], _units: usize) {
        y.iter_mut().for_each(|y| *y = y.tanh());
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |_, y| 1.0 - y * y);
    }
}

/// Keras's `softmax` over each sample's `units` values, stable for any logits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softmax;

impl Activation for Softmax {
    const NAME: &'static str = "softmax";
    const FROM_OUTPUT: bool = true;
    fn forward(z: &[f32], y: &mut [f32], units: usize) {
        debug_assert_eq!(z.len(), y.len());
        let units = units.max(1);
        for (z, y) in z.chunks_exact(units).zip(y.chunks_exact_mut(units)) {
            softmax_sample(z, y);
        }
    }
    fn forward_in_place(y: &mut [f32], units: usize) {
        for y in y.chunks_exact_mut(units.max(1)) {
            let max = y.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for y in y.iter_mut() {
                *y = (*y - max).exp();
                sum += *y;
            }
            for y in y.iter_mut() {
                *y /= sum;
            }
        }
    }
    fn backward(_z: &[f32], y: &[f32], grad: &mut [f32], units: usize) {
        debug_assert_eq!(y.len(), grad.len());
        let units = units.max(1);
        for (y, g) in y.chunks_exact(units).zip(grad.chunks_exact_mut(units)) {
            let dot: f32 = g.iter().zip(y).map(|(g, y)| g * y).sum();
            for (g, &y) in g.iter_mut().zip(y) {
                *g = y * (*g - dot);
            }
        }
    }
}

/// The softmax of one sample, with the maximum subtracted first.
fn softmax_sample(z: &[f32], y: &mut [f32]) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (y, &z) in y.iter_mut().zip(z) {
        *y = (z - max).exp();
        sum += *y;
    }
    for y in y.iter_mut() {
        *y /= sum;
    }
}

/// `x` for `x > 0`, else `exp(x) - 1`: Keras's `elu` with `alpha = 1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Elu;

impl Activation for Elu {
    const NAME: &'static str = "elu";
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, |x| if x > 0.0 { x } else { x.exp_m1() });
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |z, y| if z > 0.0 { 1.0 } else { y + 1.0 });
    }
}

/// Keras's `selu`: `scale * elu(x, alpha)` with alpha ≈ 1.6732632 and scale ≈ 1.0507010.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selu;

impl Activation for Selu {
    const NAME: &'static str = "selu";
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, |x| {
            SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() }
        });
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |z, y| {
            if z > 0.0 {
                SELU_SCALE
            } else {
                y + SELU_SCALE * SELU_ALPHA
            }
        });
    }
}

/// `x` for `x >= 0`, else `0.2 x`: Keras 3's `leaky_relu` with its default slope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeakyRelu;

impl Activation for LeakyRelu {
    const NAME: &'static str = "leaky_relu";
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, |x| if x >= 0.0 { x } else { LEAKY_RELU_SLOPE * x });
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |z, _| leaky_relu_derivative(z));
    }
}

/// The derivative of `leaky_relu` at `z` (the slope at 0, as for `relu`).
fn leaky_relu_derivative(z: f32) -> f32 {
    if z > 0.0 {
        1.0
    } else {
        LEAKY_RELU_SLOPE
    }
}

/// `x Φ(x)` with Φ the standard normal CDF: Keras 3's `gelu` (exact, `approximate=False`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gelu;

impl Activation for Gelu {
    const NAME: &'static str = "gelu";
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, |x| {
            let x = f64::from(x);
            (x * normal_cdf(x)) as f32
        });
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |z, _| {
            let x = f64::from(z);
            (normal_cdf(x) + x * normal_pdf(x)) as f32
        });
    }
}

/// `x sigmoid(x)`, Keras's `swish` (also called `silu`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swish;

impl Activation for Swish {
    const NAME: &'static str = "swish";
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, |x| x * sigmoid(x));
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |z, y| {
            let s = sigmoid(z);
            s + y * (1.0 - s)
        });
    }
}

/// `ln(1 + exp(x))`, Keras's `softplus`, computed without overflow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softplus;

impl Activation for Softplus {
    const NAME: &'static str = "softplus";
    fn forward(z: &[f32], y: &mut [f32], _units: usize) {
        map(z, y, |x| (-x.abs()).exp().ln_1p() + x.max(0.0));
    }
    fn backward(z: &[f32], y: &[f32], grad: &mut [f32], _units: usize) {
        chain(z, y, grad, |z, _| sigmoid(z));
    }
}

/// The standard normal density.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal CDF, accurate in relative terms in both tails.
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function, with a relative error below 1.2e-7.
fn erfc(x: f64) -> f64 {
    if x.abs() < 2.5 {
        1.0 - erf_series(x)
    } else if x > 0.0 {
        erfc_tail(x)
    } else {
        2.0 - erfc_tail(-x)
    }
}

/// The Maclaurin series of erf, to f64 precision for `|x| < 2.5`.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    // term_n = (-1)^n x^(2n+1) / n!; erf(x) = 2/√π Σ term_n / (2n + 1).
    let mut term = x;
    let mut sum = x;
    for n in 1..60 {
        term *= -x2 / f64::from(n);
        let next = term / f64::from(2 * n + 1);
        sum += next;
        if next.abs() < 1e-17 * sum.abs() {
            break;
        }
    }
    sum * std::f64::consts::FRAC_2_SQRT_PI
}

/// erfc for `x >= 0` by Numerical Recipes' Chebyshev fit (fractional error below 1.2e-7).
fn erfc_tail(x: f64) -> f64 {
    const C: [f64; 10] = [
        -1.265_512_23,
        1.000_023_68,
        0.374_091_96,
        0.096_784_18,
        -0.186_288_06,
        0.278_868_07,
        -1.135_203_98,
        1.488_515_87,
        -0.822_152_23,
        0.170_872_77,
    ];
    let t = 1.0 / (1.0 + 0.5 * x);
    let poly = C.iter().rev().fold(0.0, |acc, &c| c + t * acc);
    t * (-x * x + poly).exp()
}

/// An activation chosen at run time, for files and dynamically built models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActivationKind {
    /// [`Linear`].
    Linear,
    /// [`Relu`].
    Relu,
    /// [`Sigmoid`].
    Sigmoid,
    /// [`Tanh`].
    Tanh,
    /// [`Softmax`].
    Softmax,
    /// [`Elu`].
    Elu,
    /// [`Selu`].
    Selu,
    /// [`LeakyRelu`].
    LeakyRelu,
    /// [`Gelu`].
    Gelu,
    /// [`Swish`].
    Swish,
    /// [`Softplus`].
    Softplus,
}

/// Evaluates `$body` with `$A` bound to the unit struct of the activation `$kind`.
macro_rules! with_activation {
    ($kind:expr, $A:ident => $body:expr) => {
        match $kind {
            $crate::activation::ActivationKind::Linear => {
                type $A = $crate::activation::Linear;
                $body
            }
            $crate::activation::ActivationKind::Relu => {
                type $A = $crate::activation::Relu;
                $body
            }
            $crate::activation::ActivationKind::Sigmoid => {
                type $A = $crate::activation::Sigmoid;
                $body
            }
            $crate::activation::ActivationKind::Tanh => {
                type $A = $crate::activation::Tanh;
                $body
            }
            $crate::activation::ActivationKind::Softmax => {
                type $A = $crate::activation::Softmax;
                $body
            }
            $crate::activation::ActivationKind::Elu => {
                type $A = $crate::activation::Elu;
                $body
            }
            $crate::activation::ActivationKind::Selu => {
                type $A = $crate::activation::Selu;
                $body
            }
            $crate::activation::ActivationKind::LeakyRelu => {
                type $A = $crate::activation::LeakyRelu;
                $body
            }
            $crate::activation::ActivationKind::Gelu => {
                type $A = $crate::activation::Gelu;
                $body
            }
            $crate::activation::ActivationKind::Swish => {
                type $A = $crate::activation::Swish;
                $body
            }
            $crate::activation::ActivationKind::Softplus => {
                type $A = $crate::activation::Softplus;
                $body
            }
        }
    };
}

pub(crate) use with_activation;

impl ActivationKind {
    /// Every activation, in declaration order.
    pub const ALL: [ActivationKind; 11] = [
        Self::Linear,
        Self::Relu,
        Self::Sigmoid,
        Self::Tanh,
        Self::Softmax,
        Self::Elu,
        Self::Selu,
        Self::LeakyRelu,
        Self::Gelu,
        Self::Swish,
        Self::Softplus,
    ];

    /// Keras's name for it: `"relu"`.
    pub fn name(self) -> &'static str {
        with_activation!(self, A => A::NAME)
    }

    /// Parses a Keras name; also accepts `"silu"` for [`ActivationKind::Swish`].
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "silu" {
            return Some(Self::Swish);
        }
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Computes `y = f(z)`, as [`Activation::forward`] does.
    pub fn forward(self, z: &[f32], y: &mut [f32], units: usize) {
        with_activation!(self, A => A::forward(z, y, units))
    }

    /// Turns `grad` from dL/dy into dL/dz in place, as [`Activation::backward`] does.
    pub fn backward(self, z: &[f32], y: &[f32], grad: &mut [f32], units: usize) {
        with_activation!(self, A => A::backward(z, y, grad, units))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `kind` to `z` as one sample of `z.len()` units.
    fn apply(kind: ActivationKind, z: &[f32]) -> Vec<f32> {
        let mut y = vec![0.0; z.len()];
        kind.forward(z, &mut y, z.len());
        y
    }

    fn assert_close(actual: f32, expected: f64, tol: f64) {
        let err = (f64::from(actual) - expected).abs();
        assert!(
            err <= tol * expected.abs().max(1.0),
            "{actual} vs {expected}"
        );
    }

    #[test]
    fn erf_matches_reference_values() {
        // erf(x) = 1 - erfc(x); values from tables of the error function.
        let cases = [
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
        ];
        for (x, erf) in cases {
            assert!((1.0 - erfc(x) - erf).abs() < 1e-9, "erf({x})");
            assert!((erfc(-x) - 1.0 - erf).abs() < 1e-9, "erf(-{x})");
        }
        let erfc3 = 2.209_049_699_858_544e-5;
        assert!((erfc(3.0) / erfc3 - 1.0).abs() < 2e-7);
        let erfc6 = 2.151_973_671_249_891_3e-17;
        assert!((erfc(6.0) / erfc6 - 1.0).abs() < 2e-7);
    }

    #[test]
    fn known_values() {
        use ActivationKind as K;
        let cases: [(K, f32, f64); 20] = [
            (K::Linear, -1.5, -1.5),
            (K::Relu, -1.0, 0.0),
            (K::Relu, 2.0, 2.0),
            (K::Sigmoid, 0.0, 0.5),
            (K::Sigmoid, 2.0, 0.880_797_077_977_882_3),
            (K::Tanh, 1.0, 0.761_594_155_955_764_9),
            (K::Elu, -1.0, -0.632_120_558_828_557_7),
            (K::Elu, 3.0, 3.0),
            (K::Selu, -1.0, -1.111_330_728_468_934_9),
            (K::Selu, 2.0, 2.101_401_96),
            (K::LeakyRelu, -2.0, -0.4),
            (K::LeakyRelu, 2.0, 2.0),
            (K::Gelu, 1.0, 0.841_344_746_068_542_9),
            (K::Gelu, -1.0, -0.158_655_253_931_457_07),
            (K::Gelu, -4.0, -1.266_849_673_324_798_6e-4),
            (K::Swish, 1.0, 0.731_058_578_630_004_9),
            (K::Swish, -20.0, -4.122_307_236_380_407e-8),
            (K::Softplus, 0.0, std::f64::consts::LN_2),
            (K::Softplus, 100.0, 100.0),
            (K::Softplus, -20.0, 2.061_153_620_314_381e-9),
        ];
        for (kind, x, expected) in cases {
            let y = apply(kind, &[x])[0];
            let err = (f64::from(y) - expected).abs();
            assert!(
                err <= 1e-6 * expected.abs() + 1e-12,
                "{kind:?}({x}) = {y}, expected {expected}"
            );
        }
    }

    #[test]
    fn softmax_of_one_two_three() {
        let y = apply(ActivationKind::Softmax, &[1.0, 2.0, 3.0]);
        let expected = [0.090_030_573, 0.244_728_471, 0.665_240_956];
        for (&y, e) in y.iter().zip(expected) {
            assert_close(y, e, 1e-6);
        }
    }

    #[test]
    fn softmax_normalises_each_sample_separately() {
        let mut y = [0.0; 4];
        Softmax::forward(&[0.0, 0.0, 5.0, 5.0], &mut y, 2);
        assert_eq!(y, [0.5; 4]);
    }

    #[test]
    fn softmax_is_finite_for_huge_logits() {
        let z = [1e4, -1e4, 0.0, 1e4, -1e4, -1e4, -1e4, -1e4];
        let mut y = [0.0; 8];
        Softmax::forward(&z, &mut y, 4);
        for sample in y.chunks(4) {
            assert!(sample.iter().all(|v| v.is_finite()), "{sample:?}");
            assert_close(sample.iter().sum(), 1.0, 1e-6);
        }
        assert_eq!(&y[..4], &[0.5, 0.0, 0.0, 0.5]);
        assert_eq!(&y[4..], &[0.25; 4]);
    }

    #[test]
    fn sigmoid_is_finite_for_huge_inputs() {
        let y = apply(ActivationKind::Sigmoid, &[1e4, -1e4, 100.0, -100.0]);
        assert_eq!(&y[..2], &[1.0, 0.0]);
        assert_close(y[2], 1.0, 1e-7);
        assert!(y[3] > 0.0 && y[3] < 1e-40, "{}", y[3]);
        let y = apply(ActivationKind::Softplus, &[1e4, -1e4]);
        assert_eq!(y, [1e4, 0.0]);
    }

    /// The loss L = Σ w_i f(z)_i, evaluated in f32 and widened.
    fn weighted_output(kind: ActivationKind, z: &[f32], w: &[f32], units: usize) -> f64 {
        let mut y = vec![0.0; z.len()];
        kind.forward(z, &mut y, units);
        y.iter()
            .zip(w)
            .map(|(&y, &w)| f64::from(y) * f64::from(w))
            .sum()
    }

    /// Checks `backward` against central differences of L = Σ w_i f(z)_i.
    fn check_gradient(kind: ActivationKind, z: &[f32], w: &[f32], units: usize) {
        let mut y = vec![0.0; z.len()];
        kind.forward(z, &mut y, units);
        let mut grad = w.to_vec();
        kind.backward(z, &y, &mut grad, units);
        let eps = 1e-3_f32;
        for i in 0..z.len() {
            let (mut plus, mut minus) = (z.to_vec(), z.to_vec());
            plus[i] += eps;
            minus[i] -= eps;
            let h = f64::from(plus[i]) - f64::from(minus[i]);
            let numeric = (weighted_output(kind, &plus, w, units)
                - weighted_output(kind, &minus, w, units))
                / h;
            let analytic = f64::from(grad[i]);
            let err = (analytic - numeric).abs();
            assert!(
                err <= 1e-4 + 1e-2 * numeric.abs(),
                "{kind:?} at z[{i}] = {}: analytic {analytic}, numeric {numeric}",
                z[i]
            );
        }
    }

    /// Deterministic pseudo-random values in [-1, 1).
    fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    #[test]
    fn backward_matches_finite_differences() {
        // Points away from kinks (0) so central differences are exact enough.
        let z = [-3.1, -1.2, -0.4, -0.05, 0.07, 0.3, 0.9, 1.7, 2.6, 4.2];
        let w = pseudo_random(z.len(), 7);
        for kind in ActivationKind::ALL {
            if kind != ActivationKind::Softmax {
                check_gradient(kind, &z, &w, 1);
            }
        }
    }

    #[test]
    fn softmax_backward_is_the_vector_jacobian_product() {
        let units = 4;
        let z: Vec<f32> = pseudo_random(3 * units, 11)
            .iter()
            .map(|v| 3.0 * v)
            .collect();
        let w = pseudo_random(3 * units, 13);
        check_gradient(ActivationKind::Softmax, &z, &w, units);
        // A non-trivial product: the result is not just the upstream gradient.
        let mut y = vec![0.0; z.len()];
        Softmax::forward(&z, &mut y, units);
        let mut grad = w.clone();
        Softmax::backward(&z, &y, &mut grad, units);
        assert_ne!(grad, w);
    }

    #[test]
    fn in_place_forward_and_output_only_derivatives_agree_with_the_originals() {
        let units = 5;
        let z: Vec<f32> = pseudo_random(4 * units, 17)
            .iter()
            .map(|v| 4.0 * v)
            .collect();
        let w = pseudo_random(z.len(), 19);
        for kind in ActivationKind::ALL {
            with_activation!(kind, A => {
                let mut y = vec![0.0; z.len()];
                A::forward(&z, &mut y, units);
                let mut in_place = z.clone();
                A::forward_in_place(&mut in_place, units);
                assert_eq!(in_place, y, "{}", A::NAME);
                if A::FROM_OUTPUT {
                    let (mut with_z, mut without_z) = (w.clone(), w.clone());
                    A::backward(&z, &y, &mut with_z, units);
                    A::backward(&[f32::NAN; 20], &y, &mut without_z, units);
                    assert_eq!(with_z, without_z, "{} reads z", A::NAME);
                }
                assert_eq!(A::RELU, A::NAME == "relu");
            });
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in ActivationKind::ALL {
            assert_eq!(ActivationKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(ActivationKind::Linear.name(), Linear::NAME);
        assert_eq!(ActivationKind::LeakyRelu.name(), "leaky_relu");
        assert_eq!(
            ActivationKind::from_name("silu"),
            Some(ActivationKind::Swish)
        );
        assert_eq!(ActivationKind::from_name("Relu"), None);
    }

    #[test]
    fn kind_dispatches_to_the_unit_struct() {
        let z = [-2.0, -0.5, 0.5, 2.0];
        let mut expected = [0.0; 4];
        Gelu::forward(&z, &mut expected, 4);
        assert_eq!(apply(ActivationKind::Gelu, &z), expected);
        let mut grad = [1.0; 4];
        ActivationKind::Relu.backward(&z, &apply(ActivationKind::Relu, &z), &mut grad, 4);
        assert_eq!(grad, [0.0, 0.0, 1.0, 1.0]);
    }
}
