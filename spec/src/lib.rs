//! The one description of each layer kind densely describes by data, and of each loss: its
//! Keras names, the name a `model!` declaration writes, its arguments with their types,
//! defaults and rules, and how its output shape follows from its sources.
//!
//! The `model!` macro reads this crate to parse and check a declaration; the runtime reads
//! it to build models at run time, to read and write Keras configs, and to print summaries,
//! plots and declarations. A new layer kind is one entry in [`KINDS`] and its math in the
//! runtime's `layers::ops`.
//!
//! ```
//! use densely_spec::{OpKind, Source, Value};
//!
//! let spec = OpKind::from_class("Reshape").unwrap().spec();
//! let args = spec.arguments(vec![Some(Value::Dims(vec![4, -1].into()))])?;
//! let shape = spec.output_shape("`r`", &args, &[Source { name: "x", shape: &[12] }]);
//! assert_eq!(shape, Ok(vec![4, 3]));
//! # Ok::<(), densely_spec::ArgError>(())
//! ```

mod kinds;
mod losses;
mod rules;
mod value;

pub use kinds::{
    KindSpec, OpKind, Presence, Role, Source, SpecError, WeightShape, WeightSpec, KINDS,
};
pub use losses::{LossKind, LossSpec, Targets, LOSSES};
pub use rules::{rule_argument, RuleKind, RuleRole, RuleSpec, WeightRule, WeightRules, RULES};
pub use value::{ArgError, ArgSpec, ArgType, Value};
