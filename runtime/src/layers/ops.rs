//! The math of the layer kinds described in [`densely_spec`]: one forward and one backward
//! function per kind, called alike by a declared model's generated code and by a model
//! built at run time.

use std::borrow::Cow;

use densely_spec::{OpKind, Value, WeightShape};

use rand::rngs::StdRng;

use super::{Generator, Layer, Param, ParamMut};
use crate::graph::{Node, NodeKind};
use crate::network::next_seed;

/// The outputs of a layer's sources, as the layer reads them: a slice of slices in a
/// declared model's code, the buffers of a model built at run time.
pub trait Sources {
    /// The number of sources.
    fn count(&self) -> usize;
    /// The values of source `k`.
    fn get(&self, k: usize) -> &[f32];
}

impl Sources for [&[f32]] {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, k: usize) -> &[f32] {
        self[k]
    }
}

impl<const N: usize> Sources for [&[f32]; N] {
    fn count(&self) -> usize {
        N
    }
    fn get(&self, k: usize) -> &[f32] {
        self[k]
    }
}

/// A layer whose kind is described in [`densely_spec::KINDS`], with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct OpLayer {
    kind: OpKind,
    args: Cow<'static, [Value]>,
    /// The length of the last axis of its output: the rows a softmax normalizes.
    row: usize,
    /// Its weights, in Keras's order.
    weights: Vec<OpWeight>,
    /// The generator of a kind that draws while training.
    generator: Option<Generator>,
    /// The factor each value's gradient is multiplied by after a noisy forward pass (the
    /// noise of `GaussianDropout`, the kept scale of `AlphaDropout`); empty when the last
    /// forward pass drew none.
    noise: Vec<f32>,
    /// BatchNormalization's statistics of the last forward pass, per feature: the means,
    /// then `1 / sqrt(variance + epsilon)` (the batch's while training, the moving ones
    /// otherwise).
    stats: Vec<f32>,
    /// BatchNormalization's sums over the batch of the last backward pass, per feature:
    /// `Σ dy`, then `Σ dy * x̂`.
    sums: Vec<f32>,
    /// Whether the last forward pass was a training one.
    training: bool,
}

/// A weight of an [`OpLayer`], with its gradient.
#[derive(Clone, Debug, PartialEq)]
struct OpWeight {
    name: &'static str,
    shape: Vec<usize>,
    value: Vec<f32>,
    grad: Vec<f32>,
    trainable: bool,
    /// For a weight shared along some axes (PReLU's slopes), the entry each value of a
    /// sample uses; empty for one along the last axis, indexed by it directly.
    entry_of: Vec<usize>,
}

impl OpLayer {
    /// The layer of `kind` with its checked `args` (every argument of its spec, in order),
    /// whose output samples have `shape`.
    ///
    /// # Panics
    /// If `args` break the kind's rules for `shape`: models check them when they are built.
    pub fn new(
        kind: OpKind,
        args: Cow<'static, [Value]>,
        shape: &[usize],
        rng: &mut StdRng,
    ) -> Self {
        let spec = kind.spec();
        let shapes = spec
            .weight_shapes(&args, shape)
            .expect("arguments checked when the model is built");
        let weights = spec
            .present_weights(&args)
            .zip(shapes)
            .map(|(weight, dims)| {
                let len: usize = dims.iter().product();
                let entry_of = match weight.shape {
                    WeightShape::SharedAxes { .. } => shared_entries(shape, &dims),
                    WeightShape::LastAxis | WeightShape::Scalar => Vec::new(),
                };
                OpWeight {
                    name: weight.name,
                    value: vec![weight.initial; len],
                    grad: vec![0.0; len],
                    trainable: weight.trainable,
                    shape: dims,
                    entry_of,
                }
            })
            .collect();
        OpLayer {
            kind,
            args,
            row: shape.last().copied().unwrap_or(1).max(1),
            weights,
            generator: spec.random.then(|| Generator::new(next_seed(rng))),
            noise: Vec::new(),
            stats: Vec::new(),
            sums: Vec::new(),
            training: false,
        }
    }

