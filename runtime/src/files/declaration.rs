//! The `model!` declaration that matches a model file or a model built at run time, so that a
//! Keras model, or the winner of a search, moves into typed Rust in one step: print it, paste
//! it, and load the file into the struct it declares.

use std::fmt::Write as _;
use std::path::Path;

use super::dynamic::functional;
use super::{format_error, read_model};
use crate::error::{Error, Result};
use crate::graph::{Graph, NodeKind};
use crate::network::Network;

/// The `model!` declaration matching the model in the file at `path` (Keras `.h5` or
/// `.keras`, or densely), with a struct named after the Keras model (`functional_1` →
/// `Functional1`).
///
/// Layer names are Keras's (made valid Rust identifiers where they aren't), inputs come in
/// the model's input order, and outputs carry their losses and loss weights from the training
/// config. Loading the file into the declared struct then pairs every layer by name.
///
/// ```no_run
/// println!("{}", densely::files::declaration("my_keras_model.h5")?);
/// # Ok::<(), densely::Error>(())
/// ```
pub fn declaration(path: impl AsRef<Path>) -> Result<String> {
    declare(path.as_ref(), None)
}

/// [`declaration`] with the struct called `struct_name`.
pub fn declaration_as(path: impl AsRef<Path>, struct_name: &str) -> Result<String> {
    declare(path.as_ref(), Some(struct_name))
}

/// The `model!` declaration of `model`'s architecture, with the struct called `struct_name`:
/// explore at run time with a [`DynamicModel`](crate::DynamicModel), then freeze the winner
/// into a compile-time checked struct, which loads the model's saved file exactly.
///
/// ```
/// use densely::dynamic::{dense, Sequential};
///
/// let model = Sequential::new("regressor")
///     .input("features", &[8])
///     .add(dense(30).activation("relu").named("hidden"))
///     .add(dense(1).named("price"))
///     .loss("mse")
///     .build()?;
/// let text = densely::files::declaration_of(&model, "Regressor")?;
/// assert!(text.contains("pub struct Regressor {"));
/// assert!(text.contains("hidden = Dense(30, relu);"));
/// assert!(text.contains("output price = Dense(1), loss = mse;"));
/// # Ok::<(), densely::Error>(())
/// ```
pub fn declaration_of<N: Network>(model: &N, struct_name: &str) -> Result<String> {
    let graph = model.graph();
    let about = format!("The model `{}`, built at run time.", graph.name);
    let frozen = model.training_state().frozen();
    write_declaration(graph, struct_name, &about, frozen).map_err(|reason| Error::Model {
        model: graph.name.to_string(),
        reason,
    })
}

fn declare(path: &Path, struct_name: Option<&str>) -> Result<String> {
    let (file, architecture, training) = read_model(path)?;
    let name = struct_name.map_or_else(|| camel_case(&architecture.name), str::to_owned);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let origin = match &file.keras_version {
        Some(version) => format!("Keras {version}"),
        None => "densely".to_owned(),
    };
    let about = format!(
        "The {} model `{}` of `{file_name}` ({origin}).",
        architecture.class_name, architecture.name
    );
    let graph = functional(&architecture, training.as_ref())
        .graph()
        .map_err(|error| match error {
            Error::Model { reason, .. } => format_error(path, reason),
            other => other,
        })?;
    let frozen: Vec<String> = (architecture.layers.iter())
        .filter(|layer| !layer.trainable)
        .map(|layer| layer.name.clone())
        .collect();
    write_declaration(&graph, &name, &about, &frozen).map_err(|e| format_error(path, e))
}

/// Rust's keywords, which can't name a layer.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
    // The DSL's own keywords.
    "input", "output",
];

/// A valid Rust identifier for a Keras name.
fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "layer_");
    }
    if KEYWORDS.contains(&out.as_str()) || out == "_" {
        out.push('_');
    }
    out
}

/// `functional_1` → `Functional1`, `my-model` → `MyModel`.
fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Model");
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    if TAKEN.contains(&out.as_str()) {
        out.insert_str(0, "Keras");
    }
    out
}

/// Names a program using densely has in scope already (the prelude's and std's), which a
/// struct would shadow: `model` becomes `KerasModel`, not `Model`.
const TAKEN: &[&str] = &[
    "Model",
    "Network",
    "Declared",
    "Array",
    "Sequential",
    "Functional",
    "Batch",
    "Labels",
    "History",
    "Logs",
    "FitOptions",
    "Metric",
    "Save",
    "Inspect",
    "Shape",
    "Shape1",
    "Shape2",
    "Shape3",
    "Shape4",
    "Callback",
    "Optimizer",
    "Sgd",
    "Adam",
    "AdamW",
    "Nadam",
    "RmsProp",
    "Adagrad",
    "PlotOptions",
    "CsvLogger",
    "EarlyStopping",
    "ModelCheckpoint",
    "TerminateOnNan",
    "Option",
    "Result",
    "Vec",
    "String",
    "Box",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Clone",
    "Copy",
    "Iterator",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Send",
    "Sync",
    "Sized",
    "ToString",
];

fn float(value: f32) -> String {
    let text = format!("{value}");
    if text.contains('.') || text.contains('e') || text.contains("inf") || text.contains("NaN") {
        text
    } else {
        format!("{text}.0")
    }
}

