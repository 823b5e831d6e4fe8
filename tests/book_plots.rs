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
}

/// The numbers of an SVG attribute, `name="..."`, in each element of kind `element`.
fn svg_elements<'t>(svg: &'t str, element: &str) -> Vec<&'t str> {
    svg.split(&format!("<{element} "))
        .skip(1)
        .map(|rest| rest.split("/>").next().unwrap())
        .collect()
}

fn attribute<'t>(element: &'t str, name: &str) -> &'t str {
    let key = format!("{name}=\"");
    let start = if element.starts_with(&key) {
        Some(key.len())
    } else {
        element.find(&format!(" {key}")).map(|i| i + key.len() + 1)
    };
    let start = start.unwrap_or_else(|| panic!("no {name} in {element}"));
    element[start..].split('"').next().unwrap()
}

fn number(element: &str, name: &str) -> f64 {
    attribute(element, name).parse().unwrap()
}

#[test]
fn one_epoch_draws_a_dot_for_each_value() {
    let svg = out("one_epoch.svg");
    book_like_history(1).plot(&svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    let mut colours: Vec<&str> = svg_elements(&text, "circle")
        .into_iter()
        .map(|circle| attribute(circle, "fill"))
        .collect();
    colours.sort();
    colours.dedup();
    assert_eq!(colours.len(), 4, "one dot per logged value: {colours:?}");
    book_like_history(1).plot(out("one_epoch.png")).unwrap();
}

/// The learning curves of the multi-output example: three losses per set, above 1 and falling.
fn multi_output_history(epochs: usize) -> History {
    let mut history = History::default();
    for epoch in 0..epochs {
        let t = (epoch as f64 / 4.0).exp();
        let (main, aux) = (0.55 + 1.6 / t, 0.65 + 2.4 / t);
        let (val_main, val_aux) = (0.6 + 1.2 / t, 0.7 + 1.9 / t);
        history.record(
            epoch,
            &Logs::from_pairs([
                ("loss", 0.9 * main + 0.1 * aux),
                ("main_output_loss", main),
                ("aux_output_loss", aux),
                ("val_loss", 0.9 * val_main + 0.1 * val_aux),
                ("val_main_output_loss", val_main),
                ("val_aux_output_loss", val_aux),
            ]),
        );
    }
    history
}

#[test]
fn the_legend_hides_no_curve() {
    for (name, history) in [
        ("book", book_like_history(30)),
        ("multi_output", multi_output_history(20)),
    ] {
        let svg = out(&format!("{name}_legend.svg"));
        history.plot(&svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        let legend = svg_elements(&text, "rect")
            .into_iter()
            .find(|rect| attribute(rect, "opacity") == "0.9")
            .expect("the legend's box");
        let (left, top) = (number(legend, "x"), number(legend, "y"));
        let (right, bottom) = (
            left + number(legend, "width"),
            top + number(legend, "height"),
        );
        let inside = |(x, y): (f64, f64)| x >= left && x <= right && y >= top && y <= bottom;
        let mut hidden = Vec::new();
        // The curves: drawn two pixels wide, unlike the black axes and ticks.
        let curves = svg_elements(&text, "polyline")
            .into_iter()
            .filter(|line| attribute(line, "stroke-width") == "2");
        for line in curves {
            let points: Vec<(f64, f64)> = attribute(line, "points")
                .split_whitespace()
                .map(|pair| {
                    let (x, y) = pair.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            if points.iter().all(|&at| inside(at)) {
                continue; // the legend's own swatch
            }
            // Each point, and nine points along each segment.
            for pair in points.windows(2) {
                for step in 0..=10 {
                    let f = step as f64 / 10.0;
                    let at = (
                        pair[0].0 + f * (pair[1].0 - pair[0].0),
                        pair[0].1 + f * (pair[1].1 - pair[0].1),
                    );
                    if inside(at) {
                        hidden.push(at);
                    }
                }
            }
        }
        assert!(hidden.is_empty(), "{name}: the legend hides {hidden:?}");
        history.plot(out(&format!("{name}_legend.png"))).unwrap();
    }
}

#[test]
fn plot_options_out_of_range_are_refused_before_anything_is_written() {
    for dpi in [0, 23, 601] {
        let path = out(&format!("dpi_{dpi}.png"));
        let err = plot_model::<FashionMlp>(&path, PlotOptions::default().dpi(dpi)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`dpi`") && text.contains(&format!("{dpi} dots per inch")),
            "{text}"
        );
        assert!(!path.exists());
    }
    let path = out("dpi_24.png");
    plot_model::<FashionMlp>(&path, PlotOptions::default().dpi(24)).unwrap();
    assert!(png_size(&path).0 > 0);
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
