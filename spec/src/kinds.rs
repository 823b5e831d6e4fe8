//! The layer kinds described here, one entry each: Keras's class name, the name a `model!`
//! declaration writes, the arguments and the shape rule.

use std::borrow::Cow;

use crate::value::{check_arguments, ArgError, ArgSpec, ArgType, Value};

/// A layer kind described by a [`KindSpec`]: the macro checks and generates it, and the
/// runtime builds, runs, summarizes, plots, reads and writes it, all from its entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Keras's `LeakyReLU(negative_slope=0.3)`.
    LeakyRelu,
    /// Keras's `ReLU(max_value=None, negative_slope=0.0, threshold=0.0)`.
    Relu,
    /// Keras's `ELU(alpha=1.0)`.
    Elu,
    /// Keras's `PReLU(shared_axes=None)`: a leaky ReLU whose slopes are learned.
    PRelu,
    /// Keras's `Softmax(axis=-1)`.
    Softmax,
    /// Keras's `LayerNormalization(axis=-1, epsilon=0.001, center=True, scale=True)`.
    LayerNormalization,
    /// Keras's `BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True,
    /// scale=True)`: batch statistics while training, moving ones otherwise.
    BatchNormalization,
    /// Keras's `Rescaling(scale, offset=0.0)`: `x * scale + offset`.
    Rescaling,
    /// Keras's `Normalization(axis=-1, mean=None, variance=None, invert=False)`: each
    /// feature less its mean, over its standard deviation (or back, with `invert`), the
    /// moments given or learned from data by `adapt`.
    Normalization,
    /// Keras's `Reshape(target_shape)`.
    Reshape,
    /// Keras's `GaussianNoise(stddev)`: adds normal noise while training.
    GaussianNoise,
    /// Keras's `GaussianDropout(rate)`: multiplies by normal noise of mean 1 while training.
    GaussianDropout,
    /// Keras's `AlphaDropout(rate)`: dropout that keeps a SELU network's mean and variance.
    AlphaDropout,
    /// Keras's `Multiply()`, or `multiply(a, b)`: the product of its sources.
    Multiply,
    /// Keras's `Subtract()`, or `subtract(a, b)`: the first source minus the second.
    Subtract,
    /// Keras's `Average()`, or `average(a, b)`: the mean of its sources.
    Average,
    /// Keras's `Maximum()`, or `maximum(a, b)`: the largest of its sources, value by value.
    Maximum,
    /// Keras's `Minimum()`, or `minimum(a, b)`: the smallest of its sources, value by value.
    Minimum,
}

/// How a layer kind reads its sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// One source, written to a buffer of its own.
    Layer,
    /// The source's values under another shape: it shares its source's buffers.
    View,
    /// Several sources, at least `min` and at most `max`.
    Merge {
        /// The fewest sources.
        min: usize,
        /// The most sources, if there is a limit.
        max: Option<usize>,
    },
}

/// The one description of a layer kind.
#[derive(Debug)]
pub struct KindSpec {
    /// The kind.
    pub kind: OpKind,
    /// Keras's class name, as configs and summaries write it.
    pub class: &'static str,
    /// The name a `model!` declaration writes: the class for a layer, Keras's lowercase
    /// function for a merge (`multiply(a, b)`).
    pub dsl: &'static str,
    /// How it reads its sources.
    pub role: Role,
    /// Its arguments, in Keras's positional order.
    pub args: &'static [ArgSpec],
    /// What it computes, in a line.
    pub doc: &'static str,
    /// Its weights, in Keras's order.
    pub weights: &'static [WeightSpec],
    /// Whether it draws from a generator of its own while training (its state is saved with
    /// the model, as Dropout's is).
    pub random: bool,
    /// Whether, frozen, it computes as in inference even while training (Keras's
    /// BatchNormalization, which then normalizes with its moving statistics).
    pub frozen_infers: bool,
    /// Keys of Keras's config that densely does not compute with: a file that sets one
    /// (to anything but `null`) is refused rather than computed wrong.
    pub unsupported: &'static [&'static str],
    shape: ShapeRule,
}

/// A weight of a layer kind.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightSpec {
    /// Keras's name of the weight (`alpha`, `gamma`).
    pub name: &'static str,
    /// How its shape follows from the layer's.
    pub shape: WeightShape,
    /// The value every entry starts from (Keras's `Zeros` or `Ones` initializer).
    pub initial: f32,
    /// Whether the optimizer trains it.
    pub trainable: bool,
    /// When the layer has the weight.
    pub presence: Presence,
    /// Whether Keras keeps it as integers (Normalization's `count`): files hold it as
    /// `int64`.
    pub integer: bool,
}

