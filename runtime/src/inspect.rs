//! Looking inside a model as Keras lets you: `summary()`, `model.layers`, `get_layer(name)`,
//! and each layer's `get_weights()` / `set_weights()`.
//!
//! The typed path stays the fields of the generated struct (`model.hidden1.get_weights()`
//! returns an `IN x OUT` matrix view). [`Inspect`] adds the dynamic path of the book: layers by
//! index or by name, whatever their type, with their weights as plain [`Array`]s whose shapes
//! are checked when they are set back.
//!
//! ```
//! use densely::inspect::Array;
//! use densely::prelude::*;
//!
//! model! {
//!     pub struct FashionMlp {
//!         input image: [28, 28];
//!         flatten = Flatten;
//!         hidden1 = Dense(300, relu);
//!         hidden2 = Dense(100, relu);
//!         output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
//!     }
//! }
//!
//! let mut model = FashionMlp::new();
//! let layers = model.layers();                       // Keras's model.layers
//! assert_eq!(layers.len(), 4);
//! let hidden1 = &layers[1];                          // model.layers[1]
//! assert_eq!(hidden1.name(), "hidden1");
//! let weights = hidden1.get_weights();               // weights, biases = hidden1.get_weights()
//! assert_eq!(weights[0].shape(), [784, 300]);
//! assert_eq!(weights[1].shape(), [300]);
//!
//! let mut hidden2 = model.layer_mut("hidden2")?;     // model.get_layer("hidden2")
//! let kernel = Array::new([300, 100], vec![0.5; 30_000])?;
//! let bias = Array::zeros([100]);
//! hidden2.set_weights(&[kernel, bias])?;
//! let wrong = hidden2.set_weights(&[Array::zeros([100, 300]), Array::zeros([100])]);
//! assert_eq!(
//!     wrong.unwrap_err().to_string(),
//!     "layer `hidden2` kernel: expected shape (300, 100), got (100, 300)"
//! );
//! assert_eq!(model.hidden2.kernel()[(0, 0)], 0.5);
//! # Ok::<(), densely::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::error::{Error, Result};
use crate::graph::{Graph, Node, NodeKind};
use crate::layers::{Param, ParamMut};
use crate::network::Network;
use crate::plot::{plot_graph, PlotOptions};
use crate::summary::Summary;

/// An n-dimensional array of weights, row-major, as Keras's `get_weights()` returns NumPy
/// arrays.
#[derive(Clone, PartialEq)]
pub struct Array {
    shape: Vec<usize>,
    values: Vec<f32>,
}

impl Array {
    /// An array of `shape` holding `values` (row-major); errors unless their counts agree.
    pub fn new(shape: impl Into<Vec<usize>>, values: Vec<f32>) -> Result<Self> {
        let shape = shape.into();
        let size: usize = shape.iter().product();
        if size != values.len() {
            return Err(Error::shape(
                format!("array of shape {}", tuple_shape(&shape)),
                format!("{size} values"),
                format!("{} values", values.len()),
            ));
        }
        Ok(Array { shape, values })
    }

    /// An array of `shape` filled with zeros.
    pub fn zeros(shape: impl Into<Vec<usize>>) -> Self {
        let shape = shape.into();
        let size = shape.iter().product();
        Array {
            shape,
            values: vec![0.0; size],
        }
    }

    /// Its shape, like NumPy's `a.shape`.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Its values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Its values, writable.
    pub fn values_mut(&mut self) -> &mut [f32] {
        &mut self.values
    }

    /// Its values, consuming the array.
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether it holds no value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.values.len().min(6);
        write!(f, "Array(shape={}, [", tuple_shape(&self.shape))?;
        for (index, value) in self.values[..shown].iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{value}")?;
        }
        if shown < self.values.len() {
            f.write_str(", ...")?;
        }
        f.write_str("])")
    }
}

