//! `plot_model` and `History::plot` write real pictures: PNGs with the right signature and
//! sensible sizes, SVGs and DOT text. The files stay in Cargo's test folder
//! (`target/tmp/book_plots/`) to be looked at.

mod common;

use common::book::{FashionMlp, MultiOutput, WideAndDeep};
use std::path::PathBuf;

use densely::plot::{model_to_dot, plot_graph, png_dimensions};
use densely::prelude::*;
use densely::training::Logs;

fn out(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("book_plots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn png_size(path: &PathBuf) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    png_dimensions(&bytes).unwrap_or_else(|| panic!("{} is not a PNG", path.display()))
}

#[test]
fn the_books_model_plots_as_a_column_of_four_boxes() {
    let path = out("my_fashion_mnist_model.png");
    plot_model::<FashionMlp>(&path, PlotOptions::default().show_shapes(true)).unwrap();
    let (width, height) = png_size(&path);
    // Four boxes stacked (no input box, as Keras draws a Sequential model), each wide enough
    // for "Input shape: (None, 28, 28)" beside "Output shape: (None, 784)".
    assert!((380..800).contains(&width), "{width}");
    assert!((450..900).contains(&height), "{height}");

    let names_only = out("fashion_names_only.png");
    plot_model::<FashionMlp>(&names_only, PlotOptions::default()).unwrap();
    let (narrow, short) = png_size(&names_only);
    assert!(narrow < width && short < height);

    let big = out("fashion_192dpi.png");
    plot_model::<FashionMlp>(&big, PlotOptions::default().show_shapes(true).dpi(192)).unwrap();
    let (big_width, big_height) = png_size(&big);
    assert!(big_width.abs_diff(2 * width) <= 2 && big_height.abs_diff(2 * height) <= 2);
}

#[test]
fn wide_and_deep_plots_two_inputs_side_by_side() {
    let path = out("wide_deep.png");
    plot_model::<WideAndDeep>(&path, PlotOptions::default().show_shapes(true)).unwrap();
    let (width, height) = png_size(&path);
    // Two columns (the inputs, then main and aux outputs, share ranks), five ranks.
    assert!(width > 500 && width < 1400, "{width}");
    assert!(height > 450 && height < 1000, "{height}");

    let svg = out("wide_deep.svg");
    plot_model::<WideAndDeep>(&svg, PlotOptions::default().show_shapes(true)).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..40]);
    for expected in [
        "wide_input",
        "(InputLayer)",
        "Input shape: ",
        "[(None, 5), (None, 30)]",
    ] {
        assert!(text.contains(expected), "{expected} missing");
    }
}

#[test]
fn dot_text_has_keras_labels_and_every_edge() {
    let path = out("wide_deep.dot");
    plot_model::<WideAndDeep>(&path, PlotOptions::default().show_shapes(true)).unwrap();
    let dot = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        dot,
        model_to_dot(WideAndDeep::GRAPH, PlotOptions::default().show_shapes(true))
    );
    for edge in [
        "\"deep_input\" -> \"hidden1\"",
        "\"hidden1\" -> \"hidden2\"",
        "\"wide_input\" -> \"concat\"",
        "\"hidden2\" -> \"concat\"",
        "\"concat\" -> \"main_output\"",
        "\"hidden2\" -> \"aux_output\"",
    ] {
        assert!(dot.contains(edge), "{edge} missing from\n{dot}");
    }
    assert_eq!(dot.matches(" -> ").count(), 6);
    assert!(dot.contains("<b>concat</b> (Concatenate)"));
    assert!(dot.contains("Input shape: <b>[(None, 5), (None, 30)]</b>"));
    // The Sequential book model has no input node and three edges.
    let dot = model_to_dot(FashionMlp::GRAPH, PlotOptions::default());
    assert_eq!(dot.matches(" -> ").count(), 3);
    assert!(!dot.contains("InputLayer"));
}

#[test]
fn several_outputs_and_activations_plot() {
    let path = out("multi_output.png");
    let options = PlotOptions::default()
        .show_shapes(true)
        .show_layer_activations(true);
    plot_graph(MultiOutput::GRAPH, &path, options).unwrap();
    let (width, height) = png_size(&path);
    assert!(width > 400 && height > 600, "{width} x {height}");
}

#[test]
fn unsupported_extensions_are_refused_before_anything_is_written() {
    let path = out("model.jpg");
    let err = plot_model::<FashionMlp>(&path, PlotOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("unsupported extension `.jpg`"),
        "{err}"
    );
    assert!(!path.exists());
}

fn book_like_history(epochs: usize) -> History {
    let mut history = History::default();
    for epoch in 0..epochs {
        let t = epoch as f64 / 29.0;
        history.record(
            epoch,
            &Logs::from_pairs([
                ("accuracy", 0.76 + 0.16 * t.sqrt()),
                ("loss", 0.72 - 0.49 * t.sqrt()),
                ("val_accuracy", 0.83 + 0.06 * t.sqrt()),
                ("val_loss", 0.50 - 0.19 * t.sqrt()),
            ]),
        );
    }
    history
}

#[test]
fn history_plots_the_books_learning_curves() {
    let path = out("learning_curves.png");
    book_like_history(30).plot(&path).unwrap();
    assert_eq!(png_size(&path), (800, 500));

    let svg = out("learning_curves.svg");
    book_like_history(30).plot(&svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    for key in ["accuracy", "loss", "val_accuracy", "val_loss", "epoch"] {
        assert!(
            text.contains(&format!(">\n{key}\n<")) || text.contains(key),
            "{key} missing"
        );
    }
    // One epoch still draws.
    book_like_history(1).plot(out("one_epoch.png")).unwrap();
}

#[test]
fn an_empty_history_or_a_dot_file_is_an_error() {
    let err = History::default().plot(out("empty.png")).unwrap_err();
    assert!(err.to_string().contains("no epoch"), "{err}");
    let err = book_like_history(3).plot(out("curves.dot")).unwrap_err();
    assert!(
        err.to_string().contains("unsupported extension `.dot`"),
        "{err}"
    );
}