/// When a layer has one of its kind's weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Always.
    Always,
    /// Unless the boolean argument at this position is `false` (`scale` for `gamma`).
    Flag(usize),
    /// While the argument at this position is `None` (Normalization's `mean`, which given
    /// replaces the weights).
    Unset(usize),
}

/// How a weight's shape follows from the shape of the layer's output samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightShape {
    /// The samples' shape, except the axes listed by argument `arg` (`shared_axes`,
    /// counting a sample's first axis as 1, as Keras does), which are 1: one value per
    /// entry, shared along those axes.
    SharedAxes {
        /// The position of the argument listing the shared axes.
        arg: usize,
    },
    /// One value per entry of the samples' last axis.
    LastAxis,
    /// One value (Normalization's `count`).
    Scalar,
}

/// How a layer kind's output shape follows from its sources' shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ShapeRule {
    /// The shape of its one source.
    Same,
    /// The shape of its sources, which must all have one shape.
    AllSame,
    /// The source's values under `target_shape`.
    Reshape,
    /// The shape of its one source, along whose last axis it works: argument `arg` names
    /// that axis.
    LastAxis {
        /// The position of the axis argument.
        arg: usize,
    },
    /// [`ShapeRule::LastAxis`], with the moments given by arguments `mean` and `variance`
    /// (both or neither; a number, or one per entry of the last axis).
    Moments {
        /// The position of the axis argument.
        axis: usize,
        /// The position of the mean.
        mean: usize,
        /// The position of the variance.
        variance: usize,
    },
}

/// A source of a layer as a shape rule sees it: its name and sample shape.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// The name of the node read.
    pub name: &'a str,
    /// The shape of one of its samples.
    pub shape: &'a [usize],
}

/// Why a layer can't be built: one of its arguments, or the shapes it is given.
#[derive(Clone, Debug, PartialEq)]
pub enum SpecError {
    /// An argument's value breaks its rule.
    Arg(ArgError),
    /// The sources don't fit the layer; the message reads after the layer's name.
    Shape(String),
}

impl SpecError {
    /// The error as one sentence about the layer `layer` names: a shape's message names it
    /// already, an argument's follows it.
    pub fn message(&self, layer: &str) -> String {
        match self {
            SpecError::Arg(error) => format!("{layer}: {}", error.message),
            SpecError::Shape(message) => message.clone(),
        }
    }
}

/// A number argument, at least `min` when given.
const fn float(name: &'static str, default: f64, min: Option<f64>, doc: &'static str) -> ArgSpec {
    arg(name, ArgType::Float { min }, Value::Float(default), doc)
}

/// An argument called the same in Keras 3 and tf-keras.
const fn arg(name: &'static str, ty: ArgType, default: Value, doc: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        ty,
        default,
        keras2_name: None,
        doc,
    }
}

/// A weight: its name, shape rule, initial value, whether the optimizer trains it, and the
/// bool argument it exists under.
const fn weight(
    name: &'static str,
    shape: WeightShape,
    initial: f32,
    trainable: bool,
    presence: Presence,
) -> WeightSpec {
    WeightSpec {
        name,
        shape,
        initial,
        trainable,
        presence,
        integer: false,
    }
}

/// A bool argument, `true` unless given.
const fn flag(name: &'static str, doc: &'static str) -> ArgSpec {
    arg(name, ArgType::Bool, Value::Bool(true), doc)
}

const fn merge(
    kind: OpKind,
    class: &'static str,
    dsl: &'static str,
    min: usize,
    max: Option<usize>,
    doc: &'static str,
) -> KindSpec {
    KindSpec {
        kind,
        class,
        dsl,
        role: Role::Merge { min, max },
        args: &[],
        doc,
        weights: &[],
        random: false,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::AllSame,
    }
}

