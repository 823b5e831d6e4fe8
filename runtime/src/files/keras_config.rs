//! Keras's `model_config` and `training_config` JSON: written from a [`Graph`] and a compiled
//! optimizer, and read back into an [`Architecture`] and a [`TrainingSpec`].
//!
//! Writing follows Keras 2's layout (`batch_input_shape`, `dtype: "float32"`, Keras 2
//! `inbound_nodes`), which both tf-keras 2 and Keras 3 load. Reading accepts what either
//! writes: `batch_input_shape` or `batch_shape`, dtype strings or policy objects, both
//! `inbound_nodes` forms, bare triples in `input_layers`, `Custom>` optimizer classes.
//!
//! Nothing here trusts its input: every field is checked, every size is computed with
//! overflow checks, and every failure is a `String` naming what is wrong (the callers add
//! the file's path).

use std::collections::HashMap;

use densely_spec as spec;
use serde_json::{json, Map, Value};

use crate::activation::ActivationKind;
use crate::graph::{Graph, NodeKind};
use crate::init::Initializer;
use crate::loss::{Loss, LossKind};
use crate::metrics::Metric;
use crate::optimizers::{Adagrad, Adam, AdamW, Nadam, Optimizer, RmsProp, Sgd};
use crate::summary::KerasLayout;
use crate::training::TrainingState;

/// The largest number of values one layer output or weight may have (2^40): beyond this a
/// config is taken as damaged rather than allocated.
const MAX_ELEMENTS: usize = 1 << 40;

/// A parse failure, as text for [`crate::Error::Format`].
pub(crate) type Parse<T> = std::result::Result<T, String>;

// ---------------------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------------------

/// `FashionMlp` → `fashion_mlp`: the Keras-style name of a model struct.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let previous_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let previous_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (previous_lower || (previous_upper && next_lower)) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The names of Keras's `model.layers`, in Keras's order: the layers of a Sequential model,
/// every node (inputs included) of a Functional one, by depth from the outputs. Keras pairs
/// the weights of a file with its layers in this order, not by name.
pub(crate) fn keras_layer_names(graph: &Graph) -> Vec<&str> {
    KerasLayout::of(graph)
        .rows
        .iter()
        .map(|&index| &graph.nodes[index].name[..])
        .collect()
}

fn initializer_json(name: &str) -> Value {
    let class = Initializer::from_name(name).map_or(name, |i| i.keras_class_name());
    let config = if matches!(class, "Zeros" | "Ones") {
        json!({})
    } else {
        json!({ "seed": null })
    };
    json!({
        "module": "keras.initializers",
        "class_name": class,
        "config": config,
        "registered_name": null,
    })
}

/// Which names a layer's arguments get in a written config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgNames {
    /// tf-keras's, for `.h5` files (LeakyReLU's `alpha`).
    Keras2,
    /// Keras 3's, for `.keras` archives (LeakyReLU's `negative_slope`).
    Keras3,
}

/// A described layer's argument as JSON.
fn arg_json(value: &spec::Value) -> Value {
    match value {
        spec::Value::None => Value::Null,
        spec::Value::Bool(b) => json!(b),
        spec::Value::Float(x) => json!(x),
        spec::Value::Int(x) => json!(x),
        spec::Value::Dims(dims) => json!(dims),
        spec::Value::Floats(xs) => json!(xs),
    }
}

/// The Keras arguments of a Dense layer that take a regularizer or a constraint.
const DENSE_RULES: [&str; 4] = [
    "kernel_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "bias_constraint",
];

/// A regularizer or constraint as Keras serializes it: its class and its config (Keras 3
/// adds the module).
fn rule_json(rule: &spec::WeightRule, names: ArgNames) -> Value {
    let spec = rule.kind.spec();
    let config: serde_json::Map<String, Value> = spec
        .args
        .iter()
        .zip(rule.args.iter())
        .map(|(arg, value)| (arg.name.to_owned(), arg_json(value)))
        .collect();
    match names {
        ArgNames::Keras3 => {
            let module = match spec.role {
                spec::RuleRole::Regularizer => "keras.regularizers",
                spec::RuleRole::Constraint => "keras.constraints",
            };
            json!({"module": module, "class_name": spec.class, "config": config, "registered_name": null})
        }
        ArgNames::Keras2 => json!({"class_name": spec.class, "config": config}),
    }
}

/// A Dense layer's rules read from its config: each of Keras's regularizers and
/// constraints densely computes; an error for one it doesn't, rather than a model that trains
/// otherwise.
fn dense_rules(config: &Value, layer: &str) -> Parse<spec::WeightRules> {
    let mut rules = spec::WeightRules::default();
    if config
        .get("activity_regularizer")
        .is_some_and(|v| !v.is_null())
    {
        return Err(format!(
            "layer `{layer}` has an activity_regularizer, which densely doesn't compute"
        ));
    }
    for argument in DENSE_RULES {
        let Some(value) = config.get(argument).filter(|v| !v.is_null()) else {
            continue;
        };
        let (_, role) = spec::rule_argument(argument, &["kernel", "bias"]).expect("a Dense rule");
        let class = str_field(value, "class_name")
            .or_else(|| value.as_str())
            .ok_or_else(|| format!("layer `{layer}`: `{argument}` is {value}"))?;
        let kind = spec::RuleKind::from_name(role, class).ok_or_else(|| {
            format!("layer `{layer}`: `{argument}` is `{class}`, which densely doesn't compute")
        })?;
        let spec = kind.spec();
        let settings = value.get("config");
        let given = spec
            .args
            .iter()
            .map(|arg| settings.and_then(|c| c.get(arg.name)).and_then(arg_value))
            .collect();
        let rule = spec::WeightRule::new(kind, given)
            .map_err(|error| format!("layer `{layer}`: `{argument}`: {}", error.message))?;
        rules.set(argument, rule);
    }
    Ok(rules)
}

/// A described layer's argument read from JSON, as its spec takes it.
fn arg_value(value: &Value) -> Option<spec::Value> {
    match value {
        Value::Null => Some(spec::Value::None),
        Value::Bool(b) => Some(spec::Value::Bool(*b)),
        Value::Number(n) => Some(match n.as_i64() {
            Some(i) => spec::Value::Int(i),
            None => spec::Value::Float(n.as_f64()?),
        }),
        // Whole numbers are dimensions (or, where a kind takes numbers, read as numbers by
        // its spec); others are numbers.
        Value::Array(items) => match items.iter().map(Value::as_i64).collect::<Option<Vec<_>>>() {
            Some(dims) => Some(spec::Value::Dims(dims.into())),
            None => items
                .iter()
                .map(Value::as_f64)
                .collect::<Option<Vec<f64>>>()
                .map(|xs| spec::Value::Floats(xs.into())),
        },
        _ => None,
    }
}

/// One layer's `config`, as Keras 2 writes it (with Keras 3's argument names, for
/// `names` [`ArgNames::Keras3`]).
fn layer_config(name: &str, kind: &NodeKind, names: ArgNames, trainable: bool) -> Value {
    let mut config = Map::new();
    config.insert("name".into(), json!(name));
    config.insert("trainable".into(), json!(trainable));
    config.insert("dtype".into(), json!("float32"));
    match *kind {
        NodeKind::Input => {}
        NodeKind::Op { kind, ref args } => {
            for (arg, value) in kind.spec().args.iter().zip(args.iter()) {
                let key = match (names, arg.keras2_name) {
                    (ArgNames::Keras2, Some(keras2)) => keras2,
                    _ => arg.name,
                };
                config.insert(key.into(), arg_json(value));
            }
        }
        NodeKind::Dense {
            units,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            ref rules,
        } => {
            config.insert("units".into(), json!(units));
            config.insert("activation".into(), json!(activation));
            config.insert("use_bias".into(), json!(use_bias));
            config.insert(
                "kernel_initializer".into(),
                initializer_json(kernel_initializer),
            );
            config.insert(
                "bias_initializer".into(),
                initializer_json(bias_initializer),
            );
            for key in DENSE_RULES.iter().chain(&["activity_regularizer"]) {
                config.insert((*key).into(), Value::Null);
            }
            for (argument, rule) in rules.iter() {
                config.insert(argument.into(), rule_json(rule, names));
            }
        }
        NodeKind::Flatten => {
            config.insert("data_format".into(), json!("channels_last"));
        }
        NodeKind::Dropout { rate } => {
            config.insert("rate".into(), json!(rate));
            config.insert("noise_shape".into(), Value::Null);
            config.insert("seed".into(), Value::Null);
        }
        NodeKind::Activation { activation } => {
            config.insert("activation".into(), json!(activation));
        }
        NodeKind::Concatenate => {
            config.insert("axis".into(), json!(-1));
        }
        NodeKind::Add => {}
    }
    Value::Object(config)
}