    /// The generator the layer draws from while training, if it draws.
    pub fn generator(&self) -> Option<&Generator> {
        self.generator.as_ref()
    }

    /// The generator, writable (to restore its state from a file).
    pub fn generator_mut(&mut self) -> Option<&mut Generator> {
        self.generator.as_mut()
    }

    /// The position of weight `name` in [`OpLayer::weights`], if the layer has it.
    fn weight_index(&self, name: &str) -> Option<usize> {
        self.weights.iter().position(|w| w.name == name)
    }

    /// The values of weight `name`, if the layer has it.
    fn weight(&self, name: &str) -> Option<&[f32]> {
        self.weights
            .iter()
            .find(|w| w.name == name)
            .map(|w| &w.value[..])
    }

    /// The layer of a graph's node of kind [`NodeKind::Op`], its generator (for a kind that
    /// draws) seeded from `rng`.
    ///
    /// # Panics
    /// If the node is of another kind: declared and built models call it for these only.
    pub fn of_node(node: &Node, rng: &mut StdRng) -> Self {
        match &node.kind {
            NodeKind::Op { kind, args } => OpLayer::new(*kind, args.clone(), &node.shape, rng),
            other => panic!(
                "`{}` is a {} layer, not a described one",
                node.name,
                other.keras_class_name()
            ),
        }
    }

    /// The layer's kind.
    pub fn kind(&self) -> OpKind {
        self.kind
    }

    /// Argument `index` as an `f32`, or `None` when it is `None`.
    fn float(&self, index: usize) -> Option<f32> {
        self.args
            .get(index)
            .and_then(Value::as_f64)
            .map(|x| x as f32)
    }

    fn float_or(&self, index: usize, default: f32) -> f32 {
        self.float(index).unwrap_or(default)
    }

