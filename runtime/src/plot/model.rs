//! `plot_model`: the model's graph as boxes and arrows, like Keras 3's `plot_model`.
//!
//! Each box is Keras 3's: a black head with the layer's name in bold and its class, then, with
//! `show_shapes`, white cells with its input and output shapes (`(None, 784)`, the batch axis
//! first). A model that is a single chain is drawn as Keras draws a `Sequential` one, without
//! a box for the input; any other graph shows its `InputLayer`s too.

use std::fmt::Write as _;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::{
    DrawingArea, DrawingAreaErrorKind, DrawingBackend, PathElement, Polygon, Rectangle, Text,
    BLACK, WHITE,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontStyle, IntoFont, TextStyle};

use super::layout::{layout, BoxSize, Layout, Spacing};
use super::text::text_width;
use super::{write_picture, Format, Picture, FONT_FAMILY};
use crate::error::{Error, Result};
use crate::graph::{Graph, NodeKind};
use crate::io::write_atomically;
use crate::network::Declared;
use crate::shape::keras_shape;

/// The options of [`plot_model`], with Keras's names.
///
/// ```
/// use densely::plot::PlotOptions;
///
/// let options = PlotOptions::default().show_shapes(true).show_layer_activations(true).dpi(144);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotOptions {
    show_shapes: bool,
    show_layer_names: bool,
    show_layer_activations: bool,
    dpi: u32,
}

impl Default for PlotOptions {
    /// Names shown, shapes and activations not, 96 dots per inch.
    ///
    /// Keras 3 hides layer names by default and draws at 200 dpi; densely shows them (the book's
    /// figures do) and draws at screen resolution.
    fn default() -> Self {
        PlotOptions {
            show_shapes: false,
            show_layer_names: true,
            show_layer_activations: false,
            dpi: 96,
        }
    }
}

impl PlotOptions {
    /// Shows each layer's input and output shapes.
    pub fn show_shapes(mut self, show: bool) -> Self {
        self.show_shapes = show;
        self
    }

    /// Shows each layer's name beside its class (on by default).
    pub fn show_layer_names(mut self, show: bool) -> Self {
        self.show_layer_names = show;
        self
    }

    /// Shows the activation of `Dense` and `Activation` layers.
    pub fn show_layer_activations(mut self, show: bool) -> Self {
        self.show_layer_activations = show;
        self
    }

    /// The resolution of PNGs: 96 draws text at screen size, 192 twice as large. From
    /// [`MIN_DPI`](Self::MIN_DPI) to [`MAX_DPI`](Self::MAX_DPI); [`plot_model`] refuses others.
    pub fn dpi(mut self, dpi: u32) -> Self {
        self.dpi = dpi;
        self
    }

    /// The lowest resolution: text smaller than this can't be read.
    pub const MIN_DPI: u32 = 24;

    /// The highest resolution: a large model at 600 dpi is already a poster.
    pub const MAX_DPI: u32 = 600;

    /// Checks the options before anything is drawn.
    fn check(&self) -> Result<()> {
        if !(Self::MIN_DPI..=Self::MAX_DPI).contains(&self.dpi) {
            return Err(Error::Argument {
                argument: "dpi",
                reason: format!(
                    "{} dots per inch is out of range: use {} to {} (96 is screen size, 200 \
                     Keras's default)",
                    self.dpi,
                    Self::MIN_DPI,
                    Self::MAX_DPI
                ),
            });
        }
        Ok(())
    }
}

/// Keras's `keras.utils.plot_model(model, to_file, ...)` for a `model!` struct: writes its
/// graph to `to_file`, as PNG, SVG or DOT text by the file's extension (PNG without one).
pub fn plot_model<N: Declared>(to_file: impl AsRef<Path>, options: PlotOptions) -> Result<()> {
    plot_graph(N::GRAPH, to_file, options)
}

/// [`plot_model`] for a graph.
pub fn plot_graph(graph: &Graph, to_file: impl AsRef<Path>, options: PlotOptions) -> Result<()> {
    let path = to_file.as_ref();
    options.check()?;
    match Format::of(path, true)? {
        Format::Dot => write_atomically(path, model_to_dot(graph, options).as_bytes()),
        format => write_picture(path, format, &ModelPicture::new(graph, options)),
    }
}