fn input_layer(name: &str, shape: &[usize]) -> Value {
    let mut batch_shape = vec![Value::Null];
    batch_shape.extend(shape.iter().map(|&d| json!(d)));
    json!({
        "class_name": "InputLayer",
        "config": {
            "batch_input_shape": batch_shape,
            "dtype": "float32",
            "sparse": false,
            "ragged": false,
            "name": name,
        },
    })
}

/// Keras's `model_config` for `graph`, in Keras 2's layout.
/// Keras's `model_config` of `graph`, the layers named in `frozen` not trainable.
pub(crate) fn model_config(graph: &Graph, names: ArgNames, frozen: &[String]) -> Value {
    let trainable = |name: &str| !frozen.iter().any(|f| f == name);
    let name = snake_case(&graph.name);
    if graph.is_sequential() {
        let input = &graph.nodes[0];
        let mut layers = vec![input_layer(&input.name, &input.shape)];
        layers.extend(graph.layers().map(|node| {
            json!({
                "class_name": node.kind.keras_class_name(),
                "config": layer_config(&node.name, &node.kind, names, trainable(&node.name)),
            })
        }));
        return json!({
            "class_name": "Sequential",
            "config": { "name": name, "layers": layers },
        });
    }
    let layers: Vec<Value> = graph
        .nodes
        .iter()
        .map(|node| {
            if node.kind == NodeKind::Input {
                let mut layer = input_layer(&node.name, &node.shape);
                layer["name"] = json!(node.name);
                layer["inbound_nodes"] = json!([]);
                return layer;
            }
            let sources: Vec<Value> = node
                .sources
                .iter()
                .map(|&s| json!([graph.nodes[s].name, 0, 0, {}]))
                .collect();
            json!({
                "class_name": node.kind.keras_class_name(),
                "config": layer_config(&node.name, &node.kind, names, trainable(&node.name)),
                "name": node.name,
                "inbound_nodes": [sources],
            })
        })
        .collect();
    let inputs: Vec<Value> = graph.inputs().map(|n| json!([n.name, 0, 0])).collect();
    let outputs: Vec<Value> = graph
        .outputs
        .iter()
        .map(|o| json!([graph.nodes[o.node].name, 0, 0]))
        .collect();
    json!({
        "class_name": "Functional",
        "config": {
            "name": name,
            "trainable": true,
            "layers": layers,
            "input_layers": inputs,
            "output_layers": outputs,
        },
    })
}

/// How an optimizer's config is written into a Keras file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConfigStyle {
    /// Every hyperparameter, as densely reads them back (native files).
    Full,
    /// Only keys that both Keras 3 and tf-keras's optimizers accept. Without
    /// `is_legacy_optimizer`, tf-keras builds its legacy optimizer (whose state it then
    /// restores); Keras 3 refuses that key, so it can't be written for both.
    Portable,
    /// tf-keras's current optimizers (`is_legacy_optimizer: false`): needed for weight decay,
    /// which tf-keras's legacy optimizers lack; Keras 3 refuses such a config.
    TfKeras,
    /// Keras 3's keys.
    Keras3,
}

/// Whether the optimizer needs settings that tf-keras's legacy optimizers lack.
pub(crate) fn needs_current_tf_keras(optimizer: &dyn Optimizer) -> bool {
    optimizer.keras_class_name() == "AdamW"
        || optimizer
            .config()
            .get("weight_decay")
            .is_some_and(|w| !w.is_null())
}

/// The optimizer's `optimizer_config` in `style`.
pub(crate) fn keras_optimizer_config(optimizer: &dyn Optimizer, style: ConfigStyle) -> Value {
    let class = optimizer.keras_class_name();
    let mut config = optimizer.config();
    match style {
        ConfigStyle::Full => {}
        ConfigStyle::Portable => {
            let full = std::mem::take(&mut config);
            for (key, value) in full {
                let keras_3_or_current_tf_keras_only = matches!(
                    key.as_str(),
                    "name"
                        | "weight_decay"
                        | "use_ema"
                        | "ema_momentum"
                        | "ema_overwrite_frequency"
                        | "loss_scale_factor"
                        | "gradient_accumulation_steps"
                );
                if !keras_3_or_current_tf_keras_only && !value.is_null() {
                    config.insert(key, value);
                }
            }
            config.insert("name".into(), json!(class));
        }
        ConfigStyle::TfKeras => {
            config.remove("loss_scale_factor");
            config.remove("gradient_accumulation_steps");
            config.insert("name".into(), json!(class));
            config.insert("is_legacy_optimizer".into(), json!(false));
        }
        ConfigStyle::Keras3 => {}
    }
    json!({ "class_name": class, "config": config })
}

/// A loss as Keras writes it: its function's name when its arguments are Keras's
/// defaults, else its class with its config.
fn loss_json(loss: &Loss, style: ConfigStyle) -> Value {
    let given = loss.given_args();
    let spec = loss.kind().spec();
    if given.is_empty() {
        return json!(spec.function);
    }
    let reduction = match style {
        ConfigStyle::TfKeras => "auto",
        _ => "sum_over_batch_size",
    };
    let mut config = serde_json::Map::new();
    config.insert("name".into(), json!(spec.object_name));
    config.insert("reduction".into(), json!(reduction));
    for (name, value) in loss.args() {
        config.insert(name.into(), arg_json(&value));
    }
    if spec.arg("from_logits").is_some() {
        config.insert("axis".into(), json!(-1));
    }
    match style {
        ConfigStyle::Keras3 => json!({
            "module": "keras.losses",
            "class_name": spec.class,
            "config": config,
            "registered_name": null,
        }),
        _ => json!({ "class_name": spec.class, "config": config }),
    }
}

/// Keras's `training_config` for a compiled model: long loss names, loss weights, metrics
/// and the optimizer (Keras 3 needs `loss_weights` and `optimizer_config`).
pub(crate) fn training_config(
    graph: &Graph,
    state: &TrainingState,
    style: ConfigStyle,
) -> Option<Value> {
    let optimizer = state.optimizer()?;
    // A model without a loss has no training config to write.
    let losses: Vec<Value> = graph
        .outputs
        .iter()
        .map(|o| o.loss.as_ref().map(|loss| loss_json(loss, style)))
        .collect::<Option<_>>()?;
    let weights: Vec<f32> = graph.outputs.iter().map(|o| o.weight).collect();
    let single = graph.outputs.len() == 1;
    let loss = if single {
        json!(losses[0])
    } else {
        json!(losses)
    };
    let loss_weights = if single && weights[0] == 1.0 {
        Value::Null
    } else {
        json!(weights)
    };
    let names: Vec<Value> = state.metrics().iter().map(|&m| keras_metric(m)).collect();
    let metrics = if names.is_empty() {
        Value::Null
    } else if single {
        json!(names)
    } else {
        Value::Array(graph.outputs.iter().map(|_| json!(names)).collect())
    };
    Some(json!({
        "loss": loss,
        "metrics": metrics,
        "weighted_metrics": null,
        "loss_weights": loss_weights,
        "optimizer_config": keras_optimizer_config(optimizer, style),
    }))
}

