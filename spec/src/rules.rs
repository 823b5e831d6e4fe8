//! Keras's rules on a layer's weights, one entry each: the regularizers, whose penalty is
//! added to the loss, and the constraints, applied to the weights after each update.

use std::borrow::Cow;

use crate::value::{check_arguments, ArgError, ArgSpec, ArgType, Value};

/// A regularizer or a constraint Keras has and densely computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// Keras's `L1(l1=0.01)`: `l1 Σ |w|`.
    L1,
    /// Keras's `L2(l2=0.01)`: `l2 Σ w²`.
    L2,
    /// Keras's `L1L2(l1=0.0, l2=0.0)`: both.
    L1L2,
    /// Keras's `MaxNorm(max_value=2, axis=0)`: each unit's weights scaled to a norm of at
    /// most `max_value`.
    MaxNorm,
    /// Keras's `NonNeg()`: negative weights set to 0.
    NonNeg,
    /// Keras's `UnitNorm(axis=0)`: each unit's weights scaled to norm 1.
    UnitNorm,
    /// Keras's `MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)`: each unit's
    /// norm moved `rate` of the way into `[min_value, max_value]`.
    MinMaxNorm,
}

/// Which argument of a layer a rule is given as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleRole {
    /// `kernel_regularizer = ...`: a penalty added to the loss.
    Regularizer,
    /// `kernel_constraint = ...`: a projection after each update.
    Constraint,
}

/// The one description of a rule.
#[derive(Debug)]
pub struct RuleSpec {
    /// The rule.
    pub kind: RuleKind,
    /// A regularizer or a constraint.
    pub role: RuleRole,
    /// Keras's class name, as configs write it: `L2`, `MaxNorm`.
    pub class: &'static str,
    /// The other names Keras knows it by (`l2`, `max_norm`); the first is what a
    /// declaration writes.
    pub names: &'static [&'static str],
    /// Its arguments, in Keras's positional order.
    pub args: &'static [ArgSpec],
    /// What it does, in a line.
    pub doc: &'static str,
}

const fn number(name: &'static str, default: f64, doc: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        ty: ArgType::Float { min: Some(0.0) },
        default: Value::Float(default),
        keras2_name: None,
        doc,
    }
}

const AXIS: ArgSpec = ArgSpec {
    name: "axis",
    ty: ArgType::Int { allowed: &[0] },
    default: Value::Int(0),
    keras2_name: None,
    doc: "the axis the norms are taken along: 0, each unit's incoming weights",
};

/// Every rule, in [`RuleKind`]'s order.
pub static RULES: [RuleSpec; 7] = [
    RuleSpec {
        kind: RuleKind::L1,
        role: RuleRole::Regularizer,
        class: "L1",
        names: &["l1"],
        args: &[number("l1", 0.01, "the factor of Σ |w|")],
        doc: "adds l1 Σ |w| to the loss",
    },
    RuleSpec {
        kind: RuleKind::L2,
        role: RuleRole::Regularizer,
        class: "L2",
        names: &["l2"],
        args: &[number("l2", 0.01, "the factor of Σ w²")],
        doc: "adds l2 Σ w² to the loss",
    },
    RuleSpec {
        kind: RuleKind::L1L2,
        role: RuleRole::Regularizer,
        class: "L1L2",
        names: &["l1_l2", "l1l2"],
        args: &[
            number("l1", 0.0, "the factor of Σ |w|"),
            number("l2", 0.0, "the factor of Σ w²"),
        ],
        doc: "adds l1 Σ |w| + l2 Σ w² to the loss",
    },
    RuleSpec {
        kind: RuleKind::MaxNorm,
        role: RuleRole::Constraint,
        class: "MaxNorm",
        names: &["max_norm"],
        args: &[number("max_value", 2.0, "the largest norm"), AXIS],
        doc: "scales each unit's weights to a norm of at most max_value",
    },
    RuleSpec {
        kind: RuleKind::NonNeg,
        role: RuleRole::Constraint,
        class: "NonNeg",
        names: &["non_neg"],
        args: &[],
        doc: "sets negative weights to 0",
    },
    RuleSpec {
        kind: RuleKind::UnitNorm,
        role: RuleRole::Constraint,
        class: "UnitNorm",
        names: &["unit_norm"],
        args: &[AXIS],
        doc: "scales each unit's weights to norm 1",
    },
    RuleSpec {
        kind: RuleKind::MinMaxNorm,
        role: RuleRole::Constraint,
        class: "MinMaxNorm",
        names: &["min_max_norm"],
        args: &[
            number("min_value", 0.0, "the smallest norm"),
            number("max_value", 1.0, "the largest norm"),
            number("rate", 1.0, "how far each norm moves into the range"),
            AXIS,
        ],
        doc: "moves each unit's norm rate of the way into [min_value, max_value]",
    },
];

