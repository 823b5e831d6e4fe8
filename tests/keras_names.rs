//! Keras names that aren't Rust identifiers (`t-anh`, `input-1`) are declared with
//! `name = "..."` and kept everywhere: the summary, plots, every file written, and the
//! declaration printed from a file, which declares them so again.

mod files_common;

use files_common as common;

use densely::prelude::*;

model! {
    /// Layers whose Keras names have dashes and dots.
    pub struct Named {
        input features: [4], name = "input-1";
        t_anh = Dense(6, tanh), name = "t-anh";
        r#type = Dense(5, activation = relu, name = "dense.2");
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy, name = "probs-out";
    }
}

const KERAS_NAMES: [&str; 4] = ["input-1", "t-anh", "dense.2", "probs-out"];

#[test]
fn the_summary_and_the_plot_show_keras_names() {
    let summary = Named::new().summary_string();
    // A chain of layers is summarised as Keras summarises a Sequential model: without its input.
    for name in &KERAS_NAMES[1..] {
        assert!(summary.contains(&format!("{name} (")), "{name}:\n{summary}");
    }
    assert!(
        !summary.contains("t_anh") && !summary.contains("r#"),
        "{summary}"
    );
    let dot = common::scratch("keras_names").join("named.dot");
    plot_model::<Named>(&dot, PlotOptions::default()).unwrap();
    let text = std::fs::read_to_string(&dot).unwrap();
    for name in &KERAS_NAMES[1..] {
        assert!(text.contains(name), "{name}:\n{text}");
    }
}

#[test]
fn files_keep_keras_names_and_load_back() {
    let folder = common::scratch("keras_names");
    let mut model = Named::with_seed(7);
    model.compile(Sgd::new(0.01), []);
    let x = Batch::<Shape1<4>>::from_fn(3, |s, i| (s * 4 + i) as f32 / 10.0 - 0.5);
    for file in ["named.h5", "named.keras", "named.densely"] {
        let path = folder.join(file);
        model.save(&path).unwrap();
        let printed = densely::files::declaration(&path).unwrap();
        for line in [
            "input input_1: [4], name = \"input-1\";",
            "t_anh = Dense(6, tanh), name = \"t-anh\";",
            "dense_2 = Dense(5, relu), name = \"dense.2\";",
            "output probs_out = Dense(3, softmax), loss = sparse_categorical_crossentropy, name = \"probs-out\";",
        ] {
            assert!(printed.contains(line), "{file}: no `{line}` in\n{printed}");
        }
        let mut loaded = Named::load(&path).unwrap();
        let mut original = Named::with_seed(7);
        assert_eq!(
            loaded.predict(&x).unwrap().as_slice(),
            original.predict(&x).unwrap().as_slice(),
            "{file}"
        );
    }
}

/// A file Keras wrote (`tools/keras_named_layers.py`) with these names: its declaration
/// declares them so, and it loads into `Named`, predicting what Keras predicted.
#[test]
fn a_keras_file_with_such_names_loads_and_declares_them() {
    let path = common::keras_fixture("keras3_named_layers.h5");
    let printed = densely::files::declaration(&path).unwrap();
    assert_eq!(printed, NAMED_LAYERS);
    let (x, expected) = common::mlp_probe("keras3_named_layers");
    let x = Batch::from_vec(x).unwrap();
    let mut named = Named::load(&path).unwrap();
    let mut pasted = NamedLayers::load(&path).unwrap();
    for probs in [named.predict(&x).unwrap(), pasted.predict(&x).unwrap()] {
        assert_eq!(probs.as_slice().len(), expected.len());
        for (got, want) in probs.as_slice().iter().zip(&expected) {
            assert!((got - want).abs() < 1e-5, "{got} vs Keras's {want}");
        }
    }
}

const NAMED_LAYERS: &str = r#"model! {
    /// The Functional model `named_layers` of `keras3_named_layers.h5` (Keras 3.15.1).
    pub struct NamedLayers {
        input input_1: [4], name = "input-1";
        t_anh = Dense(6, tanh)(input_1), name = "t-anh";
        dense_2 = Dense(5, relu)(t_anh), name = "dense.2";
        output probs_out = Dense(3, softmax)(dense_2), loss = sparse_categorical_crossentropy, name = "probs-out";
    }
}
"#;

// The declaration printed above, pasted.
model! {
    /// The Functional model `named_layers` of `keras3_named_layers.h5` (Keras 3.15.1).
    pub struct NamedLayers {
        input input_1: [4], name = "input-1";
        t_anh = Dense(6, tanh)(input_1), name = "t-anh";
        dense_2 = Dense(5, relu)(t_anh), name = "dense.2";
        output probs_out = Dense(3, softmax)(dense_2), loss = sparse_categorical_crossentropy, name = "probs-out";
    }
}