/// A metric as Keras's `compile` takes it back: its name, or its class and arguments.
fn keras_metric(metric: Metric) -> Value {
    match metric.keras_class() {
        Some((class, config)) => json!({
            "module": "keras.metrics",
            "class_name": class,
            "config": config,
            "registered_name": null,
        }),
        None => json!(metric.name()),
    }
}

// ---------------------------------------------------------------------------------------
// Reading the architecture.
// ---------------------------------------------------------------------------------------

/// A model's architecture as read from a `model_config`: its layers in topological order.
#[derive(Clone, Debug, PartialEq)]
pub struct Architecture {
    /// The model's name (`sequential`, `functional_1`, ...).
    pub name: String,
    /// `Sequential` or `Functional` (or `Model`).
    pub class_name: String,
    /// Every layer, inputs included, sources before the layers that read them.
    pub layers: Vec<LayerSpec>,
    /// The indices in `layers` of the inputs, in the model's input order.
    pub inputs: Vec<usize>,
    /// The indices in `layers` of the outputs, in the model's output order.
    pub outputs: Vec<usize>,
}

/// One layer of an [`Architecture`].
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpec {
    /// The layer's name.
    pub name: String,
    /// What it computes.
    pub kind: LayerKind,
    /// The indices in [`Architecture::layers`] of the layers it reads, in order.
    pub sources: Vec<usize>,
    /// The shape of one sample of its output.
    pub shape: Vec<usize>,
    /// Whether its weights train (Keras's `trainable`).
    pub trainable: bool,
}

/// The layer kinds a Keras file may use here.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerKind {
    /// `InputLayer`.
    Input,
    /// `Dense`, applied on the last axis.
    Dense {
        /// Output width.
        units: usize,
        /// Its activation.
        activation: ActivationKind,
        /// Whether it adds a bias.
        use_bias: bool,
        /// The kernel initializer, if it is one densely knows.
        kernel_initializer: Option<Initializer>,
        /// The bias initializer, if it is one densely knows.
        bias_initializer: Option<Initializer>,
        /// Its regularizers and constraints.
        rules: spec::WeightRules,
    },
    /// `Flatten`.
    Flatten,
    /// `Dropout`: the identity at inference.
    Dropout {
        /// The fraction dropped while training.
        rate: f32,
    },
    /// `Activation`.
    Activation(ActivationKind),
    /// `Concatenate` on the last axis.
    Concatenate,
    /// `Add`.
    Add,
    /// A kind described in [`densely_spec::KINDS`], with every argument of its spec.
    Op {
        /// The kind.
        kind: spec::OpKind,
        /// Its arguments, checked.
        args: Vec<spec::Value>,
    },
}

impl LayerKind {
    /// Keras's class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            LayerKind::Input => "InputLayer",
            LayerKind::Dense { .. } => "Dense",
            LayerKind::Flatten => "Flatten",
            LayerKind::Dropout { .. } => "Dropout",
            LayerKind::Activation(_) => "Activation",
            LayerKind::Concatenate => "Concatenate",
            LayerKind::Add => "Add",
            LayerKind::Op { kind, .. } => kind.spec().class,
        }
    }
}

impl Architecture {
    /// The layer called `name`.
    pub fn layer(&self, name: &str) -> Option<&LayerSpec> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// The names of the inputs, in the model's input order.
    pub fn input_names(&self) -> Vec<&str> {
        self.inputs
            .iter()
            .map(|&i| self.layers[i].name.as_str())
            .collect()
    }

    /// The names of the outputs, in the model's output order.
    pub fn output_names(&self) -> Vec<&str> {
        self.outputs
            .iter()
            .map(|&i| self.layers[i].name.as_str())
            .collect()
    }

    /// The names of Keras's `model.layers`, in Keras's order: all but the input of a
    /// Sequential model, every layer of a Functional one by depth from the outputs.
    pub fn keras_layer_names(&self) -> Vec<&str> {
        if self.class_name == "Sequential" {
            return self
                .layers
                .iter()
                .filter(|l| l.kind != LayerKind::Input)
                .map(|l| l.name.as_str())
                .collect();
        }
        let sources: Vec<&[usize]> = self.layers.iter().map(|l| &l.sources[..]).collect();
        KerasLayout::functional(&sources, &self.outputs)
            .rows
            .iter()
            .map(|&index| self.layers[index].name.as_str())
            .collect()
    }

    /// Whether the optimizer trains weight `weight` of layer `name`, in Keras's order: not
    /// of a frozen layer, nor BatchNormalization's moving statistics.
    pub fn trains(&self, name: &str, weight: usize) -> bool {
        let layer = self.layer(name);
        if layer.is_some_and(|layer| !layer.trainable) {
            return false;
        }
        match layer.map(|layer| &layer.kind) {
            Some(LayerKind::Op { kind, args }) => kind
                .spec()
                .present_weights(args)
                .nth(weight)
                .is_none_or(|w| w.trainable),
            _ => true,
        }
    }

    /// The number of values a layer's weights hold (kernel and bias).
    pub fn params(&self, index: usize) -> usize {
        let layer = &self.layers[index];
        match layer.kind {
            LayerKind::Dense {
                units, use_bias, ..
            } => {
                let input = layer
                    .sources
                    .first()
                    .and_then(|&s| self.layers[s].shape.last().copied())
                    .unwrap_or(0);
                input * units + if use_bias { units } else { 0 }
            }
            LayerKind::Op { kind, ref args } => kind.spec().trainable_params(args, &layer.shape),
            _ => 0,
        }
    }
}

fn str_field<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// A dimension of a shape: a non-negative integer within bounds.
fn dimension(value: &Value) -> Parse<usize> {
    let dim = value
        .as_u64()
        .ok_or_else(|| format!("a shape dimension is {value}, not a positive integer"))?;
    if dim == 0 || dim as u128 > MAX_ELEMENTS as u128 {
        return Err(format!("a shape dimension is {dim}"));
    }
    Ok(dim as usize)
}

/// The per-sample shape of a `[null, d1, d2, ...]` batch shape.
fn batch_shape(value: &Value, layer: &str) -> Parse<Vec<usize>> {
    let dims = value
        .as_array()
        .ok_or_else(|| format!("layer `{layer}`: the batch shape is not a list"))?;
    if dims.len() < 2 {
        return Err(format!(
            "layer `{layer}`: the batch shape {value} has no sample dimension"
        ));
    }
    let shape = dims[1..]
        .iter()
        .map(dimension)
        .collect::<Parse<Vec<usize>>>()
        .map_err(|e| format!("layer `{layer}`: {e}"))?;
    elements(&shape).map_err(|e| format!("layer `{layer}`: {e}"))?;
    Ok(shape)
}

/// The number of values in `shape`, checked.
pub(crate) fn elements(shape: &[usize]) -> Parse<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
        .ok_or_else(|| format!("the shape {shape:?} is too large"))
}

/// An activation given as a name or a serialized object.
fn activation(value: Option<&Value>, layer: &str) -> Parse<ActivationKind> {
    let name = match value {
        None | Some(Value::Null) => "linear",
        Some(Value::String(name)) => name.as_str(),
        Some(object @ Value::Object(_)) => str_field(object, "config")
            .or_else(|| object.get("config").and_then(|c| str_field(c, "name")))
            .or_else(|| str_field(object, "class_name"))
            .unwrap_or(""),
        Some(other) => return Err(format!("layer `{layer}`: activation {other}")),
    };
    let name = name.rsplit('>').next().unwrap_or(name);
    ActivationKind::from_name(name)
        .or_else(|| ActivationKind::from_name(&snake_case(name)))
        .ok_or_else(|| format!("layer `{layer}`: unsupported activation `{name}`"))
}

