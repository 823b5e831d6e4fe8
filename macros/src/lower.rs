//! From syntax to graph: resolves names, layers and arguments, and computes every shape.
//!
//! Errors are recorded in the [`Ctxt`] and lowering goes on, so one declaration reports all
//! of its mistakes; a node whose shape can't be known gets `None`, which later rules skip
//! instead of reporting a cascade.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit};

use densely_spec::{
    rule_argument, ArgSpec, ArgType, LossKind, OpKind, RuleKind, RuleRole, Source, SpecError,
    Value, WeightRule, LOSSES,
};

use crate::catalog::{self, ACTIVATIONS, INITIALIZERS};
use crate::ctxt::Ctxt;
use crate::ir::{Kind, LossDecl, Model, Node, Output};
use crate::parse::{Arg, InputDecl, LayerCall, ModelDecl, NamedArg, NodeDecl, Statement};
use crate::values::{bool_value, checked_product, float_value, ident_of, name_value, size_value};

/// Lowers a declaration into its graph, recording every error in `ctxt`.
pub fn lower(decl: &ModelDecl, ctxt: &mut Ctxt) -> Model {
    let mut lowering = Lowering {
        decl,
        ctxt,
        declared_at: HashMap::new(),
        model: Model {
            attrs: decl.attrs.clone(),
            vis: decl.vis.clone(),
            ident: decl.ident.clone(),
            nodes: Vec::new(),
            outputs: Vec::new(),
        },
    };
    lowering.collect_names();
    for (index, statement) in decl.statements.iter().enumerate() {
        let node = match statement {
            Statement::Input(input) => lowering.input(input),
            Statement::Broken {
                name,
                input,
                output,
            } => lowering.broken(index, name, *input, output.is_some()),
            Statement::Node(node) => lowering.node(index, node),
        };
        lowering.model.nodes.push(node);
    }
    lowering.model
}

struct Lowering<'a> {
    decl: &'a ModelDecl,
    ctxt: &'a mut Ctxt,
    /// The statement that first declares each name.
    declared_at: HashMap<String, usize>,
    model: Model,
}