/// A run of text in a box, bold or not.
#[derive(Clone, Debug)]
struct Run {
    text: String,
    bold: bool,
}

fn run(text: impl Into<String>, bold: bool) -> Run {
    Run {
        text: text.into(),
        bold,
    }
}

/// What one box says: its head, then rows of cells.
#[derive(Clone, Debug)]
struct Label {
    head: Vec<Run>,
    rows: Vec<Vec<Vec<Run>>>,
}

/// The boxes to draw and the edges between them, by node index.
fn visible(graph: &Graph) -> (Vec<usize>, Vec<(usize, usize)>) {
    let nodes: Vec<usize> = if graph.is_sequential() {
        (1..graph.nodes.len()).collect()
    } else {
        (0..graph.nodes.len()).collect()
    };
    let slot = |node: usize| nodes.iter().position(|&n| n == node);
    let mut edges = Vec::new();
    for (to, &node) in nodes.iter().enumerate() {
        for &source in graph.nodes[node].sources.iter() {
            if let Some(from) = slot(source) {
                edges.push((from, to));
            }
        }
    }
    (nodes, edges)
}

/// Keras's text for a layer's input shape: one shape, or a list for several inputs.
fn input_shape(graph: &Graph, node: usize) -> String {
    let shapes: Vec<String> = graph.nodes[node]
        .sources
        .iter()
        .map(|&source| keras_shape(&graph.nodes[source].shape))
        .collect();
    match shapes.len() {
        1 => shapes[0].clone(),
        _ => format!("[{}]", shapes.join(", ")),
    }
}

fn activation(kind: &NodeKind) -> Option<&'static str> {
    match kind {
        NodeKind::Dense { activation, .. } | NodeKind::Activation { activation } => {
            Some(activation)
        }
        _ => None,
    }
}

fn label(graph: &Graph, node: usize, options: PlotOptions) -> Label {
    let n = &graph.nodes[node];
    let class = n.kind.keras_class_name();
    let head = if options.show_layer_names {
        vec![run(&*n.name, true), run(format!(" ({class})"), false)]
    } else {
        vec![run(class, true)]
    };
    let mut rows = Vec::new();
    if options.show_layer_activations {
        if let Some(activation) = activation(&n.kind) {
            rows.push(vec![vec![
                run("Activation: ", false),
                run(activation, true),
            ]]);
        }
    }
    if options.show_shapes {
        let mut cells = Vec::new();
        if n.kind != NodeKind::Input {
            cells.push(vec![
                run("Input shape: ", false),
                run(input_shape(graph, node), true),
            ]);
        }
        cells.push(vec![
            run("Output shape: ", false),
            run(keras_shape(&n.shape), true),
        ]);
        rows.push(cells);
    }
    Label { head, rows }
}

/// Sizes at 96 dpi, in pixels: Keras's point sizes (16 for the head, 14 for the cells).
const HEAD_EM: f64 = 16.0;
const CELL_EM: f64 = 14.0;
const PADDING: f64 = 8.0;
const BORDER: f64 = 2.0;
const LINE: f64 = 1.25;

fn runs_width(runs: &[Run], em: f64) -> f64 {
    runs.iter().map(|r| text_width(&r.text, em, r.bold)).sum()
}

/// A box's cells, measured: the head's height, then each row's height and cell widths.
struct Measured {
    width: f64,
    height: f64,
    head_height: f64,
    row_height: f64,
    /// Each row's cell widths, stretched to the box's inner width.
    cells: Vec<Vec<f64>>,
}

