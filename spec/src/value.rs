//! A layer's arguments: their values, their types and the rules each value must follow.

use std::borrow::Cow;
use std::fmt;

/// The value of one argument of a layer, as Keras's config holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Python's `None`: an optional argument left out.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// A number.
    Float(f64),
    /// A whole number.
    Int(i64),
    /// A tuple of whole numbers, such as a shape (`-1` stands for the dimension inferred).
    Dims(Cow<'static, [i64]>),
    /// A list of numbers, one per feature (Normalization's `mean`).
    Floats(Cow<'static, [f64]>),
}

/// What an argument takes, and the values it refuses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArgType {
    /// A finite number, at least `min` when given.
    Float {
        /// The smallest value allowed.
        min: Option<f64>,
    },
    /// A finite number at least `min`, or `None`.
    OptionalFloat {
        /// The smallest value allowed.
        min: Option<f64>,
    },
    /// A fraction in `[0, 1)`: a rate of dropped or noisy values.
    Rate,
    /// A whole number, one of `allowed` when it isn't empty.
    Int {
        /// The only values densely computes with (empty: any).
        allowed: &'static [i64],
    },
    /// `true` or `false`.
    Bool,
    /// The axis a layer works along: `-1`, or (as tf-keras writes it once built) a list of
    /// one axis counted from the batch axis; the layer's shape rule says which axes it takes.
    Axis,
    /// A tuple of whole numbers.
    Dims,
    /// A tuple of whole numbers, or `None`.
    OptionalDims,
    /// One finite number for every feature, a list of them, or `None`.
    OptionalFloats,
}

/// One argument of a layer kind: its Keras name, type, default and meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct ArgSpec {
    /// Keras's name of the argument, also its key in the layer's config.
    pub name: &'static str,
    /// What it takes.
    pub ty: ArgType,
    /// Its value when left out; [`Value::None`] with a non-optional type means required.
    pub default: Value,
    /// Its name in tf-keras's configs, where that differs (LeakyReLU's `alpha`).
    pub keras2_name: Option<&'static str>,
    /// What it means, for error messages and docs.
    pub doc: &'static str,
}

/// An argument's value that breaks its rule; the message reads after the argument's name.
#[derive(Clone, Debug, PartialEq)]
pub struct ArgError {
    /// The argument.
    pub arg: &'static str,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl ArgSpec {
    /// Whether the argument must be given.
    pub fn required(&self) -> bool {
        self.default == Value::None
            && !matches!(
                self.ty,
                ArgType::OptionalFloat { .. } | ArgType::OptionalDims | ArgType::OptionalFloats
            )
    }