    /// Writes the layer's output for `samples` samples of `width` values to `y`, from its
    /// sources' outputs `x` (a view, such as `Reshape`, computes nothing). A kind that draws
    /// noise draws it only `training`, and is the identity otherwise.
    pub fn forward<S: Sources + ?Sized>(
        &mut self,
        x: &S,
        y: &mut [f32],
        width: usize,
        samples: usize,
        training: bool,
    ) {
        let len = width * samples;
        let y = &mut y[..len];
        let x0 = &x.get(0)[..len];
        self.training = training;
        if self.kind == OpKind::BatchNormalization {
            self.batch_norm_forward(x0, y, training);
            return;
        }
        if let Some(generator) = self.generator.as_mut() {
            self.noise.clear();
            // The deviation of GaussianNoise, the rate of the others.
            let amount = self.args[0].as_f64().unwrap_or(0.0) as f32;
            if !training || amount == 0.0 {
                y.copy_from_slice(x0);
                return;
            }
            match self.kind {
                OpKind::GaussianNoise => {
                    for (y, &x) in y.iter_mut().zip(x0) {
                        *y = x + amount * generator.normal();
                    }
                }
                OpKind::GaussianDropout => {
                    let rate = amount;
                    let deviation = (rate / (1.0 - rate)).sqrt();
                    self.noise
                        .extend((0..len).map(|_| 1.0 + deviation * generator.normal()));
                    for ((y, &x), &m) in y.iter_mut().zip(x0).zip(&self.noise) {
                        *y = x * m;
                    }
                }
                OpKind::AlphaDropout => {
                    let rate = amount;
                    let alpha_p = -ALPHA * SCALE;
                    let a = ((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p)).powf(-0.5);
                    let b = -a * alpha_p * rate;
                    for (y, &x) in y.iter_mut().zip(x0) {
                        let kept = generator.uniform() >= rate;
                        self.noise.push(if kept { a } else { 0.0 });
                        *y = a * if kept { x } else { alpha_p } + b;
                    }
                }
                other => unreachable!("{other:?} draws nothing"),
            }
            return;
        }
        match self.kind {
            OpKind::Normalization => {
                let moments = self.moments();
                for (x, y) in x0.chunks_exact(self.row).zip(y.chunks_exact_mut(self.row)) {
                    for (j, (y, &x)) in y.iter_mut().zip(x).enumerate() {
                        let (mean, std) = moments.at(j);
                        *y = if moments.invert {
                            mean + x * std
                        } else {
                            (x - mean) / std
                        };
                    }
                }
            }
            OpKind::LeakyRelu => {
                let slope = self.float_or(0, 0.3);
                map(x0, y, |x| if x >= 0.0 { x } else { slope * x });
            }
            OpKind::Relu => {
                let relu = self.relu();
                map(x0, y, |x| relu.value(x));
            }
            OpKind::Elu => {
                let alpha = self.float_or(0, 1.0);
                map(x0, y, |x| if x > 0.0 { x } else { alpha * x.exp_m1() });
            }
            OpKind::PRelu => {
                let alpha = &self.weights[0];
                for (x, y) in x0.chunks_exact(width).zip(y.chunks_exact_mut(width)) {
                    for ((y, &x), &entry) in y.iter_mut().zip(x).zip(&alpha.entry_of) {
                        *y = if x > 0.0 { x } else { alpha.value[entry] * x };
                    }
                }
            }
            OpKind::Softmax => {
                for (x, y) in x0.chunks_exact(self.row).zip(y.chunks_exact_mut(self.row)) {
                    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let mut sum = 0.0;
                    for (y, &x) in y.iter_mut().zip(x) {
                        *y = (x - max).exp();
                        sum += *y;
                    }
                    y.iter_mut().for_each(|y| *y /= sum);
                }
            }
            OpKind::Rescaling => {
                let (scale, offset) = (self.float_or(0, 1.0), self.float_or(1, 0.0));
                map(x0, y, |x| x * scale + offset);
            }
            OpKind::LayerNormalization => {
                let epsilon = self.float_or(1, 0.001);
                let (gamma, beta) = (self.weight("gamma"), self.weight("beta"));
                for (x, y) in x0.chunks_exact(self.row).zip(y.chunks_exact_mut(self.row)) {
                    let (mean, inv) = row_moments(x, epsilon);
                    for (j, (y, &x)) in y.iter_mut().zip(x).enumerate() {
                        let mut v = (x - mean) * inv;
                        if let Some(gamma) = gamma {
                            v *= gamma[j];
                        }
                        if let Some(beta) = beta {
                            v += beta[j];
                        }
                        *y = v;
                    }
                }
            }
            OpKind::Reshape
            | OpKind::BatchNormalization
            | OpKind::GaussianNoise
            | OpKind::GaussianDropout
            | OpKind::AlphaDropout => {}
            OpKind::Multiply | OpKind::Average | OpKind::Subtract => {
                y.copy_from_slice(x0);
                for part in (1..x.count()).map(|k| &x.get(k)[..len]) {
                    match self.kind {
                        OpKind::Multiply => y.iter_mut().zip(part).for_each(|(y, p)| *y *= p),
                        OpKind::Subtract => y.iter_mut().zip(part).for_each(|(y, p)| *y -= p),
                        _ => y.iter_mut().zip(part).for_each(|(y, p)| *y += p),
                    }
                }
                if self.kind == OpKind::Average {
                    let n = x.count() as f32;
                    y.iter_mut().for_each(|y| *y /= n);
                }
            }
            OpKind::Maximum | OpKind::Minimum => {
                y.copy_from_slice(x0);
                let max = self.kind == OpKind::Maximum;
                for part in (1..x.count()).map(|k| &x.get(k)[..len]) {
                    for (y, &p) in y.iter_mut().zip(part) {
                        // Keras's `maximum(y, p)` in turn: NaN in either gives NaN.
                        *y = if p.is_nan() || y.is_nan() {
                            f32::NAN
                        } else if max {
                            y.max(p)
                        } else {
                            y.min(p)
                        };
                    }
                }
            }
        }
    }