impl Lowering<'_> {
    /// Records each name's first declaration and reports the names declared twice.
    fn collect_names(&mut self) {
        for (index, statement) in self.decl.statements.iter().enumerate() {
            let name = statement.name();
            match self.declared_at.entry(name.to_string()) {
                Entry::Occupied(_) => self.ctxt.error_at(
                    name,
                    format!(
                        "`{name}` is already declared; every input and layer needs its own name"
                    ),
                ),
                Entry::Vacant(slot) => {
                    slot.insert(index);
                }
            }
        }
    }

    /// A statement whose syntax error is reported: a node of unknown shape under its name.
    fn broken(&mut self, index: usize, name: &Ident, input: bool, output: bool) -> Node {
        let kind = if input { Kind::Input } else { Kind::Invalid };
        let mut node = Node::new(name.clone(), kind);
        if output {
            node.output = Some(self.model.outputs.len());
            self.model.outputs.push(Output {
                node: index,
                loss: None,
                loss_span: name.span(),
                weight: 1.0,
                weight_span: name.span(),
            });
        }
        node
    }

    fn input(&mut self, input: &InputDecl) -> Node {
        let mut dims = Vec::new();
        let mut valid = true;
        if input.dims.is_empty() {
            self.ctxt.error_span(
                input.bracket.span.join(),
                format!(
                    "input `{}` has an empty shape; give the shape of one sample, like `[28, 28]`",
                    input.name
                ),
            );
            valid = false;
        }
        if input.dims.len() > 4 {
            self.ctxt.error_span(
                input.bracket.span.join(),
                format!(
                    "input `{}` has {} dimensions; densely supports at most 4",
                    input.name,
                    input.dims.len()
                ),
            );
            valid = false;
        }
        for dim in &input.dims {
            match size_value(dim, "a dimension") {
                Ok(0) => {
                    self.ctxt.error_at(
                        dim,
                        format!("input `{}` has a zero-sized dimension", input.name),
                    );
                    valid = false;
                }
                Ok(value) => dims.push(value),
                Err(message) => {
                    self.ctxt.error_at(dim, message);
                    valid = false;
                }
            }
        }
        if valid && checked_product(&dims).is_none() {
            self.ctxt.error_span(
                input.bracket.span.join(),
                format!(
                    "input `{}` of shape {dims:?} holds more values per sample than `usize` can count",
                    input.name
                ),
            );
            valid = false;
        }
        let mut node = Node::new(input.name.clone(), Kind::Input);
        node.shape = valid.then_some(dims);
        for option in &input.options {
            if option.name == "name" {
                if let Some(name) = self.keras_name(&option.value) {
                    node.keras_name = name;
                }
            } else {
                self.ctxt.error_at(
                    &option.name,
                    format!(
                        "unknown option `{}` of an input; an input takes only `name = \"...\"`",
                        option.name
                    ),
                );
            }
        }
        node
    }

    fn node(&mut self, index: usize, decl: &NodeDecl) -> Node {
        if decl.call.layer == "Input" || decl.call.layer == "InputLayer" {
            let shape = decl
                .call
                .groups
                .first()
                .and_then(|group| {
                    group.args.iter().find_map(|arg| match arg {
                        Arg::Named(named) if named.name == "shape" => {
                            Some(named.value.to_token_stream().to_string().replace(" ,", ","))
                        }
                        _ => None,
                    })
                })
                .unwrap_or_else(|| "[784]".to_owned());
            self.ctxt.error_at(
                &decl.call.layer,
                format!(
                    "`{}` is how Keras declares an input; in `model!`, write `input {}: {shape};`, the shape of one sample",
                    decl.call.layer, decl.name
                ),
            );
            // An input of unknown shape, so that nothing reading it reports more.
            return self.broken(index, &decl.name, true, false);
        }
        let (kind, explicit_sources) = self.layer(&decl.call);
        let sources = match explicit_sources {
            Some((exprs, mut complete)) => {
                let mut sources = Vec::new();
                for expr in exprs {
                    match self.resolve_source(index, expr) {
                        Some(source) => sources.push(source),
                        None => complete = false,
                    }
                }
                // A layer missing one of its sources gets none, so that no later rule reports
                // what merely follows from the missing edge (its sources as unused, say).
                if complete {
                    sources
                } else {
                    Vec::new()
                }
            }
            None => self.implicit_source(index, decl),
        };
        let shape = self.shape(decl, &kind, &sources);
        let mut node = Node::new(decl.name.clone(), kind);
        node.shape = shape;
        node.sources = sources;
        if let Some(value) = layer_argument(&decl.call, "trainable") {
            node.trainable = self.trainable(value);
        }
        if let Some(value) = layer_argument(&decl.call, "name") {
            if let Some(name) = self.keras_name(value) {
                node.keras_name = name;
            }
        }
        self.options(index, decl, &mut node);
        node
    }

    /// The layer's kind and, when written, its sources (and whether they were written right).
    fn layer<'c>(&mut self, call: &'c LayerCall) -> (Kind, Option<(Vec<&'c Expr>, bool)>) {
        let name = call.layer.to_string();
        let is_merge = call.is_merge();
        let (args, sources) = if is_merge {
            (None, call.groups.first())
        } else {
            (call.groups.first(), call.groups.get(1))
        };
        let extra = if is_merge { 1 } else { 2 };
        if let Some(group) = call.groups.get(extra) {
            self.ctxt.error_span(
                group.paren.span.join(),
                format!(
                    "unexpected arguments: `{name}` takes {}",
                    if is_merge {
                        "its sources only: `concatenate(a, b)`"
                    } else {
                        "its arguments, then its sources: `Dense(10)(source)`"
                    }
                ),
            );
        }
        if let Some(swapped) = self.swapped_groups(call, is_merge) {
            return (Kind::Invalid, Some((swapped, true)));
        }
        let mut sources = sources.map(|group| {
            let mut complete = true;
            let mut exprs = Vec::new();
            for arg in &group.args {
                match arg {
                    Arg::Positional(expr) => exprs.push(expr),
                    Arg::Named(named) => {
                        self.ctxt.error_at(
                            &named.name,
                            "sources are names of earlier nodes, without `=`",
                        );
                        complete = false;
                    }
                }
            }
            if group.args.is_empty() {
                self.ctxt.error_span(
                    group.paren.span.join(),
                    if is_merge {
                        format!("`{name}` needs at least two sources: `{name}(a, b)`")
                    } else {
                        format!("no source between the parentheses; name the node `{name}` reads, or leave them out to read the node above")
                    },
                );
                complete = false;
            }
            if let (false, Some(extra)) = (is_merge, exprs.get(1)) {
                self.ctxt.error_at(
                    extra,
                    format!("`{name}` reads one source; to combine several, join them first: `concatenate(a, b)`"),
                );
                complete = false;
            }
            (exprs, complete)
        });
        let (positional, mut named) = split_args(args.map(|group| &group.args));
        // `name = "..."` among the arguments, as Keras writes it, is the node's (see `node`).
        // So is `trainable = false`.
        named.retain(|arg| arg.name != "name" && arg.name != "trainable");
        let kind = match name.as_str() {
            "Dense" => self.dense(call, &positional, &named),
            "Flatten" => {
                self.no_args(call, &positional, &named);
                // `Flatten(x)` was said to mean `Flatten()(x)`: read `x`, so that a model
                // of several inputs doesn't also report a missing source.
                if let ([expr], None) = (positional.as_slice(), &sources) {
                    let declared = ident_of(expr)
                        .is_some_and(|name| self.declared_at.contains_key(&name.to_string()));
                    if declared {
                        sources = Some((vec![*expr], true));
                    }
                }
                Kind::Flatten
            }
            "Dropout" => self.dropout(call, &positional, &named),
            "Activation" => self.activation_layer(call, &positional, &named),
            "concatenate" => Kind::Concatenate,
            "add" => Kind::Add,
            other => match OpKind::from_dsl(other) {
                Some(kind) => self.described(kind, call, &positional, &named),
                None => {
                    self.ctxt.error_at(
                        &call.layer,
                        format!(
                            "unknown layer `{name}`{}",
                            catalog::suggestion(&name, catalog::layer_names())
                        ),
                    );
                    Kind::Invalid
                }
            },
        };
        (kind, sources)
    }

    /// `Dense(deep_input)(30, relu)`: Keras's functional call order, sources first. Reported
    /// once, with the order `model!` reads; the sources are kept so nothing else is reported.
    fn swapped_groups<'c>(&mut self, call: &'c LayerCall, is_merge: bool) -> Option<Vec<&'c Expr>> {
        // Only the layers whose arguments are numbers: `Activation(name)` may name both a
        // node and an activation, and `Flatten(x)` has its own message.
        let numeric = call.layer == "Dense" || call.layer == "Dropout";
        let first = call.groups.first().filter(|_| numeric && !is_merge)?;
        let names: Vec<&Expr> = first
            .args
            .iter()
            .filter_map(|arg| match arg {
                Arg::Positional(expr) => ident_of(expr)
                    .filter(|name| self.declared_at.contains_key(&name.to_string()))
                    .map(|_| expr),
                Arg::Named(_) => None,
            })
            .collect();
        if names.is_empty() || names.len() != first.args.len() {
            return None;
        }
        let text = |group: &crate::parse::ParenGroup| {
            group
                .args
                .iter()
                .map(|arg| match arg {
                    Arg::Positional(expr) => expr.to_token_stream().to_string(),
                    Arg::Named(named) => {
                        format!("{} = {}", named.name, named.value.to_token_stream())
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let arguments = call.groups.get(1).map_or_else(|| "...".to_owned(), text);
        self.ctxt.error_span(
            first.paren.span.join(),
            format!(
                "a layer's arguments come first, then its sources: write `{}({arguments})({})`",
                call.layer,
                text(first)
            ),
        );
        Some(names)
    }

    fn dense(&mut self, call: &LayerCall, positional: &[&Expr], named: &[&NamedArg]) -> Kind {
        let mut units = None;
        let mut activation = Some("linear");
        let mut use_bias = true;
        let mut kernel_initializer = Some("glorot_uniform");
        let mut bias_initializer = Some("zeros");
        let mut rules: Vec<(String, WeightRule)> = Vec::new();
        match positional {
            [] => {}
            [u] => units = Some(*u),
            [u, a] => {
                units = Some(*u);
                activation = self.activation_name(a);
            }
            [_, _, extra, ..] => self.ctxt.error_at(
                extra,
                "`Dense` takes at most two positional arguments: units and activation",
            ),
        }
        for arg in named {
            match arg.name.to_string().as_str() {
                "units" => units = Some(&arg.value),
                "activation" => activation = self.activation_name(&arg.value),
                "use_bias" => match bool_value(&arg.value) {
                    Some(value) => use_bias = value,
                    None => self
                        .ctxt
                        .error_at(&arg.value, "`use_bias` takes `true` or `false`"),
                },
                "kernel_initializer" => kernel_initializer = self.initializer(&arg.value),
                "bias_initializer" => bias_initializer = self.initializer(&arg.value),
                other if rule_argument(other, &["kernel", "bias"]).is_some() => {
                    let (_, role) = rule_argument(other, &["kernel", "bias"]).expect("matched");
                    if let Some(rule) = self.rule(role, &arg.value) {
                        rules.push((other.to_owned(), rule));
                    }
                }
                other if catalog::UNSUPPORTED_ARGUMENTS.contains(&other) => self.ctxt.error_at(
                    &arg.name,
                    format!("`{other}` is a Keras argument of `Dense` that densely does not support yet; remove it"),
                ),
                "input_shape" | "input_dim" => self.ctxt.error_at(
                    &arg.name,
                    format!("`{}` is how Keras declares the input; in `model!`, declare it before the layers: `input x: [784];`", arg.name),
                ),
                other => self.ctxt.error_at(
                    &arg.name,
                    format!(
                        "unknown argument `{other}` of `Dense`{}",
                        catalog::suggestion(
                            other,
                            [
                                "units",
                                "activation",
                                "use_bias",
                                "kernel_initializer",
                                "bias_initializer",
                                "kernel_regularizer",
                                "bias_regularizer",
                                "kernel_constraint",
                                "bias_constraint"
                            ]
                        )
                    ),
                ),
            }
        }
        let units = match units {
            None => {
                self.ctxt.error_at(
                    &call.layer,
                    "`Dense` needs its number of units: `Dense(10)`",
                );
                None
            }
            Some(expr) => match size_value(expr, "a number of units") {
                Ok(0) => {
                    self.ctxt.error_at(expr, "`Dense` needs at least one unit");
                    None
                }
                Ok(units) => Some(units),
                Err(message) => {
                    self.ctxt.error_at(expr, message);
                    None
                }
            },
        };
        // A wrong activation or initializer is reported already; the layer keeps its units,
        // and so its shape, so that nothing after it reports a consequence of the same mistake.
        match units {
            Some(units) => Kind::Dense {
                units,
                activation: activation.unwrap_or("linear"),
                use_bias,
                kernel_initializer: kernel_initializer.unwrap_or("glorot_uniform"),
                bias_initializer: bias_initializer.unwrap_or("zeros"),
                rules,
            },
            None => Kind::Invalid,
        }
    }

    /// The arguments of a call written as a value (`l2(0.01)`, `huber(delta = 0.5)`): those
    /// by position, and those by name; `None` when a name isn't one (the error is recorded,
    /// with `example` as what to write).
    fn call_arguments<'e>(
        &mut self,
        call: Option<&'e syn::ExprCall>,
        example: &str,
    ) -> Option<CallArguments<'e>> {
        let mut positional = Vec::new();
        let mut named = Vec::new();
        for arg in call.map(|c| &c.args).into_iter().flatten() {
            match arg {
                Expr::Assign(assign) => match ident_of(&assign.left) {
                    Some(ident) => named.push((ident, &*assign.right)),
                    None => {
                        self.ctxt.error_at(
                            &assign.left,
                            format!("expected an argument's name, like `{example}`"),
                        );
                        return None;
                    }
                },
                other => positional.push(other),
            }
        }
        Some((positional, named))
    }

    /// A regularizer or constraint as a declaration writes it: `l2(0.01)`, `l2`,
    /// `L1L2(l1 = 0.01, l2 = 0.01)`, `max_norm(3.0)`, `non_neg()`.
    fn rule(&mut self, role: RuleRole, expr: &Expr) -> Option<WeightRule> {
        let (name_expr, call) = match expr {
            Expr::Call(call) => (&*call.func, Some(call)),
            _ => (expr, None),
        };
        let what = match role {
            RuleRole::Regularizer => "regularizer",
            RuleRole::Constraint => "constraint",
        };
        let Some(name) = name_value(name_expr) else {
            self.ctxt.error_at(
                expr,
                format!(
                    "expected a {what}, like `{}`",
                    match role {
                        RuleRole::Regularizer => "l2(0.01)",
                        RuleRole::Constraint => "max_norm(3.0)",
                    }
                ),
            );
            return None;
        };
        let Some(kind) = RuleKind::from_name(role, &name) else {
            let other = match role {
                RuleRole::Regularizer => RuleRole::Constraint,
                RuleRole::Constraint => RuleRole::Regularizer,
            };
            let hint = match RuleKind::from_name(other, &name) {
                Some(_) if other == RuleRole::Constraint => {
                    "; it is a constraint: give it as `kernel_constraint = ...`".to_owned()
                }
                Some(_) => {
                    "; it is a regularizer: give it as `kernel_regularizer = ...`".to_owned()
                }
                None => catalog::suggestion(&name, RuleKind::names(role)),
            };
            self.ctxt
                .error_at(name_expr, format!("unknown {what} `{name}`{hint}"));
            return None;
        };
        let spec = kind.spec();
        let (positional, named) = self.call_arguments(call, "l2 = 0.01")?;
        let given = self.arguments(&name, spec.args, &positional, &named, |_| None)?;
        match WeightRule::new(kind, given) {
            Ok(rule) => Some(rule),
            Err(error) => {
                self.ctxt.error_at(expr, error.message);
                None
            }
        }
    }

    /// A layer described in [`densely_spec::KINDS`]: its arguments by position in Keras's
    /// order or by name, each read and checked as its spec says.
    fn described(
        &mut self,
        kind: OpKind,
        call: &LayerCall,
        positional: &[&Expr],
        named: &[&NamedArg],
    ) -> Kind {
        let spec = kind.spec();
        let named: Vec<(&Ident, &Expr)> = named.iter().map(|a| (&a.name, &a.value)).collect();
        let renamed = |name: &str| spec.renamed(name).map(|arg| arg.name);
        let Some(given) = self.arguments(spec.dsl, spec.args, positional, &named, renamed) else {
            return Kind::Invalid;
        };
        match spec.arguments(given) {
            Ok(args) => Kind::Op { kind, args },
            Err(error) => {
                self.ctxt.error_at(&call.layer, error.message);
                Kind::Invalid
            }
        }
    }

    /// The arguments of `owner` (as a declaration names it) given by position in `args`'
    /// order or by name, each read and checked; `None` when any is wrong (the errors are
    /// recorded under the offending tokens). `renamed` names the argument tf-keras calls
    /// otherwise.
    fn arguments(
        &mut self,
        owner: &str,
        args: &'static [ArgSpec],
        positional: &[&Expr],
        named: &[(&Ident, &Expr)],
        renamed: impl Fn(&str) -> Option<&'static str>,
    ) -> Option<Vec<Option<Value>>> {
        let mut given: Vec<Option<Value>> = vec![None; args.len()];
        let mut exprs: Vec<Option<&Expr>> = vec![None; args.len()];
        let mut valid = true;
        for (index, expr) in positional.iter().enumerate() {
            if index >= args.len() {
                let names: Vec<&str> = args.iter().map(|a| a.name).collect();
                self.ctxt.error_at(
                    expr,
                    if names.is_empty() {
                        format!("`{owner}` takes no arguments")
                    } else {
                        format!(
                            "`{owner}` takes at most {} positional argument{}: {}",
                            names.len(),
                            if names.len() == 1 { "" } else { "s" },
                            names.join(", ")
                        )
                    },
                );
                valid = false;
                break;
            }
            exprs[index] = Some(expr);
        }
        for &(ident, value) in named {
            let name = ident.to_string();
            match args.iter().position(|a| a.name == name) {
                Some(index) => exprs[index] = Some(value),
                None => {
                    let hint = match renamed(&name) {
                        Some(renamed) => format!(
                            "; `{name}` is tf-keras's name of `{renamed}`: write `{renamed} = ...`"
                        ),
                        None if args.is_empty() => "; it takes none".to_owned(),
                        None => catalog::suggestion(&name, args.iter().map(|a| a.name)),
                    };
                    self.ctxt.error_at(
                        ident,
                        format!("unknown argument `{name}` of `{owner}`{hint}"),
                    );
                    valid = false;
                }
            }
        }
        for (index, expr) in exprs.iter().enumerate() {
            let Some(expr) = expr else { continue };
            let arg = &args[index];
            match arg_value(arg.ty, expr).map(|value| arg.check(value)) {
                Some(Ok(value)) => given[index] = Some(value),
                Some(Err(error)) => {
                    self.ctxt.error_at(expr, error.message);
                    valid = false;
                }
                None => {
                    self.ctxt
                        .error_at(expr, format!("`{}` takes {}", arg.name, arg.expects()));
                    valid = false;
                }
            }
        }
        valid.then_some(given)
    }

    fn dropout(&mut self, call: &LayerCall, positional: &[&Expr], named: &[&NamedArg]) -> Kind {
        let rate = match (positional, named) {
            ([rate], []) => Some(*rate),
            ([], [arg]) if arg.name == "rate" => Some(&arg.value),
            _ => None,
        };
        let Some(rate) = rate else {
            self.ctxt.error_at(
                &call.layer,
                "`Dropout` takes one argument, its rate: `Dropout(0.2)`",
            );
            return Kind::Invalid;
        };
        // Checked as the `f32` the runtime gets: 0.99999999999 rounds to 1.
        match float_value(rate) {
            Some(value) if (0.0..1.0).contains(&(value as f32)) => Kind::Dropout { rate: value },
            _ => {
                self.ctxt
                    .error_at(rate, "the dropout rate must be a number in [0, 1)");
                Kind::Invalid
            }
        }
    }

    fn activation_layer(
        &mut self,
        call: &LayerCall,
        positional: &[&Expr],
        named: &[&NamedArg],
    ) -> Kind {
        let name = match (positional, named) {
            ([name], []) => Some(*name),
            ([], [arg]) if arg.name == "activation" => Some(&arg.value),
            _ => None,
        };
        let Some(name) = name else {
            self.ctxt.error_at(
                &call.layer,
                "`Activation` takes one argument, the activation: `Activation(relu)`",
            );
            return Kind::Invalid;
        };
        match self.activation_name(name) {
            Some(activation) => Kind::Activation { activation },
            None => Kind::Invalid,
        }
    }

    fn no_args(&mut self, call: &LayerCall, positional: &[&Expr], named: &[&NamedArg]) {
        if let Some(first) = positional.first() {
            self.ctxt.error_at(
                first,
                format!(
                    "`{}` takes no arguments; to apply it to `{}`, write `{}()({})`",
                    call.layer,
                    first.to_token_stream(),
                    call.layer,
                    first.to_token_stream()
                ),
            );
        } else if let Some(arg) = named.first() {
            self.ctxt
                .error_at(&arg.name, format!("`{}` takes no arguments", call.layer));
        }
    }

    fn activation_name(&mut self, expr: &Expr) -> Option<&'static str> {
        self.named_value(expr, "activation", &mut catalog::names(ACTIVATIONS))
    }

    fn initializer(&mut self, expr: &Expr) -> Option<&'static str> {
        self.named_value(expr, "initializer", &mut catalog::names(INITIALIZERS))
    }

    /// Reads a name (`relu` or `"relu"`) that must be one of `known`.
    fn named_value(
        &mut self,
        expr: &Expr,
        what: &str,
        known: &mut dyn Iterator<Item = &'static str>,
    ) -> Option<&'static str> {
        let known: Vec<&'static str> = known.collect();
        let Some(name) = name_value(expr) else {
            self.ctxt.error_at(
                expr,
                format!("expected the name of an {what}, like `{}`", known[0]),
            );
            return None;
        };
        let found = known.iter().copied().find(|k| *k == name);
        if found.is_none() {
            self.ctxt.error_at(
                expr,
                format!(
                    "unknown {what} `{name}`{}",
                    catalog::suggestion(&name, known)
                ),
            );
        }
        found
    }

    /// Whether statement `from` reads statement `target`, directly or through others.
    fn reads(&self, from: usize, target: usize) -> bool {
        let mut stack = vec![from];
        let mut seen = vec![false; self.decl.statements.len()];
        while let Some(at) = stack.pop() {
            if at == target {
                return true;
            }
            if std::mem::replace(&mut seen[at], true) {
                continue;
            }
            let Statement::Node(node) = &self.decl.statements[at] else {
                continue;
            };
            match source_group(&node.call) {
                Some(group) => stack.extend(group.args.iter().filter_map(|arg| {
                    match arg {
                        Arg::Positional(expr) => ident_of(expr)
                            .and_then(|name| self.declared_at.get(&name.to_string()).copied()),
                        Arg::Named(_) => None,
                    }
                })),
                None => stack.extend(at.checked_sub(1)),
            }
        }
        false
    }

    fn resolve_source(&mut self, index: usize, source: &Expr) -> Option<usize> {
        if let Expr::Array(array) = source {
            self.ctxt.error_at(
                source,
                format!(
                    "sources are written without brackets: `({})`",
                    array.elems.to_token_stream().to_string().replace(" ,", ",")
                ),
            );
            return None;
        }
        let Some(name) = ident_of(source) else {
            self.ctxt
                .error_at(source, "expected the name of an earlier input or layer");
            return None;
        };
        match self.declared_at.get(&name.to_string()) {
            Some(&at) if at < index => Some(at),
            Some(&at) if at == index => {
                self.ctxt
                    .error_at(name, format!("`{name}` cannot read itself"));
                None
            }
            Some(&at) if self.reads(at, index) => {
                self.ctxt.error_at(
                    name,
                    format!(
                        "`{name}` reads `{}`, which reads `{name}`: a model is a graph without cycles; one of them must read an earlier node",
                        self.decl.statements[index].name()
                    ),
                );
                None
            }
            Some(_) => {
                self.ctxt.error_at(
                    name,
                    format!("`{name}` is used before it is declared; declare it above this line"),
                );
                None
            }
            None => {
                let earlier = self.decl.statements[..index]
                    .iter()
                    .map(|s| s.name().to_string())
                    .collect::<Vec<_>>();
                self.ctxt.error_at(
                    name,
                    format!(
                        "unknown source `{name}`{}",
                        catalog::suggestion(&name.to_string(), earlier.iter().map(String::as_str))
                    ),
                );
                None
            }
        }
    }

    /// The node just before, when that is unambiguous.
    fn implicit_source(&mut self, index: usize, decl: &NodeDecl) -> Vec<usize> {
        let layer = &decl.call.layer;
        if decl.call.is_merge() {
            self.ctxt.error_at(
                layer,
                format!("`{layer}` needs its sources: `{layer}(a, b)`"),
            );
            return Vec::new();
        }
        let Some(previous) = index.checked_sub(1) else {
            self.ctxt.error_at(
                &decl.name,
                format!(
                    "`{}` has no source: nothing is declared before it; declare an `input` first",
                    decl.name
                ),
            );
            return Vec::new();
        };
        let inputs: Vec<&Ident> = self
            .decl
            .statements
            .iter()
            .filter_map(|s| match s {
                Statement::Input(input) => Some(&input.name),
                Statement::Broken {
                    name, input: true, ..
                } => Some(name),
                Statement::Node(_) | Statement::Broken { .. } => None,
            })
            .collect();
        if matches!(self.decl.statements[previous], Statement::Input(_)) && inputs.len() > 1 {
            let names = inputs
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.ctxt.error_at(
                layer,
                format!(
                    "`{}` has no source and the model has several inputs ({names}); name the one it reads: `{}(...)({})`",
                    decl.name,
                    layer,
                    self.decl.statements[previous].name()
                ),
            );
            return Vec::new();
        }
        vec![previous]
    }

    /// The node's output shape, reporting sources that don't fit the layer.
    fn shape(&mut self, decl: &NodeDecl, kind: &Kind, sources: &[usize]) -> Option<Vec<usize>> {
        let shapes: Vec<&Vec<usize>> = sources
            .iter()
            .map(|&s| self.model.nodes[s].shape.as_ref())
            .collect::<Option<_>>()?;
        let layer = &decl.call.layer;
        let source_name = |i: usize| self.model.nodes[sources[i]].name.to_string();
        match kind {
            Kind::Invalid | Kind::Input => None,
            _ if shapes.is_empty() => None,
            Kind::Dense { units, .. } => {
                if shapes[0].len() != 1 {
                    self.ctxt.error_at(
                        layer,
                        format!(
                            "`Dense` needs a rank-1 input, but `{}` has shape {:?}; put a `Flatten` before it",
                            source_name(0),
                            shapes[0]
                        ),
                    );
                    return None;
                }
                let input = shapes[0][0];
                if input
                    .checked_mul(*units)
                    .and_then(|w| w.checked_add(*units))
                    .is_none()
                {
                    self.ctxt.error_at(
                        layer,
                        format!(
                            "`Dense({units})` on the {input} values of `{}` has more parameters than `usize` can count",
                            source_name(0)
                        ),
                    );
                    return None;
                }
                Some(vec![*units])
            }
            Kind::Flatten => Some(vec![shapes[0].iter().product()]),
            Kind::Dropout { .. } => Some(shapes[0].clone()),
            Kind::Activation { activation } => {
                if *activation == "softmax" && shapes[0].len() != 1 {
                    self.ctxt.error_at(
                        layer,
                        format!("softmax needs a rank-1 input, but `{}` has shape {:?}; flatten it first", source_name(0), shapes[0]),
                    );
                    return None;
                }
                Some(shapes[0].clone())
            }
            Kind::Op { kind, args } => {
                let spec = kind.spec();
                let names: Vec<String> = (0..shapes.len()).map(source_name).collect();
                let sources: Vec<Source<'_>> = (0..shapes.len())
                    .map(|i| Source {
                        name: &names[i],
                        shape: shapes[i],
                    })
                    .collect();
                match spec.output_shape(&format!("`{}`", spec.dsl), args, &sources) {
                    Ok(shape) => Some(shape),
                    Err(SpecError::Shape(message)) => {
                        self.ctxt.error_at(layer, message);
                        None
                    }
                    Err(SpecError::Arg(error)) => {
                        match arg_expr(&decl.call, spec, error.arg) {
                            Some(expr) => self.ctxt.error_at(expr, error.message),
                            None => self.ctxt.error_at(layer, error.message),
                        }
                        None
                    }
                }
            }
            Kind::Concatenate | Kind::Add if shapes.len() < 2 => {
                self.ctxt
                    .error_at(layer, format!("`{layer}` needs at least two sources"));
                None
            }
            Kind::Concatenate => {
                if let Some(i) = shapes.iter().position(|s| s.len() != 1) {
                    // Under the source when it is written (it is, unless lowering failed).
                    let at = match decl.call.groups.first().and_then(|g| g.args.iter().nth(i)) {
                        Some(Arg::Positional(source)) => source.to_token_stream(),
                        _ => layer.to_token_stream(),
                    };
                    self.ctxt.error_at(
                        at,
                        format!("`concatenate` joins rank-1 sources, but `{}` has shape {:?}; flatten it first", source_name(i), shapes[i]),
                    );
                    return None;
                }
                match shapes
                    .iter()
                    .try_fold(0usize, |sum, s| sum.checked_add(s[0]))
                {
                    Some(width) => Some(vec![width]),
                    None => {
                        self.ctxt.error_at(
                            layer,
                            "`concatenate` joins more values per sample than `usize` can count",
                        );
                        None
                    }
                }
            }
            Kind::Add => {
                if shapes.iter().any(|s| *s != shapes[0]) {
                    let listed = (0..shapes.len())
                        .map(|i| format!("`{}` {:?}", source_name(i), shapes[i]))
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.ctxt.error_at(
                        layer,
                        format!("`add` needs sources of one shape, but got {listed}"),
                    );
                    return None;
                }
                Some(shapes[0].clone())
            }
        }
    }

    /// `loss = ...` and `weight = ...`, which only outputs take.
    fn options(&mut self, index: usize, decl: &NodeDecl, node: &mut Node) {
        let mut loss = None;
        let mut loss_span = decl.name.span();
        let mut weight = 1.0;
        let mut weight_span = decl.name.span();
        for option in &decl.options {
            match option.name.to_string().as_str() {
                "loss" => {
                    loss_span = option.value.span();
                    loss = self.loss(&option.value);
                }
                // Checked here, under the whole value (`-0.5`, not just `-`), and as the `f32`
                // the runtime gets (1e39 overflows it).
                "weight" => match float_value(&option.value) {
                    Some(value) if (value as f32).is_finite() && value as f32 > 0.0 => {
                        weight = value;
                        weight_span = option.value.span();
                    }
                    Some(_) => self.ctxt.error_at(
                        &option.value,
                        format!(
                            "the loss weight of `{}` must be a positive, finite `f32`, not `{}`",
                            decl.name,
                            option.value.to_token_stream().to_string().replace(' ', "")
                        ),
                    ),
                    None => self
                        .ctxt
                        .error_at(&option.value, "the loss weight must be a number"),
                },
                "name" => {
                    if let Some(name) = self.keras_name(&option.value) {
                        node.keras_name = name;
                    }
                }
                "trainable" => node.trainable = self.trainable(&option.value),
                other => self.ctxt.error_at(
                    &option.name,
                    format!(
                        "unknown option `{other}`{}",
                        catalog::suggestion(other, catalog::OPTIONS.iter().copied())
                    ),
                ),
            }
        }
        let Some(keyword) = &decl.output else {
            let known = |o: &&NamedArg| o.name == "loss" || o.name == "weight";
            if let Some(option) = decl.options.iter().find(known) {
                self.ctxt.error_at(
                    &option.name,
                    format!(
                        "only outputs take `{}`; mark the node: `output {} = ...`",
                        option.name, decl.name
                    ),
                );
            }
            return;
        };
        if !decl.options.iter().any(|o| o.name == "loss") {
            self.ctxt.error_at(
                keyword,
                format!("output `{}` needs a loss: `..., loss = mse`", decl.name),
            );
        }
        node.output = Some(self.model.outputs.len());
        self.model.outputs.push(Output {
            node: index,
            loss,
            loss_span,
            weight,
            weight_span,
        });
    }

    /// The value of `trainable = ...`: `true` or `false`.
    fn trainable(&mut self, expr: &Expr) -> bool {
        bool_value(expr).unwrap_or_else(|| {
            self.ctxt.error_at(
                expr,
                "`trainable` takes `true` or `false`; `trainable = false` freezes the layer",
            );
            true
        })
    }

    /// The value of `name = "..."`: any non-empty string, as Keras allows.
    fn keras_name(&mut self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(text),
                ..
            }) if !text.value().is_empty() => Some(text.value()),
            _ => {
                self.ctxt.error_at(
                    expr,
                    "`name` takes the layer's Keras name as a string, like `name = \"dense-1\"`",
                );
                None
            }
        }
    }

    /// `loss = NAME` or `loss = NAME(args)`: a loss Keras knows by that name, with its
    /// arguments (`categorical_crossentropy(from_logits = true)`).
    fn loss(&mut self, expr: &Expr) -> Option<LossDecl> {
        let (name_expr, call) = match expr {
            Expr::Call(call) => (&*call.func, Some(call)),
            _ => (expr, None),
        };
        let Some(name) = name_value(name_expr) else {
            self.ctxt
                .error_at(expr, "expected the name of a loss, like `mse`");
            return None;
        };
        let Some(kind) = LossKind::from_name(&name) else {
            // Near any name Keras knows, but listing only one name of each loss.
            let hint = match catalog::nearest(&name, catalog::loss_names()) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => catalog::suggestion(&name, LOSSES.iter().map(|loss| loss.name)),
            };
            self.ctxt
                .error_at(name_expr, format!("unknown loss `{name}`{hint}"));
            return None;
        };
        let Some(call) = call else {
            return Some(LossDecl::plain(kind));
        };
        let spec = kind.spec();
        let (positional, named) = self.call_arguments(Some(call), "from_logits = true")?;
        let given = self.arguments(&name, spec.args, &positional, &named, |_| None)?;
        match spec.arguments(given) {
            Ok(args) => Some(LossDecl { kind, args }),
            Err(error) => {
                self.ctxt.error_at(expr, error.message);
                None
            }
        }
    }
}