    /// How the argument is written in Keras's terms: "a number", "a tuple of whole numbers".
    pub fn expects(&self) -> &'static str {
        match self.ty {
            ArgType::Float { .. } => "a number",
            ArgType::Rate => "a number in [0, 1)",
            ArgType::Bool => "`true` or `false`",
            ArgType::Axis => "an axis, like `-1`",
            ArgType::OptionalFloat { .. } => "a number or `None`",
            ArgType::Int { .. } => "a whole number",
            ArgType::Dims => "a tuple of whole numbers, like `(7, 4)`",
            ArgType::OptionalDims => "a tuple of whole numbers, like `(1,)`, or `None`",
            ArgType::OptionalFloats => "a number, a list of numbers like `[0.5, 2.0]`, or `None`",
        }
    }

    /// `value` made to fit the argument's type (a whole number where a number is taken),
    /// or the error saying what is wrong with it.
    pub fn check(&self, value: Value) -> Result<Value, ArgError> {
        let error = |message: String| ArgError {
            arg: self.name,
            message,
        };
        let at_least = |x: f64, min: Option<f64>| match min {
            Some(min) if x < min => Err(error(format!(
                "`{}` is {x}, and it must be at least {min}",
                self.name
            ))),
            _ if !x.is_finite() => Err(error(format!(
                "`{}` is {x}, and it must be a finite number",
                self.name
            ))),
            _ => Ok(Value::Float(x)),
        };
        match (self.ty, value) {
            (ArgType::Float { min } | ArgType::OptionalFloat { min }, Value::Float(x)) => {
                at_least(x, min)
            }
            (ArgType::Float { min } | ArgType::OptionalFloat { min }, Value::Int(x)) => {
                at_least(x as f64, min)
            }
            (ArgType::OptionalFloat { .. }, Value::None) => Ok(Value::None),
            (ArgType::Rate, value @ (Value::Float(_) | Value::Int(_))) => {
                let x = value.as_f64().unwrap_or(f64::NAN);
                // Checked as the `f32` the layer computes with: 0.99999999999 rounds to 1.
                if (0.0..1.0).contains(&(x as f32)) {
                    Ok(Value::Float(x))
                } else {
                    Err(error(format!(
                        "`{}` is {x}, and a rate is a number in [0, 1)",
                        self.name
                    )))
                }
            }
            (ArgType::Int { allowed }, Value::Int(x)) => {
                if allowed.is_empty() || allowed.contains(&x) {
                    Ok(Value::Int(x))
                } else {
                    Err(error(format!(
                        "`{}` is {x}, and densely computes it only with {}",
                        self.name,
                        allowed
                            .iter()
                            .map(|a| format!("`{} = {a}`", self.name))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )))
                }
            }
            (ArgType::Dims | ArgType::OptionalDims, Value::Dims(dims)) => Ok(Value::Dims(dims)),
            (ArgType::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (ArgType::Axis, Value::Int(axis)) => Ok(Value::Int(axis)),
            (ArgType::Axis, Value::Dims(dims)) if dims.len() == 1 => Ok(Value::Dims(dims)),
            (ArgType::OptionalDims | ArgType::OptionalFloats, Value::None) => Ok(Value::None),
            (ArgType::OptionalFloats, Value::Float(x)) if x.is_finite() => Ok(Value::Float(x)),
            (ArgType::OptionalFloats, Value::Int(x)) => Ok(Value::Float(x as f64)),
            (ArgType::OptionalFloats, Value::Floats(xs)) if xs.iter().all(|x| x.is_finite()) => {
                Ok(Value::Floats(xs))
            }
            (ArgType::OptionalFloats, Value::Dims(dims)) => Ok(Value::Floats(
                dims.iter().map(|&d| d as f64).collect::<Vec<_>>().into(),
            )),
            (_, value) => Err(error(format!(
                "`{}` takes {}, and it is given {value}",
                self.name,
                self.expects()
            ))),
        }
    }
}

/// The complete arguments of `owner` (a class name, for messages) from those `given` by
/// position in `args`' order, each checked and the others at their defaults.
pub(crate) fn check_arguments(
    owner: &str,
    args: &'static [ArgSpec],
    given: Vec<Option<Value>>,
) -> Result<Vec<Value>, ArgError> {
    let mut values = Vec::with_capacity(args.len());
    for (index, arg) in args.iter().enumerate() {
        match given.get(index).cloned().flatten() {
            Some(value) => values.push(arg.check(value)?),
            None if arg.required() => {
                return Err(ArgError {
                    arg: arg.name,
                    message: format!(
                        "`{owner}` needs `{}`: {}, {}",
                        arg.name,
                        arg.doc,
                        arg.expects()
                    ),
                })
            }
            None => values.push(arg.default.clone()),
        }
    }
    Ok(values)
}