impl RuleKind {
    /// The rule's description.
    pub fn spec(self) -> &'static RuleSpec {
        &RULES[self as usize]
    }

    /// The rule of `role` that Keras calls `name` (its class or another name).
    pub fn from_name(role: RuleRole, name: &str) -> Option<RuleKind> {
        RULES
            .iter()
            .find(|spec| spec.role == role && (spec.class == name || spec.names.contains(&name)))
            .map(|spec| spec.kind)
    }

    /// Every name of a rule of `role`, as a declaration may write it.
    pub fn names(role: RuleRole) -> impl Iterator<Item = &'static str> {
        RULES
            .iter()
            .filter(move |spec| spec.role == role)
            .flat_map(|spec| spec.names.iter().copied().chain([spec.class]))
    }
}

/// A rule with its arguments: every argument of its kind, checked, in its spec's order.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightRule {
    /// The rule.
    pub kind: RuleKind,
    /// Its arguments.
    pub args: Cow<'static, [Value]>,
}

impl WeightRule {
    /// The rule `kind` with the arguments `given` by position, each checked and the others
    /// at Keras's defaults.
    pub fn new(kind: RuleKind, given: Vec<Option<Value>>) -> Result<WeightRule, ArgError> {
        let spec = kind.spec();
        let args = check_arguments(spec.class, spec.args, given)?;
        Ok(WeightRule {
            kind,
            args: Cow::Owned(args),
        })
    }

    /// Argument `name` as a number (0 when the rule doesn't take it).
    pub fn number(&self, name: &str) -> f64 {
        self.kind
            .spec()
            .args
            .iter()
            .position(|arg| arg.name == name)
            .and_then(|index| self.args.get(index))
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    }
}

/// The rule as a declaration writes it: `l2(0.01)`, `max_norm(max_value = 3.0)`, `non_neg()`.
impl std::fmt::Display for WeightRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let spec = self.kind.spec();
        let given: Vec<String> = spec
            .args
            .iter()
            .zip(self.args.iter())
            .filter(|(arg, value)| arg.default != **value)
            .map(|(arg, value)| format!("{} = {value}", arg.name))
            .collect();
        write!(f, "{}({})", spec.names[0], given.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_found_by_every_name_and_print_as_declared() {
        for spec in &RULES {
            assert_eq!(spec.kind.spec().kind, spec.kind);
            for name in spec.names.iter().chain([&spec.class]) {
                assert_eq!(RuleKind::from_name(spec.role, name), Some(spec.kind));
            }
        }
        assert_eq!(RuleKind::from_name(RuleRole::Constraint, "l2"), None);
        let l2 = WeightRule::new(RuleKind::L2, vec![Some(Value::Float(0.5))]).unwrap();
        assert_eq!(l2.number("l2"), 0.5);
        assert_eq!(l2.to_string(), "l2(l2 = 0.5)");
        let norm = WeightRule::new(RuleKind::MaxNorm, vec![]).unwrap();
        assert_eq!(norm.to_string(), "max_norm()");
        assert!(WeightRule::new(RuleKind::MaxNorm, vec![None, Some(Value::Int(1))]).is_err());
    }
}

/// The rules on a layer's weights, each under the Keras argument that gives it
/// (`kernel_regularizer`, `bias_constraint`): `<weight>_regularizer` or `<weight>_constraint`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightRules(pub Cow<'static, [(Cow<'static, str>, WeightRule)]>);

impl WeightRules {
    /// No rules.
    pub const NONE: WeightRules = WeightRules(Cow::Borrowed(&[]));

    /// The Keras argument that gives the rule of `role` on weight `weight`.
    pub fn argument(weight: &str, role: RuleRole) -> String {
        match role {
            RuleRole::Regularizer => format!("{weight}_regularizer"),
            RuleRole::Constraint => format!("{weight}_constraint"),
        }
    }

    /// The rule of `role` on weight `weight`, if given.
    pub fn get(&self, weight: &str, role: RuleRole) -> Option<&WeightRule> {
        let argument = Self::argument(weight, role);
        self.0
            .iter()
            .find(|(name, _)| *name == argument)
            .map(|(_, rule)| rule)
    }

    /// Sets the rule under Keras argument `argument`, replacing one given before.
    pub fn set(&mut self, argument: &str, rule: WeightRule) {
        let rules = self.0.to_mut();
        rules.retain(|(name, _)| name != argument);
        rules.push((Cow::Owned(argument.to_owned()), rule));
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each rule under its argument.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &WeightRule)> {
        self.0.iter().map(|(name, rule)| (&name[..], rule))
    }
}

/// The role and weight an argument such as `kernel_regularizer` names, for a layer whose
/// weights are `weights`.
pub fn rule_argument<'a>(argument: &str, weights: &[&'a str]) -> Option<(&'a str, RuleRole)> {
    let (weight, role) = if let Some(weight) = argument.strip_suffix("_regularizer") {
        (weight, RuleRole::Regularizer)
    } else {
        (argument.strip_suffix("_constraint")?, RuleRole::Constraint)
    };
    weights.iter().find(|w| **w == weight).map(|w| (*w, role))
}