/// The value of `option = ...` among a layer's arguments, as Keras writes `name` and
/// `trainable` (`Dense(10, name = "out")`).
fn layer_argument<'c>(call: &'c LayerCall, option: &str) -> Option<&'c Expr> {
    if call.is_merge() {
        return None;
    }
    call.groups.first()?.args.iter().find_map(|arg| match arg {
        Arg::Named(named) if named.name == option => Some(&named.value),
        _ => None,
    })
}

/// The parentheses that hold a layer's sources, when written: a merge's first, another
/// layer's second.
fn source_group(call: &LayerCall) -> Option<&crate::parse::ParenGroup> {
    if call.is_merge() {
        call.groups.first()
    } else {
        call.groups.get(1)
    }
}

/// The expression given for argument `arg` of a described layer, by name or position.
fn arg_expr<'c>(call: &'c LayerCall, spec: &densely_spec::KindSpec, arg: &str) -> Option<&'c Expr> {
    let (position, _) = spec.arg(arg)?;
    let (positional, named) = split_args(call.groups.first().map(|group| &group.args));
    named
        .iter()
        .find(|named| named.name == arg)
        .map(|named| &named.value)
        .or_else(|| positional.get(position).copied())
}

/// The value an expression writes for an argument of type `ty`: a number, `None`, a whole
/// number, or a tuple (or array) of whole numbers; `None` when it writes none of these.
fn arg_value(ty: ArgType, expr: &Expr) -> Option<Value> {
    let whole = |expr: &Expr| match float_value(expr) {
        Some(x)
            if x.fract() == 0.0
                && x.abs() < 1e15
                && !matches!(
                    expr,
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Float(_),
                        ..
                    })
                ) =>
        {
            Some(x as i64)
        }
        _ => None,
    };
    match ty {
        ArgType::OptionalFloat { .. } if ident_of(expr).is_some_and(|i| i == "None") => {
            Some(Value::None)
        }
        ArgType::Float { .. } | ArgType::OptionalFloat { .. } | ArgType::Rate => {
            float_value(expr).map(Value::Float)
        }
        ArgType::Int { .. } => whole(expr).map(Value::Int),
        ArgType::Bool => bool_value(expr).map(Value::Bool),
        ArgType::Axis => match expr {
            Expr::Tuple(_) | Expr::Array(_) => arg_value(ArgType::Dims, expr),
            _ => whole(expr).map(Value::Int),
        },
        ArgType::OptionalDims | ArgType::OptionalFloats
            if ident_of(expr).is_some_and(|i| i == "None") =>
        {
            Some(Value::None)
        }
        ArgType::OptionalFloats => match expr {
            Expr::Tuple(_) | Expr::Array(_) => elements(expr)?
                .into_iter()
                .map(float_value)
                .collect::<Option<Vec<f64>>>()
                .map(|xs| Value::Floats(xs.into())),
            _ => float_value(expr).map(Value::Float),
        },
        ArgType::Dims | ArgType::OptionalDims => elements(expr)?
            .into_iter()
            .map(whole)
            .collect::<Option<Vec<i64>>>()
            .map(|dims| Value::Dims(dims.into())),
    }
}

/// The elements of a tuple, an array or a parenthesized value.
fn elements(expr: &Expr) -> Option<Vec<&Expr>> {
    match expr {
        Expr::Tuple(tuple) => Some(tuple.elems.iter().collect()),
        Expr::Array(array) => Some(array.elems.iter().collect()),
        Expr::Paren(paren) => Some(vec![&*paren.expr]),
        _ => None,
    }
}

/// A call's arguments by position, and by name.
type CallArguments<'e> = (Vec<&'e Expr>, Vec<(&'e Ident, &'e Expr)>);

fn split_args(
    args: Option<&syn::punctuated::Punctuated<Arg, syn::Token![,]>>,
) -> (Vec<&Expr>, Vec<&NamedArg>) {
    let mut positional = Vec::new();
    let mut named = Vec::new();
    for arg in args.into_iter().flatten() {
        match arg {
            Arg::Positional(expr) => positional.push(expr),
            Arg::Named(arg) => named.push(arg),
        }
    }
    (positional, named)
}
