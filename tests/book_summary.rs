//! `summary()` against what Keras 3.15 printed for the same models, character for character.
//!
//! Each expected text is Keras's own output, captured with
//! `model.summary(print_fn=...)` (and `line_length=` where a test sets one) in a terminal wide
//! enough not to crop it; the Python that built the models is beside each test.

mod common;

use common::book::{FashionMlp, MultiOutput, Residual, WideAndDeep};
use densely::inspect::Array;
use densely::prelude::*;
use densely::summary::{KerasLayout, Summary};

model! {
    struct Chain {
        input an_input_with_a_rather_long_name_indeed: [3, 4];
        flatten_everything_into_one_dimension_please = Flatten;
        output d = Dense(1234), loss = mse;
        output e = Dense(2), loss = mse;
    }
}

/// Compares line by line first, so that a failure shows the first line that differs.
fn assert_same(actual: &str, expected: &str) {
    for (number, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
        assert_eq!(a, e, "line {} differs\n{actual}", number + 1);
    }
    assert_eq!(actual, expected);
}

// keras.Sequential([Input(shape=[28, 28]), Flatten(name="flatten"),
//     Dense(300, activation="relu", name="hidden1"), Dense(100, activation="relu", name="hidden2"),
//     Dense(10, activation="softmax", name="probs")], name="FashionMlp")
const FASHION_MLP: &str = r#"Model: "FashionMlp"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ flatten (Flatten)                    │ (None, 784)                 │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ hidden1 (Dense)                      │ (None, 300)                 │         235,500 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ hidden2 (Dense)                      │ (None, 100)                 │          30,100 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ probs (Dense)                        │ (None, 10)                  │           1,010 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 266,610 (1.02 MB)
 Trainable params: 266,610 (1.02 MB)
 Non-trainable params: 0 (0.00 B)
"#;

// Functional: wide_input (5), deep_input (6), hidden1 and hidden2 (Dense 30 relu),
// concat = concatenate([wide_input, hidden2]), main_output = Dense(1)(concat),
// aux_output = Dense(1)(hidden2); keras.Model([wide_input, deep_input], [main_output, aux_output]).
const WIDE_AND_DEEP: &str = r#"Model: "WideAndDeep"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ deep_input (InputLayer)       │ (None, 6)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ hidden1 (Dense)               │ (None, 30)                │             210 │ deep_input[0][0]           │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ wide_input (InputLayer)       │ (None, 5)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ hidden2 (Dense)               │ (None, 30)                │             930 │ hidden1[0][0]              │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ concat (Concatenate)          │ (None, 35)                │               0 │ wide_input[0][0],          │
│                               │                           │                 │ hidden2[0][0]              │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ main_output (Dense)           │ (None, 1)                 │              36 │ concat[0][0]               │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ aux_output (Dense)            │ (None, 1)                 │              31 │ hidden2[0][0]              │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 1,207 (4.71 KB)
 Trainable params: 1,207 (4.71 KB)
 Non-trainable params: 0 (0.00 B)
"#;

#[test]
fn the_books_mlp_prints_keras_table_and_266_610_params() {
    let model = FashionMlp::new();
    assert_same(&model.summary_string(), FASHION_MLP);
    assert_eq!(model.count_params(), 266_610);
}

#[test]
fn wide_and_deep_prints_keras_functional_table_with_connections() {
    assert_same(&WideAndDeep::new().summary_string(), WIDE_AND_DEEP);
}

#[test]
fn a_merge_of_three_sources_wraps_its_connections() {
    // add([stem, branch2, branch1]), Activation("gelu"), Dense(3, "sigmoid").
    let expected = r#"Model: "Residual"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ x (InputLayer)                │ (None, 8)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ stem (Dense)                  │ (None, 12)                │             108 │ x[0][0]                    │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ branch1 (Dense)               │ (None, 12)                │             156 │ stem[0][0]                 │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ branch2 (Dense)               │ (None, 12)                │             156 │ branch1[0][0]              │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ sum (Add)                     │ (None, 12)                │               0 │ stem[0][0], branch2[0][0], │
│                               │                           │                 │ branch1[0][0]              │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ activated (Activation)        │ (None, 12)                │               0 │ sum[0][0]                  │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ y (Dense)                     │ (None, 3)                 │              39 │ activated[0][0]            │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 459 (1.79 KB)
 Trainable params: 459 (1.79 KB)
 Non-trainable params: 0 (0.00 B)
"#;
    assert_same(&Summary::of(Residual::GRAPH).to_string(), expected);
}