    /// Writes (or adds, with `dx.1`) dL/d(source `k`) to `dx.0`, from dL/dy in `grad`, the
    /// sources' outputs `x` and the layer's output `y`.
    #[allow(clippy::too_many_arguments)] // the buffers of one step, each read once
    pub fn backward_to<S: Sources + ?Sized>(
        &self,
        k: usize,
        x: &S,
        y: &[f32],
        grad: &[f32],
        dx: (&mut [f32], bool),
        width: usize,
        samples: usize,
    ) {
        let len = width * samples;
        let (dx, accumulate) = (&mut dx.0[..len], dx.1);
        let grad = &grad[..len];
        let xk = &x.get(k)[..len];
        let y = &y[..len];
        let mut write = |values: &mut dyn Iterator<Item = f32>| {
            if accumulate {
                dx.iter_mut().zip(values).for_each(|(d, v)| *d += v);
            } else {
                dx.iter_mut().zip(values).for_each(|(d, v)| *d = v);
            }
        };
        match self.kind {
            OpKind::LeakyRelu => {
                let slope = self.float_or(0, 0.3);
                write(
                    &mut xk
                        .iter()
                        .zip(grad)
                        .map(|(&x, &g)| if x >= 0.0 { g } else { slope * g }),
                );
            }
            OpKind::Relu => {
                let relu = self.relu();
                write(&mut xk.iter().zip(grad).map(|(&x, &g)| g * relu.slope(x)));
            }
            OpKind::PRelu => {
                let alpha = &self.weights[0];
                let entries = alpha.entry_of.iter().cycle();
                write(
                    &mut xk.iter().zip(grad).zip(entries).map(|((&x, &g), &entry)| {
                        if x > 0.0 {
                            g
                        } else if x < 0.0 {
                            alpha.value[entry] * g
                        } else {
                            0.0
                        }
                    }),
                );
            }
            OpKind::Elu => {
                let alpha = self.float_or(0, 1.0);
                write(&mut xk.iter().zip(y).zip(grad).map(|((&x, &y), &g)| {
                    if x > 0.0 {
                        g
                    } else {
                        g * (y + alpha)
                    }
                }));
            }
            OpKind::Softmax => {
                let row = self.row;
                write(
                    &mut y
                        .chunks_exact(row)
                        .zip(grad.chunks_exact(row))
                        .flat_map(|(y, g)| {
                            let dot: f32 = g.iter().zip(y).map(|(g, y)| g * y).sum();
                            y.iter().zip(g).map(move |(&y, &g)| y * (g - dot))
                        }),
                );
            }
            OpKind::Rescaling => {
                let scale = self.float_or(0, 1.0);
                write(&mut grad.iter().map(|&g| g * scale));
            }
            OpKind::Normalization => {
                let moments = self.moments();
                write(&mut grad.iter().enumerate().map(|(i, &g)| {
                    let (_, std) = moments.at(i % self.row);
                    if moments.invert {
                        g * std
                    } else {
                        g / std
                    }
                }));
            }
            OpKind::BatchNormalization => {
                let features = self.row;
                let rows = (len / features) as f32;
                let (means, invs) = self.stats.split_at(features);
                let (sum, dot) = self.sums.split_at(features);
                let gamma = self.weight("gamma");
                let training = self.training;
                write(
                    &mut xk
                        .chunks_exact(features)
                        .zip(grad.chunks_exact(features))
                        .flat_map(move |(x, g)| {
                            (0..features).map(move |j| {
                                let scale = gamma.map_or(1.0, |gamma| gamma[j]) * invs[j];
                                if training {
                                    let xhat = (x[j] - means[j]) * invs[j];
                                    scale * (g[j] - sum[j] / rows - xhat * dot[j] / rows)
                                } else {
                                    scale * g[j]
                                }
                            })
                        }),
                );
            }
            OpKind::LayerNormalization => {
                let (row, epsilon) = (self.row, self.float_or(1, 0.001));
                let gamma = self.weight("gamma");
                write(
                    &mut xk
                        .chunks_exact(row)
                        .zip(grad.chunks_exact(row))
                        .flat_map(|(x, g)| {
                            let (mean, inv) = row_moments(x, epsilon);
                            let dy = |j: usize| g[j] * gamma.map_or(1.0, |gamma| gamma[j]);
                            let (mut sum, mut dot) = (0.0, 0.0);
                            for (j, &x) in x.iter().enumerate() {
                                sum += dy(j);
                                dot += dy(j) * (x - mean) * inv;
                            }
                            let n = row as f32;
                            (0..row).map(move |j| {
                                inv * (dy(j) - sum / n - (x[j] - mean) * inv * dot / n)
                            })
                        }),
                );
            }
            OpKind::Reshape => write(&mut grad.iter().copied()),
            OpKind::GaussianNoise | OpKind::GaussianDropout | OpKind::AlphaDropout => {
                if self.noise.is_empty() {
                    write(&mut grad.iter().copied());
                } else {
                    write(&mut grad.iter().zip(&self.noise).map(|(&g, &m)| g * m));
                }
            }
            OpKind::Multiply => {
                // The product of the other sources, value by value.
                write(&mut (0..len).map(|i| {
                    let others: f32 = (0..x.count())
                        .filter(|&j| j != k)
                        .map(|j| x.get(j)[i])
                        .product();
                    grad[i] * others
                }));
            }
            OpKind::Subtract => {
                let sign = if k == 0 { 1.0 } else { -1.0 };
                write(&mut grad.iter().map(|&g| sign * g));
            }
            OpKind::Average => {
                let n = x.count() as f32;
                write(&mut grad.iter().map(|&g| g / n));
            }
            OpKind::Maximum | OpKind::Minimum => {
                // The value goes to the first source that holds the result, as Keras's
                // pairwise `maximum` with its `>=` rule passes it.
                write(&mut (0..len).map(|i| {
                    let first = (0..x.count()).position(|j| x.get(j)[i] == y[i]);
                    if first == Some(k) {
                        grad[i]
                    } else {
                        0.0
                    }
                }));
            }
        }
    }