/// Every described kind, in [`OpKind`]'s order.
pub static KINDS: [KindSpec; 18] = [
    KindSpec {
        kind: OpKind::LeakyRelu,
        class: "LeakyReLU",
        dsl: "LeakyReLU",
        role: Role::Layer,
        args: &[ArgSpec {
            name: "negative_slope",
            ty: ArgType::Float { min: Some(0.0) },
            default: Value::Float(0.3),
            keras2_name: Some("alpha"),
            doc: "the slope below zero",
        }],
        doc: "`x` above zero, `negative_slope * x` below",
        weights: &[],
        random: false,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Same,
    },
    KindSpec {
        kind: OpKind::Relu,
        class: "ReLU",
        dsl: "ReLU",
        role: Role::Layer,
        args: &[
            arg("max_value", ArgType::OptionalFloat { min: Some(0.0) }, Value::None, "the largest output, if any"),
            float(
                "negative_slope",
                0.0,
                Some(0.0),
                "the slope below the threshold",
            ),
            float("threshold", 0.0, Some(0.0), "where the slope changes"),
        ],
        doc:
            "`x` above `threshold` (at most `max_value`), `negative_slope * (x - threshold)` below",
        weights: &[],
        random: false,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Same,
    },
    KindSpec {
        kind: OpKind::Elu,
        class: "ELU",
        dsl: "ELU",
        role: Role::Layer,
        args: &[float("alpha", 1.0, None, "the scale below zero")],
        doc: "`x` above zero, `alpha * (exp(x) - 1)` below",
        weights: &[],
        random: false,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Same,
    },
    KindSpec {
        kind: OpKind::PRelu,
        class: "PReLU",
        dsl: "PReLU",
        role: Role::Layer,
        args: &[arg("shared_axes", ArgType::OptionalDims, Value::None, "the axes along which one slope is shared (a sample's first axis is 1)")],
        doc: "`x` above zero, `alpha * x` below, with `alpha` learned",
        weights: &[weight("alpha", WeightShape::SharedAxes { arg: 0 }, 0.0, true, Presence::Always)],
        random: false,
        frozen_infers: false,
        unsupported: &["alpha_regularizer", "alpha_constraint"],
        shape: ShapeRule::Same,
    },
    KindSpec {
        kind: OpKind::Softmax,
        class: "Softmax",
        dsl: "Softmax",
        role: Role::Layer,
        args: &[arg("axis", ArgType::Int { allowed: &[-1] }, Value::Int(-1), "the axis normalized")],
        doc: "the softmax along the last axis",
        weights: &[],
        random: false,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Same,
    },
    KindSpec {
        kind: OpKind::LayerNormalization,
        class: "LayerNormalization",
        dsl: "LayerNormalization",
        role: Role::Layer,
        args: &[
            arg("axis", ArgType::Axis, Value::Int(-1), "the axis normalized: the last"),
            float("epsilon", 0.001, Some(0.0), "added to the variance"),
            flag("center", "whether `beta` is added"),
            flag("scale", "whether the result is multiplied by `gamma`"),
        ],
        doc: "each sample's last axis to mean 0 and variance 1, then times `gamma` plus `beta`",
        weights: &[
            weight("gamma", WeightShape::LastAxis, 1.0, true, Presence::Flag(3)),
            weight("beta", WeightShape::LastAxis, 0.0, true, Presence::Flag(2)),
        ],
        random: false,
        frozen_infers: false,
        unsupported: &[
            "beta_regularizer",
            "gamma_regularizer",
            "beta_constraint",
            "gamma_constraint",
            "rms_scaling",
        ],
        shape: ShapeRule::LastAxis { arg: 0 },
    },
    KindSpec {
        kind: OpKind::BatchNormalization,
        class: "BatchNormalization",
        dsl: "BatchNormalization",
        role: Role::Layer,
        args: &[
            arg("axis", ArgType::Axis, Value::Int(-1), "the axis of the features normalized: the last"),
            float("momentum", 0.99, Some(0.0), "how much of the moving statistics a batch keeps"),
            float("epsilon", 0.001, Some(0.0), "added to the variance"),
            flag("center", "whether `beta` is added"),
            flag("scale", "whether the result is multiplied by `gamma`"),
        ],
        doc: "each feature to mean 0 and variance 1 over the batch while training (over the moving statistics otherwise), then times `gamma` plus `beta`",
        weights: &[
            weight("gamma", WeightShape::LastAxis, 1.0, true, Presence::Flag(4)),
            weight("beta", WeightShape::LastAxis, 0.0, true, Presence::Flag(3)),
            weight("moving_mean", WeightShape::LastAxis, 0.0, false, Presence::Always),
            weight("moving_variance", WeightShape::LastAxis, 1.0, false, Presence::Always),
        ],
        random: false,
        frozen_infers: true,
        unsupported: &[
            "beta_regularizer",
            "gamma_regularizer",
            "beta_constraint",
            "gamma_constraint",
            "renorm",
            "synchronized",
            "virtual_batch_size",
            "adjustment",
        ],
        shape: ShapeRule::LastAxis { arg: 0 },
    },
    KindSpec {
        kind: OpKind::Rescaling,
        class: "Rescaling",
        dsl: "Rescaling",
        role: Role::Layer,
        args: &[
            arg("scale", ArgType::Float { min: None }, Value::None, "the factor"),
            float("offset", 0.0, None, "the value added after scaling"),
        ],
        doc: "`x * scale + offset`",
        weights: &[],
        random: false,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Same,
    },
    KindSpec {
        kind: OpKind::Normalization,
        class: "Normalization",
        dsl: "Normalization",
        role: Role::Layer,
        args: &[
            arg("axis", ArgType::Axis, Value::Int(-1), "the axis of the features: the last"),
            arg("mean", ArgType::OptionalFloats, Value::None, "the features' mean, instead of one `adapt` learns"),
            arg("variance", ArgType::OptionalFloats, Value::None, "the features' variance, given with `mean`"),
            arg("invert", ArgType::Bool, Value::Bool(false), "whether the layer undoes the normalization"),
        ],
        doc: "each feature less its mean, over its standard deviation (times it, plus the mean, with `invert`)",
        weights: &[
            weight("mean", WeightShape::LastAxis, 0.0, false, Presence::Unset(1)),
            weight("variance", WeightShape::LastAxis, 1.0, false, Presence::Unset(1)),
            WeightSpec {
                integer: true,
                ..weight("count", WeightShape::Scalar, 0.0, false, Presence::Unset(1))
            },
        ],
        random: false,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Moments { axis: 0, mean: 1, variance: 2 },
    },
    KindSpec {
        kind: OpKind::Reshape,
        class: "Reshape",
        dsl: "Reshape",
        role: Role::View,
        args: &[arg("target_shape", ArgType::Dims, Value::None, "the shape of a sample, one dimension of it `-1` to be inferred")],
        doc: "each sample under another shape",
        weights: &[],
        random: false,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Reshape,
    },
    KindSpec {
        kind: OpKind::GaussianNoise,
        class: "GaussianNoise",
        dsl: "GaussianNoise",
        role: Role::Layer,
        args: &[arg("stddev", ArgType::Float { min: Some(0.0) }, Value::None, "the standard deviation of the noise")],
        doc: "`x` plus normal noise of deviation `stddev` while training, `x` otherwise",
        weights: &[],
        random: true,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Same,
    },
    KindSpec {
        kind: OpKind::GaussianDropout,
        class: "GaussianDropout",
        dsl: "GaussianDropout",
        role: Role::Layer,
        args: &[arg("rate", ArgType::Rate, Value::None, "the drop probability the noise stands for")],
        doc: "`x` times normal noise of mean 1 and deviation `sqrt(rate / (1 - rate))` while training, `x` otherwise",
        weights: &[],
        random: true,
        frozen_infers: false,
        unsupported: &[],
        shape: ShapeRule::Same,
    },
    KindSpec {
        kind: OpKind::AlphaDropout,
        class: "AlphaDropout",
        dsl: "AlphaDropout",
        role: Role::Layer,
        args: &[arg("rate", ArgType::Rate, Value::None, "the fraction of values dropped")],
        doc: "drops `rate` of its inputs to SELU's negative saturation while training, then rescales so that mean and variance are kept; `x` otherwise",
        weights: &[],
        random: true,
        frozen_infers: false,
        unsupported: &["noise_shape"],
        shape: ShapeRule::Same,
    },
    merge(
        OpKind::Multiply,
        "Multiply",
        "multiply",
        2,
        None,
        "the product of its sources",
    ),
    merge(
        OpKind::Subtract,
        "Subtract",
        "subtract",
        2,
        Some(2),
        "the first source minus the second",
    ),
    merge(
        OpKind::Average,
        "Average",
        "average",
        2,
        None,
        "the mean of its sources",
    ),
    merge(
        OpKind::Maximum,
        "Maximum",
        "maximum",
        2,
        None,
        "the largest of its sources, value by value",
    ),
    merge(
        OpKind::Minimum,
        "Minimum",
        "minimum",
        2,
        None,
        "the smallest of its sources, value by value",
    ),
];