/// A shape as Python prints a tuple: `(784, 300)`, `(300,)`.
pub fn tuple_shape(shape: &[usize]) -> String {
    match shape {
        [single] => format!("({single},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// Keras's ways of looking inside a model, for every `model!` struct: in the prelude.
pub trait Inspect: Network {
    /// Prints Keras's summary table (see [`Summary`]).
    fn summary(&self) {
        print!("{}", self.summary_string());
    }

    /// Keras's summary table as text, at Keras's default width.
    fn summary_string(&self) -> String {
        let frozen = self.training_state().frozen();
        Summary::of(self.graph()).frozen(frozen).to_string()
    }

    /// Keras's `keras.utils.plot_model(model, to_file, ...)`: the model's graph drawn to
    /// `to_file`, as PNG, SVG or DOT text by the file's extension; for any model, declared or
    /// built at run time.
    fn plot_model(&self, to_file: impl AsRef<std::path::Path>, options: PlotOptions) -> Result<()> {
        plot_graph(self.graph(), to_file, options)
    }

    /// Keras's `model.layers`: every layer but the inputs, in declaration order, so that
    /// `layers()[1]` of the book's model is `hidden1`.
    fn layers(&self) -> Vec<LayerRef<'_>> {
        let graph = self.graph();
        (0..graph.nodes.len())
            .filter(|&index| graph.nodes[index].kind != NodeKind::Input)
            .map(|index| LayerRef {
                graph,
                index,
                model: self,
            })
            .collect()
    }

    /// Keras's `model.get_layer(name)`: the layer (or input) called `name`; the error lists the
    /// names there are.
    fn layer(&self, name: &str) -> Result<LayerRef<'_>> {
        let graph = self.graph();
        let index = node_index(graph, name)?;
        Ok(LayerRef {
            graph,
            index,
            model: self,
        })
    }

    /// The layer called `name`, writable: its weights can be set.
    fn layer_mut(&mut self, name: &str) -> Result<LayerMut<'_>> {
        let index = node_index(self.graph(), name)?;
        // The graph is copied so that the layer can hold the model writable; a declared
        // model's graph is a constant, and the copy costs nothing.
        let graph = Cow::Owned(self.graph().clone());
        Ok(LayerMut {
            graph,
            index,
            model: self,
        })
    }

    /// Keras's `model.get_weights()`: copies of every weight, layer by layer, kernel before
    /// bias.
    fn get_weights(&self) -> Vec<Array> {
        let mut weights = Vec::new();
        self.visit_params(&mut |_, param| {
            weights.push(Array {
                shape: param.shape.to_vec(),
                values: param.value.to_vec(),
            })
        });
        weights
    }

    /// Keras's `model.set_weights(weights)`: one array per weight, in
    /// [`get_weights`](Inspect::get_weights)'s order and shapes. Every array is checked before
    /// any is copied, so on an error (which names the layer, the weight and both shapes) the
    /// model is unchanged.
    fn set_weights(&mut self, weights: &[Array]) -> Result<()> {
        let mut expected: Vec<(String, &'static str, Vec<usize>)> = Vec::new();
        self.visit_params(&mut |layer, param| {
            expected.push((layer.to_owned(), param.name, param.shape.to_vec()))
        });
        if weights.len() != expected.len() {
            return Err(Error::shape(
                format!("`{}` weights", self.graph().name),
                format!("{} arrays", expected.len()),
                format!("{} arrays", weights.len()),
            ));
        }
        for ((layer, weight, shape), array) in expected.iter().zip(weights) {
            check_weight_shape(layer, weight, shape, array)?;
        }
        let mut next = weights.iter();
        self.visit_params_mut(&mut |_, param| {
            if let Some(array) = next.next() {
                param.value.copy_from_slice(array.values());
            }
        });
        Ok(())
    }
}

impl<N: Network> Inspect for N {}

fn node_index(graph: &Graph, name: &str) -> Result<usize> {
    graph
        .nodes
        .iter()
        .position(|node| node.name == name)
        .ok_or_else(|| Error::UnknownLayer {
            name: name.to_string(),
            known: graph
                .nodes
                .iter()
                .map(|node| format!("`{}`", node.name))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The parameter visitors of a model, object-safe.
trait Params {
    fn visit(&self, visit: &mut dyn FnMut(&str, Param<'_>));
    fn visit_mut(&mut self, visit: &mut dyn FnMut(&str, ParamMut<'_>));
}

impl<N: Network> Params for N {
    fn visit(&self, visit: &mut dyn FnMut(&str, Param<'_>)) {
        self.visit_params(visit);
    }

    fn visit_mut(&mut self, visit: &mut dyn FnMut(&str, ParamMut<'_>)) {
        self.visit_params_mut(visit);
    }
}

/// What both layer views read from the graph.
macro_rules! layer_description {
    () => {
        /// The layer's name (Keras's `layer.name`).
        pub fn name(&self) -> &str {
            &self.node().name
        }

        /// Keras's class name: `Dense`, `Flatten`, `InputLayer`, ...
        pub fn class_name(&self) -> &'static str {
            self.node().kind.keras_class_name()
        }

        /// What the layer computes, with its hyperparameters.
        pub fn kind(&self) -> &NodeKind {
            &self.node().kind
        }

        /// The node in the model's graph.
        pub fn node(&self) -> &Node {
            &self.graph.nodes[self.index]
        }

        /// The shape of one sample of its output (Keras's `output.shape` without the batch
        /// axis).
        pub fn output_shape(&self) -> &[usize] {
            &self.node().shape
        }

        /// The shape of one sample of each of its inputs, in order (none for an input).
        pub fn input_shapes(&self) -> Vec<&[usize]> {
            self.node()
                .sources
                .iter()
                .map(|&source| &self.graph.nodes[source].shape[..])
                .collect()
        }

        /// The names of the layers it reads.
        pub fn inbound_layers(&self) -> Vec<&str> {
            self.node()
                .sources
                .iter()
                .map(|&source| &self.graph.nodes[source].name[..])
                .collect()
        }

        /// Its number of trainable parameters (Keras's `count_params()`).
        pub fn count_params(&self) -> usize {
            self.node().params
        }
    };
}

/// A layer of a model, read-only: what `model.layers[i]` is in Keras.
pub struct LayerRef<'m> {
    graph: &'m Graph,
    index: usize,
    model: &'m dyn Params,
}

impl LayerRef<'_> {
    layer_description!();

    /// Keras's `get_weights()`: copies of its weights, kernel before bias.
    pub fn get_weights(&self) -> Vec<Array> {
        collect_weights(self.model, self.name())
    }

    /// The names and shapes of its weights: `[("kernel", [784, 300]), ("bias", [300])]`.
    pub fn weight_shapes(&self) -> Vec<(&'static str, Vec<usize>)> {
        weight_shapes(self.model, self.name())
    }
}

/// A layer of a model, writable: its weights can be replaced.
pub struct LayerMut<'m> {
    graph: Cow<'m, Graph>,
    index: usize,
    model: &'m mut dyn Params,
}

impl LayerMut<'_> {
    layer_description!();

    /// Keras's `get_weights()`: copies of its weights, kernel before bias.
    pub fn get_weights(&self) -> Vec<Array> {
        collect_weights(&*self.model, self.name())
    }

    /// The names and shapes of its weights.
    pub fn weight_shapes(&self) -> Vec<(&'static str, Vec<usize>)> {
        weight_shapes(&*self.model, self.name())
    }

    /// Keras's `set_weights()`: one array per weight, in [`get_weights`](Self::get_weights)'s
    /// order and shapes. Every array is checked before any is copied, so on an error (which
    /// names the layer, the weight and both shapes) the layer is unchanged.
    pub fn set_weights(&mut self, weights: &[Array]) -> Result<()> {
        let name = self.name().to_owned();
        let name = name.as_str();
        let expected = weight_shapes(&*self.model, name);
        if weights.len() != expected.len() {
            let listed: Vec<String> = expected
                .iter()
                .map(|(weight, shape)| format!("{weight} {}", tuple_shape(shape)))
                .collect();
            let plural = |n: usize| if n == 1 { "array" } else { "arrays" };
            return Err(Error::shape(
                format!("layer `{name}` weights"),
                format!(
                    "{} {}{}{}",
                    expected.len(),
                    plural(expected.len()),
                    if listed.is_empty() { "" } else { ": " },
                    listed.join(", ")
                ),
                format!("{} {}", weights.len(), plural(weights.len())),
            ));
        }
        for ((weight, shape), array) in expected.iter().zip(weights) {
            check_weight_shape(name, weight, shape, array)?;
        }
        let mut next = weights.iter();
        self.model.visit_mut(&mut |layer, param| {
            if layer == name {
                if let Some(array) = next.next() {
                    param.value.copy_from_slice(array.values());
                }
            }
        });
        Ok(())
    }
}

/// An error naming the layer, the weight and both shapes unless `array` has `shape`.
fn check_weight_shape(layer: &str, weight: &str, shape: &[usize], array: &Array) -> Result<()> {
    if array.shape() == shape {
        return Ok(());
    }
    Err(Error::shape(
        format!("layer `{layer}` {weight}"),
        format!("shape {}", tuple_shape(shape)),
        tuple_shape(array.shape()),
    ))
}

fn collect_weights(model: &dyn Params, name: &str) -> Vec<Array> {
    let mut weights = Vec::new();
    model.visit(&mut |layer, param| {
        if layer == name {
            weights.push(Array {
                shape: param.shape.to_vec(),
                values: param.value.to_vec(),
            });
        }
    });
    weights
}

fn weight_shapes(model: &dyn Params, name: &str) -> Vec<(&'static str, Vec<usize>)> {
    let mut shapes = Vec::new();
    model.visit(&mut |layer, param| {
        if layer == name {
            shapes.push((param.name, param.shape.to_vec()));
        }
    });
    shapes
}

impl fmt::Debug for LayerRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} name={}>", self.class_name(), self.name())
    }
}

impl fmt::Debug for LayerMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} name={}>", self.class_name(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_print_as_python_tuples() {
        assert_eq!(tuple_shape(&[784, 300]), "(784, 300)");
        assert_eq!(tuple_shape(&[300]), "(300,)");
        assert_eq!(tuple_shape(&[]), "()");
    }

    #[test]
    fn arrays_check_their_sizes() {
        assert!(Array::new([2, 3], vec![0.0; 6]).is_ok());
        let err = Array::new([2, 3], vec![0.0; 5]).unwrap_err().to_string();
        assert_eq!(
            err,
            "array of shape (2, 3): expected 6 values, got 5 values"
        );
        assert_eq!(
            format!("{:?}", Array::zeros([2, 4])),
            "Array(shape=(2, 4), [0, 0, 0, 0, 0, 0, ...])"
        );
    }
}