    /// BatchNormalization's forward pass: the batch's statistics while `training` (which
    /// also move the moving ones), the moving ones otherwise.
    fn batch_norm_forward(&mut self, x: &[f32], y: &mut [f32], training: bool) {
        let features = self.row;
        let rows = x.len() / features;
        let (momentum, epsilon) = (self.float_or(1, 0.99), self.float_or(2, 0.001));
        let moving_mean = self.weight_index("moving_mean").expect("always present");
        let moving_variance = self
            .weight_index("moving_variance")
            .expect("always present");
        self.stats.resize(2 * features, 0.0);
        let (means, invs) = self.stats.split_at_mut(features);
        if training {
            means.fill(0.0);
            for row in x.chunks_exact(features) {
                means.iter_mut().zip(row).for_each(|(m, &x)| *m += x);
            }
            means.iter_mut().for_each(|m| *m /= rows as f32);
            invs.fill(0.0);
            for row in x.chunks_exact(features) {
                for ((v, &x), &m) in invs.iter_mut().zip(row).zip(means.iter()) {
                    *v += (x - m) * (x - m);
                }
            }
            invs.iter_mut().for_each(|v| *v /= rows as f32);
            // Keras's `moving * momentum + batch * (1 - momentum)`, on the biased variance.
            let moving = &mut self.weights[moving_mean].value;
            for (moving, &mean) in moving.iter_mut().zip(means.iter()) {
                *moving = *moving * momentum + mean * (1.0 - momentum);
            }
            let moving = &mut self.weights[moving_variance].value;
            for (moving, &variance) in moving.iter_mut().zip(invs.iter()) {
                *moving = *moving * momentum + variance * (1.0 - momentum);
            }
            invs.iter_mut()
                .for_each(|v| *v = 1.0 / (*v + epsilon).sqrt());
        } else {
            means.copy_from_slice(&self.weights[moving_mean].value);
            for (inv, &variance) in invs.iter_mut().zip(&self.weights[moving_variance].value) {
                *inv = 1.0 / (variance + epsilon).sqrt();
            }
        }
        let (gamma, beta) = (self.weight("gamma"), self.weight("beta"));
        let (means, invs) = self.stats.split_at(features);
        for (x, y) in x.chunks_exact(features).zip(y.chunks_exact_mut(features)) {
            for j in 0..features {
                let mut v = (x[j] - means[j]) * invs[j];
                if let Some(gamma) = gamma {
                    v *= gamma[j];
                }
                if let Some(beta) = beta {
                    v += beta[j];
                }
                y[j] = v;
            }
        }
    }