impl OpKind {
    /// Every kind.
    pub fn all() -> impl Iterator<Item = OpKind> {
        KINDS.iter().map(|spec| spec.kind)
    }

    /// The kind's description.
    pub fn spec(self) -> &'static KindSpec {
        &KINDS[self as usize]
    }

    /// The kind whose Keras class is `class`.
    pub fn from_class(class: &str) -> Option<OpKind> {
        KINDS
            .iter()
            .find(|spec| spec.class == class)
            .map(|s| s.kind)
    }

    /// The kind a `model!` declaration writes as `name`.
    pub fn from_dsl(name: &str) -> Option<OpKind> {
        KINDS.iter().find(|spec| spec.dsl == name).map(|s| s.kind)
    }
}

impl KindSpec {
    /// Whether the kind merges several sources.
    pub fn is_merge(&self) -> bool {
        matches!(self.role, Role::Merge { .. })
    }

    /// The argument called `name`, with its position.
    pub fn arg(&self, name: &str) -> Option<(usize, &'static ArgSpec)> {
        self.args.iter().enumerate().find(|(_, a)| a.name == name)
    }

    /// The argument tf-keras calls `name` where Keras 3 calls it otherwise (LeakyReLU's
    /// `alpha`), for the hint that names it.
    pub fn renamed(&self, name: &str) -> Option<&'static ArgSpec> {
        self.args.iter().find(|a| a.keras2_name == Some(name))
    }

    /// The complete arguments from those `given` by position in Keras's order, each checked
    /// and the others at their defaults.
    pub fn arguments(&self, given: Vec<Option<Value>>) -> Result<Vec<Value>, ArgError> {
        check_arguments(self.class, self.args, given)
    }

    /// The shape of one sample of the layer's output, given its checked arguments and its
    /// sources. `layer` names the layer in the message of an error.
    pub fn output_shape(
        &self,
        layer: &str,
        args: &[Value],
        sources: &[Source<'_>],
    ) -> Result<Vec<usize>, SpecError> {
        let count = sources.len();
        match self.role {
            Role::Merge { min, max } if count < min || max.is_some_and(|max| count > max) => {
                let wanted = match max {
                    Some(max) if max == min => format!("exactly {min}"),
                    Some(max) => format!("{min} to {max}"),
                    None => format!("at least {min}"),
                };
                return Err(SpecError::Shape(format!(
                    "{layer} merges {wanted} sources, and it is given {count}"
                )));
            }
            Role::Layer | Role::View if count != 1 => {
                return Err(SpecError::Shape(format!(
                    "{layer} reads one source, and it is given {count}"
                )));
            }
            _ => {}
        }
        let shape = self.shape_of(layer, args, sources)?;
        self.weight_shapes(args, &shape)?;
        Ok(shape)
    }

    /// The shape of each weight (in [`KindSpec::weights`]' order) of a layer whose output
    /// samples have `shape`; an error when an argument names axes the samples lack.
    pub fn weight_shapes(
        &self,
        args: &[Value],
        shape: &[usize],
    ) -> Result<Vec<Vec<usize>>, SpecError> {
        self.present_weights(args)
            .map(|weight| match weight.shape {
                WeightShape::LastAxis => Ok(vec![shape.last().copied().unwrap_or(1)]),
                WeightShape::Scalar => Ok(Vec::new()),
                WeightShape::SharedAxes { arg } => {
                    let mut dims = shape.to_vec();
                    for &axis in args[arg].as_dims().unwrap_or_default() {
                        if axis < 1 || axis as usize > shape.len() {
                            return Err(SpecError::Arg(ArgError {
                                arg: self.args[arg].name,
                                message: format!(
                                    "`{}` names axis {axis}, and a sample of shape {shape:?} has axes 1 to {}",
                                    self.args[arg].name,
                                    shape.len()
                                ),
                            }));
                        }
                        dims[axis as usize - 1] = 1;
                    }
                    Ok(dims)
                }
            })
            .collect()
    }

    /// The weights a layer with arguments `args` has, in Keras's order (see
    /// [`Presence`]).
    pub fn present_weights<'a>(
        &'a self,
        args: &'a [Value],
    ) -> impl Iterator<Item = &'a WeightSpec> + 'a {
        self.weights.iter().filter(|weight| match weight.presence {
            Presence::Always => true,
            Presence::Flag(arg) => args.get(arg).and_then(Value::as_bool) != Some(false),
            Presence::Unset(arg) => args.get(arg).is_none_or(|v| *v == Value::None),
        })
    }

    /// The number of trainable values in the weights of a layer whose output samples have
    /// `shape`.
    pub fn trainable_params(&self, args: &[Value], shape: &[usize]) -> usize {
        self.params(args, shape, true)
    }

    /// The number of values in the weights the optimizer doesn't train (BatchNormalization's
    /// moving statistics).
    pub fn non_trainable_params(&self, args: &[Value], shape: &[usize]) -> usize {
        self.params(args, shape, false)
    }

    /// The number of values in the weights Keras keeps as integers (8 bytes each, where the
    /// others take 4).
    pub fn integer_params(&self, args: &[Value], shape: &[usize]) -> usize {
        let shapes = self.weight_shapes(args, shape).unwrap_or_default();
        self.present_weights(args)
            .zip(shapes)
            .filter(|(weight, _)| weight.integer)
            .map(|(_, dims)| dims.iter().product::<usize>())
            .sum()
    }

    fn params(&self, args: &[Value], shape: &[usize], trainable: bool) -> usize {
        let shapes = self.weight_shapes(args, shape).unwrap_or_default();
        self.present_weights(args)
            .zip(shapes)
            .filter(|(weight, _)| weight.trainable == trainable)
            .map(|(_, dims)| dims.iter().product::<usize>())
            .sum()
    }

    fn shape_of(
        &self,
        layer: &str,
        args: &[Value],
        sources: &[Source<'_>],
    ) -> Result<Vec<usize>, SpecError> {
        let first = sources[0].shape;
        match self.shape {
            ShapeRule::Same => Ok(first.to_vec()),
            ShapeRule::AllSame => {
                if sources.iter().all(|s| s.shape == first) {
                    return Ok(first.to_vec());
                }
                let listed: Vec<String> = sources
                    .iter()
                    .map(|s| format!("`{}` {:?}", s.name, s.shape))
                    .collect();
                Err(SpecError::Shape(format!(
                    "{layer} combines sources of one shape, value by value, and they are {}",
                    listed.join(", ")
                )))
            }
            ShapeRule::Reshape => reshape(layer, &args[0], sources[0]),
            ShapeRule::LastAxis { arg } => self.along_last_axis(arg, args, first),
            ShapeRule::Moments {
                axis,
                mean,
                variance,
            } => {
                let shape = self.along_last_axis(axis, args, first)?;
                self.check_moments(layer, args, (mean, variance), &shape)?;
                Ok(shape)
            }
        }
    }

    /// The source's shape, when argument `arg` names its last axis.
    fn along_last_axis(
        &self,
        arg: usize,
        args: &[Value],
        first: &[usize],
    ) -> Result<Vec<usize>, SpecError> {
        let rank = first.len() as i64;
        let axis = match &args[arg] {
            Value::Int(axis) => *axis,
            Value::Dims(dims) => dims.first().copied().unwrap_or(0),
            _ => 0,
        };
        // Keras counts the batch axis as 0: the last axis of a sample is `rank`.
        if axis == -1 || axis == rank {
            Ok(first.to_vec())
        } else {
            Err(SpecError::Arg(ArgError {
                arg: self.args[arg].name,
                message: format!(
                    "`{}` is {}, and densely computes it only along the last axis: `{} = -1`",
                    self.args[arg].name, args[arg], self.args[arg].name
                ),
            }))
        }
    }

    /// Moments given as arguments: both or neither, each a number or one per entry of the
    /// last axis of `shape`, the variances not negative.
    fn check_moments(
        &self,
        layer: &str,
        args: &[Value],
        (mean, variance): (usize, usize),
        shape: &[usize],
    ) -> Result<(), SpecError> {
        let features = shape.last().copied().unwrap_or(1);
        let (m, v) = (&self.args[mean], &self.args[variance]);
        let error = |arg: &'static str, message: String| SpecError::Arg(ArgError { arg, message });
        match (&args[mean], &args[variance]) {
            (Value::None, Value::None) => return Ok(()),
            (Value::None, _) | (_, Value::None) => {
                let (given, missing) = if args[mean] == Value::None {
                    (v, m)
                } else {
                    (m, v)
                };
                return Err(error(
                    missing.name,
                    format!(
                        "{layer} is given `{}` without `{}`: give both, or neither and `adapt` the layer to data",
                        given.name, missing.name
                    ),
                ));
            }
            _ => {}
        }
        for (arg, value) in [(m, &args[mean]), (v, &args[variance])] {
            if let Some(values) = value.as_floats() {
                if values.len() != features {
                    return Err(error(
                        arg.name,
                        format!(
                            "`{}` has {} values, and {layer} has {features} features: give one per feature, or one number for all",
                            arg.name,
                            values.len()
                        ),
                    ));
                }
            }
        }
        let negative = match &args[variance] {
            Value::Float(x) => *x < 0.0,
            Value::Floats(xs) => xs.iter().any(|&x| x < 0.0),
            _ => false,
        };
        if negative {
            return Err(error(
                v.name,
                format!(
                    "`{}` is {}, and a variance is not negative",
                    v.name, args[variance]
                ),
            ));
        }
        Ok(())
    }

    /// `args` in their usual form for a layer whose source samples have `rank` axes: the
    /// last axis, counted from the batch axis (`rank`) or listed as Keras 3 (`[-1]`) or
    /// tf-keras (`[rank]`) list it, is `-1`.
    pub fn canonical(&self, args: &mut [Value], rank: usize) {
        for (spec, value) in self.args.iter().zip(args.iter_mut()) {
            let last = [&[rank as i64][..], &[-1][..]];
            let named = value.as_dims().is_some_and(|d| last.contains(&d))
                || value.as_i64() == Some(rank as i64);
            if spec.ty == ArgType::Axis && named {
                *value = Value::Int(-1);
            }
        }
    }

    /// The arguments that differ from their defaults, with their specs: what a declaration
    /// or a summary needs to write.
    pub fn given<'a>(
        &'static self,
        args: &'a [Value],
    ) -> impl Iterator<Item = (&'static ArgSpec, &'a Value)> + 'a {
        self.args
            .iter()
            .zip(args)
            .filter(|(spec, value)| spec.required() || spec.default != **value)
    }
}