fn initializer(value: Option<&Value>) -> Option<Initializer> {
    let name = match value? {
        Value::String(name) => name.as_str(),
        object => str_field(object, "class_name")?,
    };
    Initializer::from_name(name)
}

/// The `(layer name, node index, tensor index)` references of one inbound node, in either of
/// Keras's forms.
fn inbound_sources(node: &Value, layer: &str) -> Parse<Vec<(String, u64)>> {
    let mut sources = Vec::new();
    match node {
        // Keras 3: {"args": [...], "kwargs": {...}} with `__keras_tensor__`s anywhere in args.
        Value::Object(object) => {
            collect_keras_tensors(object.get("args").unwrap_or(&Value::Null), &mut sources, 0)?
        }
        // Keras 2: [["name", node, tensor, {kwargs}], ...].
        Value::Array(references) => {
            for reference in references {
                let name = reference
                    .get(0)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("layer `{layer}`: inbound node {reference}"))?;
                let node_index = reference.get(1).and_then(Value::as_u64).unwrap_or(0);
                sources.push((name.to_owned(), node_index));
            }
        }
        other => return Err(format!("layer `{layer}`: inbound node {other}")),
    }
    Ok(sources)
}

fn collect_keras_tensors(value: &Value, out: &mut Vec<(String, u64)>, depth: usize) -> Parse<()> {
    if depth > 64 {
        return Err("inbound nodes nest too deeply".into());
    }
    match value {
        Value::Array(items) => {
            for item in items {
                collect_keras_tensors(item, out, depth + 1)?;
            }
        }
        Value::Object(object) => {
            if let Some(history) = object
                .get("config")
                .and_then(|c| c.get("keras_history"))
                .and_then(Value::as_array)
            {
                let name = history
                    .first()
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("keras_history {value}"))?;
                let node = history.get(1).and_then(Value::as_u64).unwrap_or(0);
                out.push((name.to_owned(), node));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The layer names of `input_layers` / `output_layers`: a list of triples or one bare triple.
fn endpoint_names(value: Option<&Value>, what: &str) -> Parse<Vec<String>> {
    let list = value
        .and_then(Value::as_array)
        .ok_or_else(|| format!("the model config has no `{what}` list"))?;
    if list.first().is_some_and(Value::is_string) {
        return Ok(vec![list[0].as_str().unwrap_or_default().to_owned()]);
    }
    list.iter()
        .map(|triple| {
            triple
                .get(0)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("`{what}` holds {triple}"))
        })
        .collect()
}

/// A layer before shapes and order are known.
struct RawLayer {
    name: String,
    kind: LayerKind,
    input_shape: Option<Vec<usize>>,
    sources: Vec<String>,
    /// The `axis` of a Concatenate (Keras counts the batch axis as 0).
    axis: i64,
    trainable: bool,
}

fn raw_layer(layer: &Value, functional: bool, position: usize) -> Parse<RawLayer> {
    let class = str_field(layer, "class_name")
        .ok_or_else(|| format!("layer {position} has no class_name"))?;
    let config = layer
        .get("config")
        .filter(|c| c.is_object())
        .ok_or_else(|| format!("layer {position} ({class}) has no config"))?;
    let name = str_field(config, "name")
        .or_else(|| str_field(layer, "name"))
        .ok_or_else(|| format!("layer {position} ({class}) has no name"))?
        .to_owned();
    let class = class.rsplit('>').next().unwrap_or(class);
    let shape_key = config
        .get("batch_input_shape")
        .or_else(|| config.get("batch_shape"));
    let input_shape = match shape_key {
        Some(Value::Null) | None => None,
        Some(value) => Some(batch_shape(value, &name)?),
    };
    let kind = match class {
        "InputLayer" => LayerKind::Input,
        "Dense" => {
            let units = config
                .get("units")
                .ok_or_else(|| format!("layer `{name}`: Dense without units"))
                .and_then(dimension)
                .map_err(|e| format!("layer `{name}`: {e}"))?;
            LayerKind::Dense {
                units,
                activation: activation(config.get("activation"), &name)?,
                use_bias: config.get("use_bias").map_or(Ok(true), |v| {
                    v.as_bool()
                        .ok_or_else(|| format!("layer `{name}`: use_bias is {v}"))
                })?,
                kernel_initializer: initializer(config.get("kernel_initializer")),
                bias_initializer: initializer(config.get("bias_initializer")),
                rules: dense_rules(config, &name)?,
            }
        }
        "Flatten" => LayerKind::Flatten,
        "Dropout" => {
            let rate = config
                .get("rate")
                .and_then(Value::as_f64)
                .filter(|r| (0.0..1.0).contains(r))
                .ok_or_else(|| format!("layer `{name}`: Dropout rate {:?}", config.get("rate")))?;
            LayerKind::Dropout { rate: rate as f32 }
        }
        "Activation" => LayerKind::Activation(activation(config.get("activation"), &name)?),
        "Concatenate" => LayerKind::Concatenate,
        "Add" => LayerKind::Add,
        other => match spec::OpKind::from_class(other) {
            Some(kind) => described_layer(kind, config, &name)?,
            None => {
                let described: Vec<&str> = spec::KINDS.iter().map(|s| s.class).collect();
                return Err(format!(
                    "layer `{name}`: unsupported layer class `{other}` (supported: InputLayer, Dense, Flatten, Dropout, Activation, Concatenate, Add, {})",
                    described.join(", ")
                ));
            }
        },
    };
    let axis = match config.get("axis").filter(|_| class == "Concatenate") {
        None => -1,
        Some(value) => value
            .as_i64()
            .ok_or_else(|| format!("layer `{name}`: axis {value}"))?,
    };
    let mut sources = Vec::new();
    if functional {
        let nodes = layer
            .get("inbound_nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("layer `{name}` has no inbound_nodes"))?;
        match nodes.len() {
            0 => {}
            1 => {
                for (source, node) in inbound_sources(&nodes[0], &name)? {
                    if node != 0 {
                        return Err(format!(
                            "layer `{name}` reads node {node} of `{source}`: shared layers are not supported"
                        ));
                    }
                    sources.push(source);
                }
            }
            n => {
                return Err(format!(
                    "layer `{name}` is called {n} times: shared layers are not supported"
                ))
            }
        }
    }
    let trainable = match config.get("trainable") {
        None => true,
        Some(value) => value
            .as_bool()
            .ok_or_else(|| format!("layer `{name}`: trainable is {value}"))?,
    };
    Ok(RawLayer {
        name,
        kind,
        input_shape,
        sources,
        axis,
        trainable,
    })
}

/// A described layer from its config: each argument under Keras 3's name or tf-keras's,
/// checked by its spec.
fn described_layer(kind: spec::OpKind, config: &Value, name: &str) -> Parse<LayerKind> {
    let spec = kind.spec();
    if let Some(key) = spec.unsupported.iter().find(|key| {
        config
            .get(**key)
            .is_some_and(|v| !v.is_null() && *v != Value::Bool(false))
    }) {
        return Err(format!(
            "layer `{name}` ({}): `{key}` is {}, which densely does not support yet",
            spec.class, config[*key]
        ));
    }
    let mut given = Vec::with_capacity(spec.args.len());
    for arg in spec.args {
        let value = config
            .get(arg.name)
            .or_else(|| arg.keras2_name.and_then(|keras2| config.get(keras2)));
        given.push(match value {
            None => None,
            Some(value) => Some(arg_value(value).ok_or_else(|| {
                format!(
                    "layer `{name}` ({}): `{}` is {value}, and it takes {}",
                    spec.class,
                    arg.name,
                    arg.expects()
                )
            })?),
        });
    }
    let args = spec
        .arguments(given)
        .map_err(|e| format!("layer `{name}` ({}): {}", spec.class, e.message))?;
    Ok(LayerKind::Op { kind, args })
}

/// Parses a `model_config` JSON text.
pub(crate) fn parse_model_config(text: &str) -> Parse<Architecture> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the model config is not JSON: {e}"))?;
    architecture(&value)
}

/// Reads a `model_config` value.
pub(crate) fn architecture(value: &Value) -> Parse<Architecture> {
    let class = str_field(value, "class_name").ok_or("the model config has no class_name")?;
    let config = value
        .get("config")
        .filter(|c| c.is_object())
        .ok_or("the model config has no config")?;
    let layers = config
        .get("layers")
        .and_then(Value::as_array)
        .ok_or("the model config has no layers")?;
    let name = str_field(config, "name").unwrap_or("model").to_owned();
    match class {
        "Sequential" => sequential(name, config, layers),
        "Functional" | "Model" => functional(name, class, config, layers),
        other => Err(format!(
            "unsupported model class `{other}` (Sequential and Functional are)"
        )),
    }
}

fn sequential(name: String, config: &Value, layers: &[Value]) -> Parse<Architecture> {
    let mut raw = layers
        .iter()
        .enumerate()
        .map(|(i, layer)| raw_layer(layer, false, i))
        .collect::<Parse<Vec<_>>>()?;
    // The input: an InputLayer first, or a `batch_input_shape` on the first layer, or the
    // model's `build_input_shape` (Keras 3).
    if raw.first().is_none_or(|l| l.kind != LayerKind::Input) {
        let shape = match raw.first().and_then(|l| l.input_shape.clone()) {
            Some(shape) => shape,
            None => match config.get("build_input_shape") {
                Some(value) if !value.is_null() => batch_shape(value, &name)?,
                _ => return Err("the Sequential model has no input shape".into()),
            },
        };
        raw.insert(
            0,
            RawLayer {
                name: format!("{name}_input"),
                kind: LayerKind::Input,
                input_shape: Some(shape),
                sources: Vec::new(),
                axis: -1,
                trainable: true,
            },
        );
    }
    if raw.len() < 2 {
        return Err("the Sequential model has no layers".into());
    }
    if raw.iter().skip(1).any(|l| l.kind == LayerKind::Input) {
        return Err("the Sequential model has an InputLayer after its first layer".into());
    }
    let count = raw.len();
    let sources: Vec<Vec<usize>> = (0..count)
        .map(|i| if i == 0 { vec![] } else { vec![i - 1] })
        .collect();
    build(name, "Sequential", raw, sources, vec![0], vec![count - 1])
}

fn functional(name: String, class: &str, config: &Value, layers: &[Value]) -> Parse<Architecture> {
    let raw = layers
        .iter()
        .enumerate()
        .map(|(i, layer)| raw_layer(layer, true, i))
        .collect::<Parse<Vec<_>>>()?;
    let mut index = HashMap::new();
    for (i, layer) in raw.iter().enumerate() {
        if index.insert(layer.name.clone(), i).is_some() {
            return Err(format!("two layers are called `{}`", layer.name));
        }
    }
    let find = |name: &str, what: &str| {
        index
            .get(name)
            .copied()
            .ok_or_else(|| format!("{what} `{name}` is not a layer of the model"))
    };
    let sources = raw
        .iter()
        .map(|layer| {
            layer
                .sources
                .iter()
                .map(|s| find(s, &format!("layer `{}` reads", layer.name)))
                .collect::<Parse<Vec<usize>>>()
        })
        .collect::<Parse<Vec<_>>>()?;
    let inputs = endpoint_names(config.get("input_layers"), "input_layers")?
        .iter()
        .map(|n| find(n, "the input"))
        .collect::<Parse<Vec<_>>>()?;
    let outputs = endpoint_names(config.get("output_layers"), "output_layers")?
        .iter()
        .map(|n| find(n, "the output"))
        .collect::<Parse<Vec<_>>>()?;
    build(name, class, raw, sources, inputs, outputs)
}

/// Orders the layers topologically (stable: config order where possible), checks every source
/// and infers every shape.
fn build(
    name: String,
    class: &str,
    raw: Vec<RawLayer>,
    sources: Vec<Vec<usize>>,
    inputs: Vec<usize>,
    outputs: Vec<usize>,
) -> Parse<Architecture> {
    let count = raw.len();
    if inputs.is_empty() || outputs.is_empty() {
        return Err("the model has no inputs or no outputs".into());
    }
    for &i in &inputs {
        if raw[i].kind != LayerKind::Input {
            return Err(format!("the input `{}` is not an InputLayer", raw[i].name));
        }
    }
    // Kahn's algorithm, always taking the earliest ready layer.
    let mut order = Vec::with_capacity(count);
    let mut placed = vec![false; count];
    while order.len() < count {
        let next = (0..count)
            .find(|&i| !placed[i] && sources[i].iter().all(|&s| placed[s]))
            .ok_or("the layers form a cycle")?;
        placed[next] = true;
        order.push(next);
    }
    let mut position = vec![0; count];
    for (new, &old) in order.iter().enumerate() {
        position[old] = new;
    }
    let mut raw: Vec<Option<RawLayer>> = raw.into_iter().map(Some).collect();
    let mut layers: Vec<LayerSpec> = Vec::with_capacity(count);
    for &old in &order {
        let layer = raw[old].take().ok_or("internal: a layer placed twice")?;
        let srcs: Vec<usize> = sources[old].iter().map(|&s| position[s]).collect();
        let source_shapes: Vec<&[usize]> =
            srcs.iter().map(|&s| layers[s].shape.as_slice()).collect();
        let shape = output_shape(&layer, &source_shapes)?;
        layers.push(LayerSpec {
            name: layer.name,
            kind: layer.kind,
            sources: srcs,
            shape,
            trainable: layer.trainable,
        });
    }
    let inputs: Vec<usize> = inputs.iter().map(|&i| position[i]).collect();
    let outputs: Vec<usize> = outputs.iter().map(|&i| position[i]).collect();
    for (i, layer) in layers.iter().enumerate() {
        if layer.kind == LayerKind::Input && !inputs.contains(&i) {
            return Err(format!(
                "the InputLayer `{}` is not a model input",
                layer.name
            ));
        }
    }
    Ok(Architecture {
        name,
        class_name: class.to_owned(),
        layers,
        inputs,
        outputs,
    })
}

fn output_shape(layer: &RawLayer, sources: &[&[usize]]) -> Parse<Vec<usize>> {
    let name = &layer.name;
    let one = |what: &str| -> Parse<&[usize]> {
        match sources {
            [shape] => Ok(*shape),
            _ => Err(format!(
                "layer `{name}` ({what}) reads {} tensors, not one",
                sources.len()
            )),
        }
    };
    let shape = match &layer.kind {
        LayerKind::Input => {
            if !sources.is_empty() {
                return Err(format!("the InputLayer `{name}` reads other layers"));
            }
            layer
                .input_shape
                .clone()
                .ok_or_else(|| format!("the InputLayer `{name}` has no shape"))?
        }
        LayerKind::Dense { units, .. } => {
            let input = one("Dense")?;
            let mut shape = input.to_vec();
            if let Some(last) = shape.last_mut() {
                *last = *units;
            }
            let inputs = *input.last().unwrap_or(&0);
            inputs
                .checked_mul(*units)
                .filter(|&n| n <= MAX_ELEMENTS)
                .ok_or_else(|| {
                    format!("layer `{name}`: a kernel of {inputs} x {units} is too large")
                })?;
            shape
        }
        LayerKind::Flatten => vec![elements(one("Flatten")?)?],
        LayerKind::Dropout { .. } => one("Dropout")?.to_vec(),
        LayerKind::Activation(_) => one("Activation")?.to_vec(),
        LayerKind::Concatenate => {
            let first = sources
                .first()
                .ok_or_else(|| format!("layer `{name}` (Concatenate) reads nothing"))?;
            let rank = first.len();
            if layer.axis != -1 && layer.axis != rank as i64 {
                return Err(format!(
                    "layer `{name}` concatenates on axis {}; only the last axis is supported",
                    layer.axis
                ));
            }
            let mut last = 0usize;
            for shape in sources {
                if shape.len() != rank || shape[..rank - 1] != first[..rank - 1] {
                    return Err(format!(
                        "layer `{name}` concatenates shapes {sources:?} that differ before the last axis"
                    ));
                }
                last = last
                    .checked_add(shape[rank - 1])
                    .ok_or_else(|| format!("layer `{name}` is too wide"))?;
            }
            let mut shape = first.to_vec();
            shape[rank - 1] = last;
            elements(&shape)?;
            shape
        }
        LayerKind::Op { kind, args } => {
            let named: Vec<spec::Source<'_>> = sources
                .iter()
                .map(|shape| spec::Source { name: "", shape })
                .collect();
            let at = format!("layer `{name}` ({})", kind.spec().class);
            kind.spec()
                .output_shape(&at, args, &named)
                .map_err(|error| error.message(&at))?
        }
        LayerKind::Add => {
            let first = sources
                .first()
                .ok_or_else(|| format!("layer `{name}` (Add) reads nothing"))?;
            if sources.iter().any(|s| s != first) {
                return Err(format!("layer `{name}` adds different shapes {sources:?}"));
            }
            first.to_vec()
        }
    };
    if shape.is_empty() {
        return Err(format!("layer `{name}` has an empty shape"));
    }
    Ok(shape)
}

// ---------------------------------------------------------------------------------------
// Reading the training config.
// ---------------------------------------------------------------------------------------

/// What a `training_config` says: per output its loss and weight, the metrics and the
/// optimizer's config.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingSpec {
    /// Per output, in output order: the loss with its arguments, if densely knows it.
    pub losses: Vec<Option<Loss>>,
    /// Per output, its loss weight (1 when not given).
    pub loss_weights: Vec<f32>,
    /// The metrics densely knows (others are left out).
    pub metrics: Vec<Metric>,
    /// `optimizer_config`: `{"class_name": ..., "config": {...}}`.
    pub optimizer: Option<Value>,
}

fn loss_name(value: &Value) -> Option<&str> {
    match value {
        Value::String(name) => Some(name),
        Value::Object(_) => str_field(value, "class_name")
            .or_else(|| value.get("config").and_then(|c| str_field(c, "name"))),
        _ => None,
    }
}

/// The loss a training config holds for one output, with its arguments: `Ok(None)` for a
/// loss densely doesn't know (the model then asks for one before it trains); an error for a
/// known loss whose config asks for what densely doesn't compute.
fn lookup_loss(value: &Value) -> Parse<Option<Loss>> {
    let Some(name) = loss_name(value) else {
        return Ok(None);
    };
    let name = name.rsplit('.').next().unwrap_or(name);
    let Some(kind) = LossKind::from_file_name(name) else {
        return Ok(None);
    };
    let spec = kind.spec();
    let Some(config) = value.get("config").and_then(Value::as_object) else {
        return Ok(Some(Loss::new(kind)));
    };
    let mut loss = Loss::new(kind);
    for (key, setting) in config {
        if spec.arg(key).is_some() {
            let value = arg_value(setting)
                .ok_or_else(|| format!("the {} loss's `{key}` is {setting}", spec.class))?;
            loss = loss
                .with(key, value)
                .map_err(|error| format!("the {} loss: {}", spec.class, error.message))?;
            continue;
        }
        let computed = match key.as_str() {
            "name" | "fn" | "dtype" => true,
            "reduction" => matches!(
                setting.as_str(),
                None | Some("auto" | "sum_over_batch_size")
            ),
            "axis" => setting.as_i64() == Some(-1),
            _ => setting.is_null(),
        };
        if !computed {
            return Err(format!(
                "the {} loss sets `{key}` to {setting}, which densely doesn't compute",
                spec.class
            ));
        }
    }
    Ok(Some(loss))
}

fn metric_names(value: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    match value {
        Value::String(name) => out.push(name.clone()),
        Value::Array(items) => items.iter().for_each(|i| metric_names(i, out, depth + 1)),
        Value::Object(object) => {
            if let Some(name) = object.get("config").and_then(|c| str_field(c, "name")) {
                out.push(name.to_owned());
            } else if let Some(name) = str_field(value, "class_name") {
                out.push(name.to_owned());
            } else {
                object
                    .values()
                    .for_each(|v| metric_names(v, out, depth + 1));
            }
        }
        _ => {}
    }
}

/// Parses a `training_config` JSON text for a model whose outputs are `outputs`.
pub(crate) fn parse_training_config(text: &str, outputs: &[&str]) -> Parse<TrainingSpec> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the training config is not JSON: {e}"))?;
    if !value.is_object() {
        return Err("the training config is not an object".into());
    }
    let n = outputs.len();
    let loss = value.get("loss").unwrap_or(&Value::Null);
    let losses = match loss {
        Value::Array(items) => {
            if items.len() != n {
                return Err(format!(
                    "the training config has {} losses for {n} outputs",
                    items.len()
                ));
            }
            items.iter().map(lookup_loss).collect::<Parse<_>>()?
        }
        Value::Object(map) if !map.contains_key("class_name") => outputs
            .iter()
            .map(|o| map.get(*o).map_or(Ok(None), lookup_loss))
            .collect::<Parse<_>>()?,
        other => vec![lookup_loss(other)?; n],
    };
    let loss_weights = match value.get("loss_weights") {
        None | Some(Value::Null) => vec![1.0; n],
        Some(Value::Array(items)) if items.len() == n => items
            .iter()
            .map(|w| w.as_f64().map(|w| w as f32))
            .collect::<Option<Vec<_>>>()
            .ok_or("a loss weight is not a number")?,
        Some(Value::Object(map)) => outputs
            .iter()
            .map(|o| {
                map.get(*o)
                    .and_then(Value::as_f64)
                    .map_or(1.0, |w| w as f32)
            })
            .collect(),
        Some(Value::Number(w)) if n == 1 => vec![w.as_f64().unwrap_or(1.0) as f32],
        Some(other) => return Err(format!("loss_weights {other} do not fit {n} outputs")),
    };
    let mut names = Vec::new();
    metric_names(value.get("metrics").unwrap_or(&Value::Null), &mut names, 0);
    let mut metrics = Vec::new();
    for m in names.iter().filter_map(|n| Metric::from_keras_name(n)) {
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    let optimizer = value
        .get("optimizer_config")
        .filter(|o| !o.is_null())
        .cloned();
    Ok(TrainingSpec {
        losses,
        loss_weights,
        metrics,
        optimizer,
    })
}

// ---------------------------------------------------------------------------------------
// Optimizers from their config.
// ---------------------------------------------------------------------------------------

/// Reads one optimizer hyperparameter: `Ok(None)` when absent or null.
fn number(config: &Map<String, Value>, key: &str) -> Parse<Option<f64>> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| format!("optimizer `{key}` is {n}")),
        Some(Value::Object(_)) if key == "learning_rate" => Err(
            "the learning rate is a schedule; schedules are not supported (load the weights alone)"
                .into(),
        ),
        Some(other) => Err(format!("optimizer `{key}` is {other}, not a number")),
    }
}