/// The declaration of `graph`, the layers named in `frozen` with `trainable = false`.
fn write_declaration(
    graph: &Graph,
    name: &str,
    about: &str,
    frozen: &[String],
) -> std::result::Result<String, String> {
    let nodes = &graph.nodes;
    let idents: Vec<String> = unique_identifiers(nodes.iter().map(|n| &n.name[..]));
    let sequential = graph.is_sequential();
    let mut body = String::new();
    // Inputs first, in the model's input order, then the layers in topological order.
    // A Keras name that isn't the identifier is kept with `name = "..."`.
    // The options after a statement: a Keras name that isn't the identifier, and a freeze.
    let keras_name = |index: usize| {
        let name = &nodes[index].name;
        let mut options = if *name == idents[index] {
            String::new()
        } else {
            format!(", name = {name:?}")
        };
        if frozen.iter().any(|f| f == name) {
            options.push_str(", trainable = false");
        }
        options
    };
    for (index, node) in nodes.iter().enumerate() {
        if node.kind != NodeKind::Input {
            continue;
        }
        let dims: Vec<String> = node.shape.iter().map(usize::to_string).collect();
        let _ = writeln!(
            body,
            "        input {}: [{}]{};",
            idents[index],
            dims.join(", "),
            keras_name(index)
        );
    }
    for (index, node) in nodes.iter().enumerate() {
        let sources: Vec<&str> = node.sources.iter().map(|&s| idents[s].as_str()).collect();
        let call = match &node.kind {
            NodeKind::Input => continue,
            NodeKind::Dense {
                units,
                activation,
                use_bias,
                kernel_initializer,
                bias_initializer,
                rules,
            } => {
                let mut args = vec![units.to_string()];
                if *activation != "linear" {
                    args.push((*activation).to_owned());
                }
                if !use_bias {
                    args.push("use_bias = false".into());
                }
                if *kernel_initializer != "glorot_uniform" {
                    args.push(format!("kernel_initializer = {kernel_initializer}"));
                }
                if *bias_initializer != "zeros" && *use_bias {
                    args.push(format!("bias_initializer = {bias_initializer}"));
                }
                for (argument, rule) in rules.iter() {
                    args.push(format!("{argument} = {rule}"));
                }
                format!("Dense({})", args.join(", "))
            }
            NodeKind::Flatten => "Flatten".into(),
            NodeKind::Dropout { rate } => format!("Dropout({})", float(*rate)),
            NodeKind::Activation { activation } => format!("Activation({activation})"),
            NodeKind::Concatenate => format!("concatenate({})", sources.join(", ")),
            NodeKind::Add => format!("add({})", sources.join(", ")),
            NodeKind::Op { kind, args } if kind.spec().is_merge() => {
                format!("{}({})", kind.spec().dsl, sources.join(", "))
            }
            NodeKind::Op { kind, args } => {
                let given: Vec<String> = kind
                    .spec()
                    .given(args)
                    .map(|(arg, value)| format!("{} = {value}", arg.name))
                    .collect();
                format!("{}({})", kind.spec().dsl, given.join(", "))
            }
        };
        let merge = node.kind.is_merge();
        let call = if merge || sequential {
            call
        } else if node.kind == NodeKind::Flatten {
            // A layer's first parentheses hold its arguments, the second its sources.
            format!("Flatten()({})", sources.join(", "))
        } else {
            format!("{call}({})", sources.join(", "))
        };
        match graph.outputs.iter().find(|o| o.node == index) {
            Some(output) => {
                let loss_text = match &output.loss {
                    Some(loss) => loss.to_string(),
                    None => "mse /* the file names no loss densely knows: choose one */".into(),
                };
                let weight_text = if output.weight == 1.0 {
                    String::new()
                } else {
                    format!(", weight = {}", float(output.weight))
                };
                let _ = writeln!(
                    body,
                    "        output {} = {call}, loss = {loss_text}{weight_text}{};",
                    idents[index],
                    keras_name(index)
                );
            }
            None => {
                let _ = writeln!(
                    body,
                    "        {} = {call}{};",
                    idents[index],
                    keras_name(index)
                );
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "model! {{");
    let _ = writeln!(out, "    /// {about}");
    let _ = writeln!(out, "    pub struct {name} {{");
    out.push_str(&body);
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "}}");
    Ok(out)
}

/// Identifiers for `names`, made distinct where sanitizing made two equal.
fn unique_identifiers<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let mut ident = identifier(name);
        while out.contains(&ident) {
            ident.push('_');
        }
        out.push(ident);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_identifiers() {
        assert_eq!(identifier("dense_1"), "dense_1");
        assert_eq!(identifier("my-layer"), "my_layer");
        assert_eq!(identifier("1st"), "layer_1st");
        assert_eq!(identifier("type"), "type_");
        assert_eq!(identifier("input"), "input_");
        assert_eq!(camel_case("functional_1"), "Functional1");
        assert_eq!(camel_case("sequential"), "KerasSequential");
        assert_eq!(camel_case("model"), "KerasModel");
        assert_eq!(camel_case("my-model"), "MyModel");
        assert_eq!(float(0.9), "0.9");
        assert_eq!(float(2.0), "2.0");
    }
}