impl Value {
    /// The number, for a [`Value::Float`] or [`Value::Int`].
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(x) => Some(x),
            Value::Int(x) => Some(x as f64),
            _ => None,
        }
    }

    /// The whole number, for a [`Value::Int`].
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(x) => Some(x),
            _ => None,
        }
    }

    /// The truth value, for a [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The numbers, for a [`Value::Floats`].
    pub fn as_floats(&self) -> Option<&[f64]> {
        match self {
            Value::Floats(xs) => Some(xs),
            _ => None,
        }
    }

    /// The dimensions, for a [`Value::Dims`].
    pub fn as_dims(&self) -> Option<&[i64]> {
        match self {
            Value::Dims(dims) => Some(dims),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

/// The `f64` that prints as the `f32` does: `0.2f32` is `0.2`, as Keras's config writes it.
impl From<f32> for Value {
    fn from(x: f32) -> Self {
        Value::Float(x.to_string().parse().unwrap_or(x as f64))
    }
}

impl From<i64> for Value {
    fn from(x: i64) -> Self {
        Value::Int(x)
    }
}

impl From<i32> for Value {
    fn from(x: i32) -> Self {
        Value::Int(x.into())
    }
}

impl<const N: usize> From<[i64; N]> for Value {
    fn from(dims: [i64; N]) -> Self {
        Value::Dims(dims.to_vec().into())
    }
}

impl<const N: usize> From<[f64; N]> for Value {
    fn from(xs: [f64; N]) -> Self {
        Value::Floats(xs.to_vec().into())
    }
}

impl From<Vec<f64>> for Value {
    fn from(xs: Vec<f64>) -> Self {
        Value::Floats(xs.into())
    }
}

impl From<&[i64]> for Value {
    fn from(dims: &[i64]) -> Self {
        Value::Dims(dims.to_vec().into())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::None, Into::into)
    }
}

/// The value as a `model!` declaration writes it: `0.2`, `None`, `(7, 4)`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => write!(f, "{x:.1}"),
            // A value an `f32` holds exactly (tf-keras's configs widen them) prints as that
            // `f32`: the number the layer computes with, written as short as it goes.
            Value::Float(x) if (*x as f32) as f64 == *x => write!(f, "{}", *x as f32),
            Value::Float(x) => write!(f, "{x}"),
            Value::Int(x) => write!(f, "{x}"),
            Value::Dims(dims) => {
                let listed: Vec<String> = dims.iter().map(i64::to_string).collect();
                match listed.as_slice() {
                    [one] => write!(f, "({one},)"),
                    _ => write!(f, "({})", listed.join(", ")),
                }
            }
            Value::Floats(xs) => {
                let listed: Vec<String> = xs.iter().map(|&x| Value::Float(x).to_string()).collect();
                write!(f, "[{}]", listed.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slope() -> ArgSpec {
        ArgSpec {
            name: "negative_slope",
            ty: ArgType::Float { min: Some(0.0) },
            default: Value::Float(0.3),
            keras2_name: None,
            doc: "",
        }
    }

    #[test]
    fn numbers_are_checked_against_their_rule() {
        assert_eq!(slope().check(Value::Int(1)), Ok(Value::Float(1.0)));
        let error = slope().check(Value::Float(-0.5)).unwrap_err();
        assert_eq!(
            error.message,
            "`negative_slope` is -0.5, and it must be at least 0"
        );
        let error = slope().check(Value::Dims(vec![1].into())).unwrap_err();
        assert_eq!(
            error.message,
            "`negative_slope` takes a number, and it is given (1,)"
        );
        assert!(slope().check(Value::Float(f64::NAN)).is_err());
        assert!(!slope().required());
    }

    #[test]
    fn values_print_as_declarations_write_them() {
        assert_eq!(Value::Float(2.0).to_string(), "2.0");
        // 1/255 as an f32 (as tf-keras writes it), and as an f64.
        assert_eq!(
            Value::Float(0.003921568859368563).to_string(),
            "0.003921569"
        );
        assert_eq!(Value::Float(1.0 / 255.0).to_string(), "0.00392156862745098");
        assert_eq!(Value::Dims(vec![7, -1].into()).to_string(), "(7, -1)");
        assert_eq!(
            Value::Floats(vec![1.0, -0.25].into()).to_string(),
            "[1.0, -0.25]"
        );
        assert_eq!(Value::None.to_string(), "None");
        assert_eq!(Value::from(0.2f32), Value::Float(0.2));
        assert_eq!(Value::from(None::<f64>), Value::None);
    }
}