fn flag(config: &Map<String, Value>, key: &str) -> Parse<bool> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!("optimizer `{key}` is {other}, not a boolean")),
    }
}

/// The optimizer an `optimizer_config` describes, with every hyperparameter densely has;
/// settings densely lacks (EMA, schedules) are refused rather than dropped.
pub(crate) fn optimizer_from_config(value: &Value) -> Parse<Box<dyn Optimizer>> {
    let class = str_field(value, "class_name").ok_or("the optimizer config has no class_name")?;
    let empty = Map::new();
    let config = value
        .get("config")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let class = class.rsplit('>').next().unwrap_or(class);
    let class = class.rsplit('.').next().unwrap_or(class);
    if flag(config, "use_ema")? {
        return Err(
            "the optimizer uses an exponential moving average (use_ema), which densely lacks"
                .into(),
        );
    }
    let lr = number(config, "learning_rate")?.or(number(config, "lr")?);
    let f = |key: &str| -> Parse<Option<f32>> { Ok(number(config, key)?.map(|v| v as f32)) };
    macro_rules! common {
        ($opt:expr, $default:expr) => {{
            let mut opt = $opt;
            if let Some(v) = f("clipnorm")? {
                opt = opt.clipnorm(v);
            }
            if let Some(v) = f("clipvalue")? {
                opt = opt.clipvalue(v);
            }
            if let Some(v) = f("global_clipnorm")? {
                opt = opt.global_clipnorm(v);
            }
            if let Some(v) = f("weight_decay")? {
                opt = opt.weight_decay(v);
            }
            let _: f32 = $default;
            Box::new(opt) as Box<dyn Optimizer>
        }};
    }
    let lower = class.to_ascii_lowercase();
    let optimizer = match lower.as_str() {
        "sgd" => {
            let mut opt =
                Sgd::new(lr.map_or(0.01, |v| v as f32)).nesterov(flag(config, "nesterov")?);
            if let Some(m) = f("momentum")? {
                opt = opt.momentum(m);
            }
            common!(opt, 0.01)
        }
        "adam" | "adamw" => {
            let default_lr = 0.001;
            let lr = lr.map_or(default_lr, |v| v as f32);
            macro_rules! adam {
                ($ty:ty) => {{
                    let mut opt = <$ty>::new(lr).amsgrad(flag(config, "amsgrad")?);
                    if let Some(b) = number(config, "beta_1")? {
                        opt = opt.beta_1(b);
                    }
                    if let Some(b) = number(config, "beta_2")? {
                        opt = opt.beta_2(b);
                    }
                    if let Some(e) = f("epsilon")? {
                        opt = opt.epsilon(e);
                    }
                    common!(opt, default_lr)
                }};
            }
            if lower == "adam" {
                adam!(Adam)
            } else {
                adam!(AdamW)
            }
        }
        "rmsprop" => {
            let mut opt =
                RmsProp::new(lr.map_or(0.001, |v| v as f32)).centered(flag(config, "centered")?);
            if let Some(v) = number(config, "rho")? {
                opt = opt.rho(v);
            }
            if let Some(v) = f("momentum")? {
                opt = opt.momentum(v);
            }
            if let Some(v) = f("epsilon")? {
                opt = opt.epsilon(v);
            }
            common!(opt, 0.001)
        }
        "adagrad" => {
            let mut opt = Adagrad::new(lr.map_or(0.001, |v| v as f32));
            if let Some(v) = f("initial_accumulator_value")? {
                opt = opt.initial_accumulator_value(v);
            }
            if let Some(v) = f("epsilon")? {
                opt = opt.epsilon(v);
            }
            common!(opt, 0.001)
        }
        "nadam" => {
            let mut opt = Nadam::new(lr.map_or(0.001, |v| v as f32));
            if let Some(b) = number(config, "beta_1")? {
                opt = opt.beta_1(b);
            }
            if let Some(b) = number(config, "beta_2")? {
                opt = opt.beta_2(b);
            }
            if let Some(e) = f("epsilon")? {
                opt = opt.epsilon(e);
            }
            common!(opt, 0.001)
        }
        _ => {
            return Err(format!(
                "unsupported optimizer `{class}` (SGD, Adam, AdamW, RMSprop, Adagrad and Nadam are)"
            ))
        }
    };
    Ok(optimizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_follows_keras() {
        assert_eq!(snake_case("FashionMlp"), "fashion_mlp");
        assert_eq!(snake_case("WideAndDeep"), "wide_and_deep");
        assert_eq!(snake_case("MLP"), "mlp");
        assert_eq!(snake_case("HTTPServer2"), "http_server2");
        assert_eq!(snake_case("GlorotUniform"), "glorot_uniform");
    }

    #[test]
    fn optimizers_round_trip_through_their_config() {
        let optimizers: Vec<Box<dyn Optimizer>> = vec![
            Box::new(Sgd::new(0.05).momentum(0.9).nesterov(true).clipnorm(1.0)),
            Box::new(Adam::new(1e-3).beta_1(0.8).amsgrad(true).clipvalue(0.5)),
            Box::new(AdamW::new(2e-3).weight_decay(0.01)),
            Box::new(RmsProp::new(1e-3).rho(0.8).momentum(0.1).centered(true)),
            Box::new(Adagrad::new(0.01).initial_accumulator_value(0.2)),
            Box::new(Nadam::new(0.002).global_clipnorm(2.0)),
        ];
        for optimizer in optimizers {
            for style in [ConfigStyle::Full, ConfigStyle::TfKeras, ConfigStyle::Keras3] {
                let config = keras_optimizer_config(optimizer.as_ref(), style);
                let back = optimizer_from_config(&config).unwrap();
                assert_eq!(back.keras_class_name(), optimizer.keras_class_name());
                assert_eq!(back.config(), optimizer.config(), "{config}");
            }
            if !needs_current_tf_keras(optimizer.as_ref()) {
                let config = keras_optimizer_config(optimizer.as_ref(), ConfigStyle::Portable);
                let back = optimizer_from_config(&config).unwrap();
                assert_eq!(back.config(), optimizer.config(), "{config}");
                let keys = config["config"].as_object().unwrap();
                assert!(!keys.contains_key("use_ema") && !keys.contains_key("weight_decay"));
            }
        }
    }

    #[test]
    fn keras_2_optimizer_configs_load() {
        let config = json!({"class_name": "Custom>Adam", "config": {"name": "Adam", "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "jit_compile": false, "is_legacy_optimizer": false, "learning_rate": 0.0010000000474974513, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}});
        let adam = optimizer_from_config(&config).unwrap();
        assert_eq!(adam.keras_class_name(), "Adam");
        assert_eq!(adam.learning_rate(), 0.001);
        let unknown = json!({"class_name": "Ftrl", "config": {}});
        assert!(optimizer_from_config(&unknown)
            .unwrap_err()
            .contains("Ftrl"));
        let schedule = json!({"class_name": "SGD", "config": {"learning_rate": {"class_name": "ExponentialDecay"}}});
        assert!(optimizer_from_config(&schedule)
            .unwrap_err()
            .contains("schedule"));
    }

    #[test]
    fn both_inbound_node_forms_give_the_same_sources() {
        let keras2 = json!([["a", 0, 0, {}], ["b", 0, 0, {}]]);
        let keras3 = json!({"args": [[
            {"class_name": "__keras_tensor__", "config": {"shape": [null, 5], "keras_history": ["a", 0, 0]}},
            {"class_name": "__keras_tensor__", "config": {"shape": [null, 5], "keras_history": ["b", 0, 0]}}
        ]], "kwargs": {}});
        let expected = vec![("a".to_owned(), 0), ("b".to_owned(), 0)];
        assert_eq!(inbound_sources(&keras2, "x").unwrap(), expected);
        assert_eq!(inbound_sources(&keras3, "x").unwrap(), expected);
    }

    #[test]
    fn cycles_and_unknown_sources_are_refused() {
        let config = json!({"class_name": "Functional", "config": {"name": "m", "layers": [
            {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [null, 3]}, "name": "x", "inbound_nodes": []},
            {"class_name": "Dense", "config": {"name": "a", "units": 2}, "name": "a", "inbound_nodes": [[["b", 0, 0, {}]]]},
            {"class_name": "Dense", "config": {"name": "b", "units": 2}, "name": "b", "inbound_nodes": [[["a", 0, 0, {}]]]}
        ], "input_layers": [["x", 0, 0]], "output_layers": [["b", 0, 0]]}});
        assert!(architecture(&config).unwrap_err().contains("cycle"));
        let mut unknown = config.clone();
        unknown["config"]["layers"][1]["inbound_nodes"] = json!([[["nowhere", 0, 0, {}]]]);
        assert!(architecture(&unknown).unwrap_err().contains("nowhere"));
    }

    /// A Dense layer's rules are read as Keras wrote them, and the ones densely doesn't
    /// compute are refused by name rather than dropped.
    #[test]
    fn dense_rules_are_read_or_refused_by_name() {
        let config = json!({
            "name": "d",
            "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L1L2",
                "config": {"l1": 0.5, "l2": 0.25}, "registered_name": null},
            "bias_constraint": {"class_name": "NonNeg", "config": {}},
            "kernel_constraint": null,
        });
        let rules = dense_rules(&config, "d").unwrap();
        let l1_l2 = rules.get("kernel", spec::RuleRole::Regularizer).unwrap();
        assert_eq!((l1_l2.number("l1"), l1_l2.number("l2")), (0.5, 0.25));
        assert_eq!(
            rules.get("bias", spec::RuleRole::Constraint).unwrap().kind,
            spec::RuleKind::NonNeg
        );
        assert!(rules.get("kernel", spec::RuleRole::Constraint).is_none());
        let refused = |key: &str, value: Value| {
            let mut config = config.clone();
            config[key] = value;
            dense_rules(&config, "d").unwrap_err()
        };
        assert_eq!(
            refused("kernel_regularizer", json!({"class_name": "OrthogonalRegularizer", "config": {}})),
            "layer `d`: `kernel_regularizer` is `OrthogonalRegularizer`, which densely doesn't compute"
        );
        assert_eq!(
            refused(
                "activity_regularizer",
                json!({"class_name": "L2", "config": {"l2": 0.1}})
            ),
            "layer `d` has an activity_regularizer, which densely doesn't compute"
        );
        assert!(refused(
            "kernel_constraint",
            json!({"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 1}})
        )
        .contains("densely computes it only with `axis = 0`"));
    }

    mod fuzz {
        use super::super::*;
        use proptest::prelude::*;

        /// Words that steer the parser into its branches.
        const WORDS: &[&str] = &[
            "class_name",
            "config",
            "name",
            "layers",
            "inbound_nodes",
            "input_layers",
            "output_layers",
            "batch_input_shape",
            "batch_shape",
            "build_input_shape",
            "units",
            "activation",
            "use_bias",
            "rate",
            "axis",
            "args",
            "kwargs",
            "keras_history",
            "__keras_tensor__",
            "Sequential",
            "Functional",
            "Model",
            "InputLayer",
            "Dense",
            "Flatten",
            "Dropout",
            "Activation",
            "Concatenate",
            "Add",
            "relu",
            "softmax",
            "x",
            "y",
            "d",
            "loss",
            "loss_weights",
            "metrics",
            "optimizer_config",
            "SGD",
            "Adam",
            "learning_rate",
            "momentum",
            "mse",
            "accuracy",
        ];

        fn word() -> impl Strategy<Value = String> {
            prop::sample::select(WORDS).prop_map(str::to_owned)
        }

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                (-3i64..40).prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(Value::from),
                word().prop_map(Value::from),
            ];
            leaf.prop_recursive(5, 96, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec((word(), inner), 0..6)
                        .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
                ]
            })
        }

        /// A valid Functional config in Keras 2's layout, to mutate.
        fn functional() -> Value {
            json!({"class_name": "Functional", "config": {"name": "m", "layers": [
                {"class_name": "InputLayer", "config": {"name": "a", "batch_input_shape": [null, 5]}, "name": "a", "inbound_nodes": []},
                {"class_name": "InputLayer", "config": {"name": "b", "batch_shape": [null, 2, 3]}, "name": "b", "inbound_nodes": []},
                {"class_name": "Flatten", "config": {"name": "f"}, "name": "f", "inbound_nodes": [[["b", 0, 0, {}]]]},
                {"class_name": "Dense", "config": {"name": "d", "units": 5, "activation": "relu"}, "name": "d", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["f", 0, 0]}}], "kwargs": {}}]},
                {"class_name": "Add", "config": {"name": "s"}, "name": "s", "inbound_nodes": [[["a", 0, 0, {}], ["d", 0, 0, {}]]]},
                {"class_name": "Dropout", "config": {"name": "r", "rate": 0.5}, "name": "r", "inbound_nodes": [[["s", 0, 0, {}]]]},
                {"class_name": "Concatenate", "config": {"name": "c", "axis": -1}, "name": "c", "inbound_nodes": [[["r", 0, 0, {}], ["a", 0, 0, {}]]]},
                {"class_name": "Activation", "config": {"name": "y", "activation": "softmax"}, "name": "y", "inbound_nodes": [[["c", 0, 0, {}]]]}
            ], "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["y", 0, 0]]}})
        }

        /// Replaces the `n`-th node (depth first) of `value` by `replacement`.
        fn replace_nth(value: &mut Value, n: &mut usize, replacement: &Value) -> bool {
            if *n == 0 {
                *value = replacement.clone();
                return true;
            }
            *n -= 1;
            match value {
                Value::Array(items) => items.iter_mut().any(|v| replace_nth(v, n, replacement)),
                Value::Object(map) => map.values_mut().any(|v| replace_nth(v, n, replacement)),
                _ => false,
            }
        }

        fn exercise(value: &Value) {
            if let Ok(architecture) = architecture(value) {
                // What parses is consistent: sources come first, shapes are not empty.
                for (i, layer) in architecture.layers.iter().enumerate() {
                    assert!(layer.sources.iter().all(|&s| s < i));
                    assert!(!layer.shape.is_empty());
                    let _ = architecture.params(i);
                }
            }
            let text = value.to_string();
            let _ = parse_training_config(&text, &["y"]);
            let _ = parse_training_config(&text, &["y", "z"]);
            let _ = optimizer_from_config(value);
        }

        proptest! {
            // A few hundred cases keep `cargo test` fast; `PROPTEST_CASES=N` runs more.
            #![proptest_config(ProptestConfig {
                cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(384),
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            /// Any JSON at all: never a panic.
            #[test]
            fn arbitrary_json_never_panics(value in json_value()) {
                exercise(&value);
                exercise(&json!({"class_name": "Functional", "config": {"layers": [value.clone()]}}));
                exercise(&json!({"class_name": "Sequential", "config": {"layers": [value]}}));
            }

            /// A valid config with one node replaced by anything: never a panic.
            #[test]
            fn mutated_configs_never_panic(at in 0usize..200, replacement in json_value()) {
                let mut config = functional();
                let mut n = at;
                replace_nth(&mut config, &mut n, &replacement);
                exercise(&config);
            }

            /// Arbitrary text: never a panic.
            #[test]
            fn arbitrary_text_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
                let text = String::from_utf8_lossy(&bytes);
                let _ = parse_model_config(&text);
                let _ = parse_training_config(&text, &["y"]);
            }
        }

        #[test]
        fn the_seed_config_parses() {
            let architecture = architecture(&functional()).unwrap();
            assert_eq!(architecture.layers.len(), 8);
            assert_eq!(architecture.layers[7].shape, [10]);
        }
    }
}