    /// Writes the gradient of each weight the optimizer trains, from dL/dy in `grad` and the
    /// sources' outputs `x`, and whatever else the gradients of the sources need from the
    /// whole batch (BatchNormalization's sums); does nothing for the other kinds.
    pub fn backward_params<S: Sources + ?Sized>(
        &mut self,
        x: &S,
        grad: &[f32],
        width: usize,
        samples: usize,
    ) {
        let len = width * samples;
        let x = &x.get(0)[..len];
        let grad = &grad[..len];
        match self.kind {
            OpKind::BatchNormalization => {
                let features = self.row;
                self.sums.resize(2 * features, 0.0);
                self.sums.fill(0.0);
                let (means, invs) = self.stats.split_at(features);
                let (sum, dot) = self.sums.split_at_mut(features);
                for (x, g) in x.chunks_exact(features).zip(grad.chunks_exact(features)) {
                    for j in 0..features {
                        sum[j] += g[j];
                        dot[j] += g[j] * (x[j] - means[j]) * invs[j];
                    }
                }
                for weight in &mut self.weights {
                    match weight.name {
                        "gamma" => weight.grad.copy_from_slice(dot),
                        "beta" => weight.grad.copy_from_slice(sum),
                        _ => {}
                    }
                }
            }
            OpKind::LayerNormalization => {
                let (row, epsilon) = (self.row, self.float_or(1, 0.001));
                for weight in &mut self.weights {
                    weight.grad.fill(0.0);
                }
                for (x, g) in x.chunks_exact(row).zip(grad.chunks_exact(row)) {
                    let (mean, inv) = row_moments(x, epsilon);
                    for weight in &mut self.weights {
                        let gamma = weight.name == "gamma";
                        for j in 0..row {
                            weight.grad[j] += if gamma {
                                g[j] * (x[j] - mean) * inv
                            } else {
                                g[j]
                            };
                        }
                    }
                }
            }
            OpKind::PRelu => {
                let alpha = &mut self.weights[0];
                alpha.grad.fill(0.0);
                for (x, g) in x.chunks_exact(width).zip(grad.chunks_exact(width)) {
                    for ((&x, &g), &entry) in x.iter().zip(g).zip(&alpha.entry_of) {
                        if x < 0.0 {
                            alpha.grad[entry] += g * x;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Normalization's moments: its weights when it has them, else its arguments.
    fn moments(&self) -> Moments<'_> {
        let of = |index: usize, weight: &str| match self.weight(weight) {
            Some(values) => MomentSource::Weight(values),
            None => MomentSource::Arg(&self.args[index]),
        };
        Moments {
            mean: of(1, "mean"),
            variance: of(2, "variance"),
            invert: self.args.get(3).and_then(Value::as_bool) == Some(true),
        }
    }

    fn relu(&self) -> Relu {
        Relu {
            max_value: self.float(0),
            negative_slope: self.float_or(1, 0.0),
            threshold: self.float_or(2, 0.0),
        }
    }
}

/// Where Normalization reads a moment: its weight, or its argument (a number for every
/// feature, or one each).
enum MomentSource<'a> {
    Weight(&'a [f32]),
    Arg(&'a Value),
}

impl MomentSource<'_> {
    fn at(&self, feature: usize) -> f32 {
        match self {
            MomentSource::Weight(values) => values[feature],
            MomentSource::Arg(Value::Floats(xs)) => xs[feature] as f32,
            MomentSource::Arg(value) => value.as_f64().unwrap_or(0.0) as f32,
        }
    }
}

/// Normalization's mean and variance, and whether it inverts.
struct Moments<'a> {
    mean: MomentSource<'a>,
    variance: MomentSource<'a>,
    invert: bool,
}

impl Moments<'_> {
    /// Keras's `epsilon()`, the least standard deviation Normalization divides by.
    const EPSILON: f32 = 1e-7;

    /// Feature `j`'s mean and standard deviation, at least [`Self::EPSILON`].
    fn at(&self, j: usize) -> (f32, f32) {
        let std = self.variance.at(j).sqrt().max(Self::EPSILON);
        (self.mean.at(j), std)
    }
}

/// SELU's `alpha` and `scale`, as Keras's `AlphaDropout` writes them.
const ALPHA: f32 = 1.673_263_2;
const SCALE: f32 = 1.050_701;

/// Keras's `ReLU` with its three arguments.
struct Relu {
    max_value: Option<f32>,
    negative_slope: f32,
    threshold: f32,
}

impl Relu {
    /// Keras's `relu(x, negative_slope, max_value, threshold)`.
    fn value(&self, x: f32) -> f32 {
        let positive = if x > self.threshold { x } else { 0.0 };
        let clipped = match self.max_value {
            Some(max) => positive.clamp(0.0, max),
            None => positive,
        };
        clipped - self.negative_slope * (self.threshold - x).max(0.0)
    }

    /// d(value)/dx.
    fn slope(&self, x: f32) -> f32 {
        if x > self.threshold {
            match self.max_value {
                Some(max) if x >= max => 0.0,
                _ => 1.0,
            }
        } else if x < self.threshold {
            self.negative_slope
        } else {
            0.0
        }
    }
}

/// The mean of `x` and `1 / sqrt(variance + epsilon)`, Keras's `moments` of a row.
fn row_moments(x: &[f32], epsilon: f32) -> (f32, f32) {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let variance = x.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
    (mean, 1.0 / (variance + epsilon).sqrt())
}

fn map(x: &[f32], y: &mut [f32], f: impl Fn(f32) -> f32) {
    y.iter_mut().zip(x).for_each(|(y, &x)| *y = f(x));
}

/// For each value of a sample of `shape`, the entry of a weight of shape `weight` (the
/// sample's shape with some axes 1) it uses.
fn shared_entries(shape: &[usize], weight: &[usize]) -> Vec<usize> {
    let width: usize = shape.iter().product();
    (0..width)
        .map(|flat| {
            let (mut rest, mut entry, mut stride) = (flat, 0, 1);
            for (&dim, &kept) in shape.iter().zip(weight).rev() {
                let index = rest % dim;
                rest /= dim;
                if kept != 1 {
                    entry += index * stride;
                }
                stride *= kept;
            }
            entry
        })
        .collect()
}

impl Layer for OpLayer {
    fn visit_params(&self, visit: &mut dyn FnMut(Param<'_>)) {
        for weight in &self.weights {
            visit(Param {
                name: weight.name,
                shape: &weight.shape,
                value: &weight.value,
                grad: &weight.grad,
                trainable: weight.trainable,
            });
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(ParamMut<'_>)) {
        for weight in &mut self.weights {
            visit(ParamMut {
                name: weight.name,
                shape: &weight.shape,
                value: &mut weight.value,
                grad: &mut weight.grad,
                grad_is_calm: false,
                trainable: weight.trainable,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_axes_map_each_value_to_its_slope() {
        assert_eq!(shared_entries(&[2, 3], &[1, 3]), [0, 1, 2, 0, 1, 2]);
        assert_eq!(shared_entries(&[2, 3], &[2, 1]), [0, 0, 0, 1, 1, 1]);
        assert_eq!(shared_entries(&[2, 3], &[2, 3]), [0, 1, 2, 3, 4, 5]);
        assert_eq!(shared_entries(&[2, 3], &[1, 1]), [0; 6]);
    }
}