#[test]
fn several_outputs_are_listed_in_keras_order() {
    let expected = r#"Model: "MultiOutput"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ features (InputLayer)         │ (None, 7)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ hidden (Dense)                │ (None, 16)                │             128 │ features[0][0]             │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ leaky (Dense)                 │ (None, 16)                │             256 │ hidden[0][0]               │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ soft (Dense)                  │ (None, 10)                │             170 │ leaky[0][0]                │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ dropped (Dropout)             │ (None, 10)                │               0 │ soft[0][0]                 │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ classes (Dense)               │ (None, 4)                 │              44 │ dropped[0][0]              │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ logits (Dense)                │ (None, 5)                 │              85 │ hidden[0][0]               │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ score (Dense)                 │ (None, 1)                 │               5 │ classes[0][0]              │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ labels (Activation)           │ (None, 5)                 │               0 │ logits[0][0]               │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ value (Dense)                 │ (None, 2)                 │              34 │ hidden[0][0]               │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 722 (2.82 KB)
 Trainable params: 722 (2.82 KB)
 Non-trainable params: 0 (0.00 B)
"#;
    assert_same(&Summary::of(MultiOutput::GRAPH).to_string(), expected);
}

#[test]
fn a_chain_with_two_outputs_is_functional_without_connections_and_long_names_are_cut() {
    let expected = r#"Model: "Chain"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ an_input_with_a_rather_long_name_in… │ (None, 3, 4)                │               0 │
│ (InputLayer)                         │                             │                 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ flatten_everything_into_one_dimensi… │ (None, 12)                  │               0 │
│ (Flatten)                            │                             │                 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ d (Dense)                            │ (None, 1234)                │          16,042 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ e (Dense)                            │ (None, 2)                   │           2,470 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 18,512 (72.31 KB)
 Trainable params: 18,512 (72.31 KB)
 Non-trainable params: 0 (0.00 B)
"#;
    assert_same(&Summary::of(Chain::GRAPH).to_string(), expected);
    let layout = KerasLayout::of(Chain::GRAPH);
    assert!(!layout.sequential && !layout.connections);
}

#[test]
fn line_length_narrows_the_table_as_keras_does() {
    // model.summary(line_length=60) and model.summary(line_length=70).
    let expected = r#"Model: "FashionMlp"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ flatten (Flatten)        │ (None, 784)       │         0 │
├──────────────────────────┼───────────────────┼───────────┤
│ hidden1 (Dense)          │ (None, 300)       │   235,500 │
├──────────────────────────┼───────────────────┼───────────┤
│ hidden2 (Dense)          │ (None, 100)       │    30,100 │
├──────────────────────────┼───────────────────┼───────────┤
│ probs (Dense)            │ (None, 10)        │     1,010 │
└──────────────────────────┴───────────────────┴───────────┘
 Total params: 266,610 (1.02 MB)
 Trainable params: 266,610 (1.02 MB)
 Non-trainable params: 0 (0.00 B)
"#;
    assert_same(
        &Summary::of(FashionMlp::GRAPH).line_length(60).to_string(),
        expected,
    );
    let expected = r#"Model: "WideAndDeep"
┏━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)       ┃ Output Shape    ┃  Param # ┃ Connected to     ┃
┡━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━┩
│ deep_input         │ (None, 6)       │        0 │ -                │
│ (InputLayer)       │                 │          │                  │
├────────────────────┼─────────────────┼──────────┼──────────────────┤
│ hidden1 (Dense)    │ (None, 30)      │      210 │ deep_input[0][0] │
├────────────────────┼─────────────────┼──────────┼──────────────────┤
│ wide_input         │ (None, 5)       │        0 │ -                │
│ (InputLayer)       │                 │          │                  │
├────────────────────┼─────────────────┼──────────┼──────────────────┤
│ hidden2 (Dense)    │ (None, 30)      │      930 │ hidden1[0][0]    │
├────────────────────┼─────────────────┼──────────┼──────────────────┤
│ concat             │ (None, 35)      │        0 │ wide_input[0][0… │
│ (Concatenate)      │                 │          │ hidden2[0][0]    │
├────────────────────┼─────────────────┼──────────┼──────────────────┤
│ main_output        │ (None, 1)       │       36 │ concat[0][0]     │
│ (Dense)            │                 │          │                  │
├────────────────────┼─────────────────┼──────────┼──────────────────┤
│ aux_output (Dense) │ (None, 1)       │       31 │ hidden2[0][0]    │
└────────────────────┴─────────────────┴──────────┴──────────────────┘
 Total params: 1,207 (4.71 KB)
 Trainable params: 1,207 (4.71 KB)
 Non-trainable params: 0 (0.00 B)
"#;
    assert_same(
        &Summary::of(WideAndDeep::GRAPH).line_length(70).to_string(),
        expected,
    );
}

#[test]
fn layers_by_index_skip_the_input_like_keras_model_layers() {
    let model = FashionMlp::new();
    let layers = model.layers();
    let names: Vec<_> = layers.iter().map(|layer| layer.name()).collect();
    assert_eq!(names, ["flatten", "hidden1", "hidden2", "probs"]);
    let hidden1 = &layers[1];
    assert_eq!(hidden1.class_name(), "Dense");
    assert_eq!(hidden1.input_shapes(), [&[784][..]]);
    assert_eq!(hidden1.output_shape(), [300]);
    assert_eq!(hidden1.count_params(), 235_500);
    assert_eq!(
        hidden1.weight_shapes(),
        [("kernel", vec![784, 300]), ("bias", vec![300])]
    );
    assert_eq!(format!("{hidden1:?}"), "<Dense name=hidden1>");
    assert!(layers[0].get_weights().is_empty());
}