/// `Reshape`'s rule: the target shape with its `-1` inferred, holding as many values as
/// the source.
fn reshape(layer: &str, target: &Value, source: Source<'_>) -> Result<Vec<usize>, SpecError> {
    let arg_error = |message: String| {
        SpecError::Arg(ArgError {
            arg: "target_shape",
            message,
        })
    };
    let dims = target.as_dims().unwrap_or_default();
    let written = Value::Dims(Cow::Owned(dims.to_vec()));
    if dims.is_empty() || dims.len() > 4 {
        return Err(arg_error(format!(
            "`target_shape` is {written}; give 1 to 4 dimensions"
        )));
    }
    if dims.iter().filter(|&&d| d == -1).count() > 1 || dims.iter().any(|&d| d == 0 || d < -1) {
        return Err(arg_error(format!(
            "`target_shape` is {written}; each dimension is positive, except one that may be -1"
        )));
    }
    let values: usize = source.shape.iter().product();
    let known = dims
        .iter()
        .filter(|&&d| d > 0)
        .try_fold(1usize, |p, &d| p.checked_mul(d as usize));
    let fits = match (known, dims.contains(&-1)) {
        (Some(known), true) => values.is_multiple_of(known),
        (Some(known), false) => values == known,
        (None, _) => false,
    };
    if !fits {
        return Err(SpecError::Shape(format!(
            "{layer} reshapes `{}` of shape {:?} ({values} values) to {written}, which can't hold them",
            source.name, source.shape
        )));
    }
    let known = known.unwrap_or(1);
    Ok(dims
        .iter()
        .map(|&d| if d == -1 { values / known } else { d as usize })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src<'a>(name: &'a str, shape: &'a [usize]) -> Source<'a> {
        Source { name, shape }
    }

    #[test]
    fn the_table_is_in_the_enum_order() {
        for (index, spec) in KINDS.iter().enumerate() {
            assert_eq!(spec.kind as usize, index, "{}", spec.class);
            assert_eq!(OpKind::from_class(spec.class), Some(spec.kind));
            assert_eq!(OpKind::from_dsl(spec.dsl), Some(spec.kind));
        }
    }

    #[test]
    fn arguments_take_their_defaults_and_refuse_what_breaks_their_rule() {
        let relu = OpKind::Relu.spec();
        let args = relu.arguments(vec![Some(Value::Int(6))]).unwrap();
        assert_eq!(
            args,
            [Value::Float(6.0), Value::Float(0.0), Value::Float(0.0)]
        );
        assert_eq!(
            relu.given(&args).map(|(a, _)| a.name).collect::<Vec<_>>(),
            ["max_value"]
        );
        let error = OpKind::Rescaling.spec().arguments(vec![]).unwrap_err();
        assert_eq!(
            error.message,
            "`Rescaling` needs `scale`: the factor, a number"
        );
        let error = OpKind::Softmax
            .spec()
            .arguments(vec![Some(Value::Int(1))])
            .unwrap_err();
        assert_eq!(
            error.message,
            "`axis` is 1, and densely computes it only with `axis = -1`"
        );
    }

    #[test]
    fn merges_need_sources_of_one_shape() {
        let spec = OpKind::Maximum.spec();
        let shape = spec
            .output_shape("m", &[], &[src("a", &[3]), src("b", &[3]), src("c", &[3])])
            .unwrap();
        assert_eq!(shape, [3]);
        let error = spec
            .output_shape("layer `m`", &[], &[src("a", &[3]), src("b", &[4])])
            .unwrap_err();
        assert_eq!(
            error,
            SpecError::Shape(
                "layer `m` combines sources of one shape, value by value, and they are `a` [3], `b` [4]"
                    .into()
            )
        );
        let error = OpKind::Subtract
            .spec()
            .output_shape(
                "`s`",
                &[],
                &[src("a", &[3]), src("b", &[3]), src("c", &[3])],
            )
            .unwrap_err();
        assert_eq!(
            error,
            SpecError::Shape("`s` merges exactly 2 sources, and it is given 3".into())
        );
    }

    #[test]
    fn prelu_shares_its_slopes_along_the_axes_named() {
        let spec = OpKind::PRelu.spec();
        let shared = vec![Value::Dims(vec![1].into())];
        assert_eq!(spec.weight_shapes(&shared, &[3, 4]), Ok(vec![vec![1, 4]]));
        assert_eq!(spec.trainable_params(&shared, &[3, 4]), 4);
        assert_eq!(spec.trainable_params(&[Value::None], &[3, 4]), 12);
        let error = spec
            .output_shape("p", &[Value::Dims(vec![2].into())], &[src("x", &[8])])
            .unwrap_err();
        assert_eq!(
            error,
            SpecError::Arg(ArgError {
                arg: "shared_axes",
                message: "`shared_axes` names axis 2, and a sample of shape [8] has axes 1 to 1"
                    .into()
            })
        );
    }

    #[test]
    fn the_last_axis_is_named_in_each_of_keras_s_ways() {
        let spec = OpKind::BatchNormalization.spec();
        for axis in [
            Value::Int(-1),
            Value::Int(2),
            Value::Dims(vec![-1].into()),
            Value::Dims(vec![2].into()),
        ] {
            let mut args = spec.arguments(vec![Some(axis.clone())]).unwrap();
            let shape = spec.output_shape("b", &args, &[src("x", &[3, 4])]);
            assert_eq!(shape, Ok(vec![3, 4]), "{axis}");
            spec.canonical(&mut args, 2);
            assert_eq!(args[0], Value::Int(-1), "{axis}");
        }
        let args = spec.arguments(vec![Some(Value::Int(1))]).unwrap();
        assert!(matches!(
            spec.output_shape("b", &args, &[src("x", &[3, 4])]),
            Err(SpecError::Arg(_))
        ));
    }

    #[test]
    fn reshape_infers_one_dimension_and_keeps_every_value() {
        let spec = OpKind::Reshape.spec();
        let target = |dims: &[i64]| vec![Value::Dims(dims.to_vec().into())];
        let shape = spec
            .output_shape("r", &target(&[4, -1]), &[src("x", &[12])])
            .unwrap();
        assert_eq!(shape, [4, 3]);
        assert!(matches!(
            spec.output_shape("r", &target(&[5, -1]), &[src("x", &[12])]),
            Err(SpecError::Shape(_))
        ));
        assert!(matches!(
            spec.output_shape("r", &target(&[-1, -1]), &[src("x", &[12])]),
            Err(SpecError::Arg(_))
        ));
        assert!(matches!(
            spec.output_shape("r", &target(&[3, 5]), &[src("x", &[12])]),
            Err(SpecError::Shape(_))
        ));
    }
}