fn measure(label: &Label) -> Measured {
    let head_height = HEAD_EM * LINE + 2.0 * PADDING;
    let row_height = CELL_EM * LINE + 2.0 * PADDING;
    let head_width = runs_width(&label.head, HEAD_EM) + 2.0 * PADDING;
    let natural: Vec<Vec<f64>> = label
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| runs_width(cell, CELL_EM) + 2.0 * PADDING)
                .collect()
        })
        .collect();
    let row_width = |row: &Vec<f64>| row.iter().sum::<f64>() + BORDER * (row.len() - 1) as f64;
    let inner = natural
        .iter()
        .map(row_width)
        .fold(head_width, f64::max)
        .ceil();
    let cells = natural
        .iter()
        .map(|row| {
            let extra = (inner - row_width(row)) / row.len() as f64;
            row.iter().map(|w| w + extra).collect()
        })
        .collect();
    let rows = label.rows.len() as f64;
    Measured {
        width: inner + 2.0 * BORDER,
        height: BORDER + head_height + rows * (BORDER + row_height) + BORDER,
        head_height,
        row_height,
        cells,
    }
}

struct ModelPicture {
    labels: Vec<Label>,
    measured: Vec<Measured>,
    layout: Layout,
    scale: f64,
}

impl ModelPicture {
    fn new(graph: &Graph, options: PlotOptions) -> Self {
        let (nodes, edges) = visible(graph);
        let labels: Vec<Label> = nodes.iter().map(|&n| label(graph, n, options)).collect();
        let measured: Vec<Measured> = labels.iter().map(measure).collect();
        let sizes: Vec<BoxSize> = measured
            .iter()
            .map(|m| BoxSize {
                width: m.width,
                height: m.height,
            })
            .collect();
        let spacing = Spacing {
            horizontal: 36.0,
            vertical: 44.0,
            edge: 12.0,
            margin: 16.0,
        };
        ModelPicture {
            layout: layout(&sizes, &edges, spacing),
            labels,
            measured,
            scale: f64::from(options.dpi) / 96.0,
        }
    }
}

fn font<'a>(em: f64, bold: bool, scale: f64) -> TextStyle<'a> {
    let font = (FONT_FAMILY, em * 1.24 * scale).into_font();
    if bold {
        font.style(FontStyle::Bold).into()
    } else {
        font.into()
    }
}

/// Draws `runs` side by side, centred on (`cx`, `cy`).
fn draw_runs<B: DrawingBackend>(
    area: &DrawingArea<B, Shift>,
    runs: &[Run],
    em: f64,
    center: (f64, f64),
    white: bool,
    scale: f64,
) -> Result<(), DrawingAreaErrorKind<B::ErrorType>> {
    let total = runs_width(runs, em * scale);
    let mut x = center.0 - total / 2.0;
    for r in runs {
        let color = if white { WHITE } else { BLACK };
        let style = font(em, r.bold, scale)
            .color(&color)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(
            r.text.clone(),
            (x as i32, center.1 as i32),
            style,
        ))?;
        x += text_width(&r.text, em * scale, r.bold);
    }
    Ok(())
}

impl Picture for ModelPicture {
    fn size(&self) -> (u32, u32) {
        (
            (self.layout.width * self.scale).ceil() as u32,
            (self.layout.height * self.scale).ceil() as u32,
        )
    }