#[test]
fn get_weights_has_keras_shapes_and_the_typed_values() {
    let model = FashionMlp::new();
    let weights = model.layer("hidden1").unwrap().get_weights();
    assert_eq!(weights.len(), 2);
    assert_eq!(weights[0].shape(), [784, 300]);
    assert_eq!(weights[1].shape(), [300]);
    let (kernel, bias) = model.hidden1.get_weights();
    assert_eq!(kernel.shape(), (784, 300));
    assert_eq!(weights[0].values()[1], kernel[(0, 1)]);
    assert_eq!(weights[0].values()[300], kernel[(1, 0)]);
    assert!(bias.unwrap().iter().all(|&b| b == 0.0));
    // The graph's inputs are layers by name too, as in Keras's get_layer.
    let input = model.layer("image").unwrap();
    assert_eq!(
        (input.class_name(), input.output_shape()),
        ("InputLayer", &[28, 28][..])
    );
}

#[test]
fn set_weights_round_trips_and_reaches_the_typed_field() {
    let mut model = WideAndDeep::new();
    let mut weights = model.layer("main_output").unwrap().get_weights();
    weights[0]
        .values_mut()
        .iter_mut()
        .enumerate()
        .for_each(|(i, w)| *w = i as f32);
    weights[1] = Array::new([1], vec![-2.5]).unwrap();
    model
        .layer_mut("main_output")
        .unwrap()
        .set_weights(&weights)
        .unwrap();
    assert_eq!(model.layer("main_output").unwrap().get_weights(), weights);
    assert_eq!(model.main_output.kernel()[(34, 0)], 34.0);
    assert_eq!(model.main_output.bias().unwrap()[0], -2.5);
}

#[test]
fn set_weights_errors_name_the_layer_and_both_shapes_and_change_nothing() {
    let mut model = FashionMlp::new();
    let before = model.layer("hidden2").unwrap().get_weights();
    let mut hidden2 = model.layer_mut("hidden2").unwrap();

    let transposed = [Array::zeros([100, 300]), Array::zeros([100])];
    let err = hidden2.set_weights(&transposed).unwrap_err();
    assert!(matches!(err, densely::Error::Shape { .. }));
    assert_eq!(
        err.to_string(),
        "layer `hidden2` kernel: expected shape (300, 100), got (100, 300)"
    );

    let bad_bias = [Array::zeros([300, 100]), Array::zeros([10])];
    let err = hidden2.set_weights(&bad_bias).unwrap_err().to_string();
    assert_eq!(
        err,
        "layer `hidden2` bias: expected shape (100,), got (10,)"
    );

    let err = hidden2
        .set_weights(&[Array::zeros([300, 100])])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "layer `hidden2` weights: expected 2 arrays: kernel (300, 100), bias (100,), got 1 array"
    );

    let err = model
        .layer_mut("flatten")
        .unwrap()
        .set_weights(&before)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "layer `flatten` weights: expected 0 arrays, got 2 arrays"
    );
    assert_eq!(model.layer("hidden2").unwrap().get_weights(), before);
}

/// Keras's `model.get_weights()` / `model.set_weights()`: every array, layer by layer.
#[test]
fn model_weights_round_trip_and_errors_change_nothing() {
    let source = WideAndDeep::with_seed(3);
    let weights = source.get_weights();
    let shapes: Vec<&[usize]> = weights.iter().map(Array::shape).collect();
    assert_eq!(
        shapes,
        [
            &[6, 30][..],
            &[30],
            &[30, 30],
            &[30],
            &[35, 1],
            &[1],
            &[30, 1],
            &[1]
        ]
    );
    assert_eq!(
        weights[2],
        source.layer("hidden2").unwrap().get_weights()[0]
    );

    let mut model = WideAndDeep::with_seed(4);
    assert_ne!(model.get_weights(), weights);
    model.set_weights(&weights).unwrap();
    assert_eq!(model.get_weights(), weights);

    let before = model.get_weights();
    let mut swapped = weights.clone();
    swapped.swap(4, 6);
    let err = model.set_weights(&swapped).unwrap_err().to_string();
    assert_eq!(
        err,
        "layer `main_output` kernel: expected shape (35, 1), got (30, 1)"
    );
    let err = model.set_weights(&weights[..7]).unwrap_err().to_string();
    assert_eq!(
        err,
        "`WideAndDeep` weights: expected 8 arrays, got 7 arrays"
    );
    assert_eq!(model.get_weights(), before);
}

#[test]
fn an_unknown_layer_name_lists_the_names_there_are() {
    let model = WideAndDeep::new();
    let err = model.layer("hidden3").unwrap_err().to_string();
    assert_eq!(
        err,
        "no layer named `hidden3`; the layers are `wide_input`, `deep_input`, `hidden1`, \
         `hidden2`, `concat`, `main_output`, `aux_output`"
    );
}