    fn draw<B: DrawingBackend>(
        &self,
        area: &DrawingArea<B, Shift>,
        scale: f64,
    ) -> Result<(), DrawingAreaErrorKind<B::ErrorType>> {
        let s = scale * self.scale;
        let p = |x: f64, y: f64| ((x * s).round() as i32, (y * s).round() as i32);
        for edge in &self.layout.edges {
            let points: Vec<(i32, i32)> = edge.iter().map(|&(x, y)| p(x, y)).collect();
            // Stop the line at the arrowhead's base, then draw the head.
            let (tip_x, tip_y) = edge[edge.len() - 1];
            let (from_x, from_y) = edge[edge.len() - 2];
            let (dx, dy) = (tip_x - from_x, tip_y - from_y);
            let length = (dx * dx + dy * dy).sqrt().max(1e-9);
            let (ux, uy) = (dx / length, dy / length);
            let (head, half) = (10.0, 4.5);
            let base = (tip_x - ux * head, tip_y - uy * head);
            let mut line = points.clone();
            *line.last_mut().unwrap() = p(base.0 + ux, base.1 + uy);
            area.draw(&PathElement::new(
                line,
                BLACK.stroke_width((1.6 * s).round().max(1.0) as u32),
            ))?;
            area.draw(&Polygon::new(
                vec![
                    p(tip_x, tip_y),
                    p(base.0 - uy * half, base.1 + ux * half),
                    p(base.0 + uy * half, base.1 - ux * half),
                ],
                BLACK.filled(),
            ))?;
        }
        for ((placed, label), m) in self
            .layout
            .boxes
            .iter()
            .zip(&self.labels)
            .zip(&self.measured)
        {
            let (x, y) = (placed.x, placed.y);
            area.draw(&Rectangle::new(
                [p(x, y), p(x + m.width, y + m.height)],
                BLACK.filled(),
            ))?;
            let head_center = (
                (x + m.width / 2.0) * s,
                (y + BORDER + m.head_height / 2.0) * s,
            );
            draw_runs(area, &label.head, HEAD_EM, head_center, true, s)?;
            let mut top = y + BORDER + m.head_height + BORDER;
            for (row, widths) in label.rows.iter().zip(&m.cells) {
                let mut left = x + BORDER;
                for (cell, width) in row.iter().zip(widths) {
                    area.draw(&Rectangle::new(
                        [p(left, top), p(left + width, top + m.row_height)],
                        WHITE.filled(),
                    ))?;
                    let center = ((left + width / 2.0) * s, (top + m.row_height / 2.0) * s);
                    draw_runs(area, cell, CELL_EM, center, false, s)?;
                    left += width + BORDER;
                }
                top += m.row_height + BORDER;
            }
        }
        Ok(())
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn runs_html(runs: &[Run]) -> String {
    runs.iter()
        .map(|r| {
            if r.bold {
                format!("<b>{}</b>", escape(&r.text))
            } else {
                escape(&r.text)
            }
        })
        .collect()
}

/// Keras's `model_to_dot`: the graph as Graphviz DOT text, with Keras's HTML labels, for
/// `dot -Tpng` where Graphviz is installed.
///
/// ```
/// # use densely::prelude::*;
/// use densely::plot::{model_to_dot, PlotOptions};
/// # model! { struct Net { input x: [3]; hidden = Dense(4, relu); output y = Dense(2), loss = mse; } }
/// let dot = model_to_dot(Net::GRAPH, PlotOptions::default());
/// assert!(dot.starts_with("digraph G {\n"));
/// assert!(dot.contains("\"hidden\" -> \"y\" [penwidth=2];"));
/// ```
pub fn model_to_dot(graph: &Graph, options: PlotOptions) -> String {
    let (nodes, edges) = visible(graph);
    let mut dot = String::from("digraph G {\n");
    writeln!(
        dot,
        "concentrate=True;\ndpi={};\nrankdir=TB;\nsplines=ortho;",
        options.dpi
    )
    .unwrap();
    dot.push_str("node [shape=record];\n");
    for &node in &nodes {
        let label = label(graph, node, options);
        let columns = label.rows.iter().map(Vec::len).max().unwrap_or(1);
        let mut table = String::from(
            "<table border=\"0\" cellborder=\"1\" bgcolor=\"black\" cellpadding=\"10\">",
        );
        write!(
            table,
            "<tr><td colspan=\"{columns}\" bgcolor=\"black\"><font point-size=\"16\" color=\"white\">{}</font></td></tr>",
            runs_html(&label.head)
        )
        .unwrap();
        for row in &label.rows {
            let span = if row.len() == 1 && columns > 1 {
                format!(" colspan=\"{columns}\"")
            } else {
                String::new()
            };
            table.push_str("<tr>");
            for cell in row {
                write!(
                    table,
                    "<td bgcolor=\"white\"{span}><font point-size=\"14\">{}</font></td>",
                    runs_html(cell)
                )
                .unwrap();
            }
            table.push_str("</tr>");
        }
        table.push_str("</table>");
        writeln!(
            dot,
            "\"{}\" [label=<{table}>, fontname=Helvetica, border=0, margin=0];",
            graph.nodes[node].name
        )
        .unwrap();
    }
    for (from, to) in edges {
        writeln!(
            dot,
            "\"{}\" -> \"{}\" [penwidth=2];",
            graph.nodes[nodes[from]].name, graph.nodes[nodes[to]].name
        )
        .unwrap();
    }
    dot.push_str("}\n");
    dot
}
