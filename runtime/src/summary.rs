//! `summary()`: the table Keras 3 prints for `model.summary()`, character for character.
//!
//! Keras 3 draws the table with `rich` (heavy box-drawing head, a rule between rows) and sizes
//! its columns from a line length: 88 characters for a Sequential model, with the columns
//! `Layer (type)`, `Output Shape` and `Param #`, and 108 for a Functional one (several inputs,
//! a merge, several outputs), which adds `Connected to` and lists the `InputLayer`s. Keras
//! shrinks that length to the terminal's width less 4; densely keeps it fixed so that the text
//! is the same everywhere, and [`Summary::line_length`] sets another.
//!
//! Which layout a model gets follows Keras: a model that is a single chain from one input to
//! one output is what `keras.Sequential` builds, so its table leaves the input out (Keras's
//! `model.layers`); any other graph is a Functional model, listed in Keras's order (by depth
//! from the outputs, then in the order a depth-first walk from the outputs meets the layers).
//!
//! ```
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
//! let text = FashionMlp::new().summary_string();
//! assert!(text.starts_with("Model: \"FashionMlp\"\n┏━━━"));
//! assert!(text.contains("│ hidden1 (Dense)                      │ (None, 300)                 │         235,500 │"));
//! assert!(text.ends_with(" Total params: 266,610 (1.02 MB)\n Trainable params: 266,610 (1.02 MB)\n Non-trainable params: 0 (0.00 B)\n"));
//! ```

use std::fmt::{self, Write as _};

use crate::graph::Graph;
use crate::shape::keras_shape;

/// Keras's line length for a Sequential model's summary.
pub const SEQUENTIAL_LINE_LENGTH: usize = 88;
/// Keras's line length for a Functional model's summary.
pub const FUNCTIONAL_LINE_LENGTH: usize = 108;
/// The shortest line length accepted: every column keeps room for a few characters.
const MIN_LINE_LENGTH: usize = 40;
/// Bytes per parameter: densely's weights are `f32`, like Keras's default `float32`.
const BYTES_PER_PARAM: usize = 4;

/// A model's summary, ready to print with `{}`: see [the module](self).
///
/// ```
/// # use densely::prelude::*;
/// # use densely::summary::Summary;
/// # model! { struct Net { input x: [3]; output y = Dense(2), loss = mse; } }
/// let text = Summary::of(Net::GRAPH).line_length(60).to_string();
/// assert!(text.lines().nth(1).unwrap().chars().count() == 60);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Summary<'g> {
    graph: &'g Graph,
    line_length: Option<usize>,
    frozen: &'g [String],
}

impl<'g> Summary<'g> {
    /// The summary of `graph` at Keras's default line length.
    pub fn of(graph: &'g Graph) -> Self {
        Summary {
            graph,
            line_length: None,
            frozen: &[],
        }
    }

    /// The layers frozen (Keras's `trainable = False`), whose parameters count as
    /// non-trainable.
    pub fn frozen(mut self, frozen: &'g [String]) -> Self {
        self.frozen = frozen;
        self
    }

    /// Keras's `line_length`: the width of the table in characters (at least 40).
    pub fn line_length(mut self, line_length: usize) -> Self {
        self.line_length = Some(line_length.max(MIN_LINE_LENGTH));
        self
    }
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self.graph, self.line_length, self.frozen))
    }
}

/// How Keras would list a graph: as a Sequential model or a Functional one, and its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KerasLayout {
    /// Whether Keras would build it with `keras.Sequential` (no `InputLayer` listed).
    pub sequential: bool,
    /// Whether the table has a `Connected to` column.
    pub connections: bool,
    /// The indices in [`Graph::nodes`] of the listed layers, in Keras's order.
    pub rows: Vec<usize>,
}

impl KerasLayout {
    /// The layout Keras gives `graph`.
    pub fn of(graph: &Graph) -> Self {
        if graph.is_sequential() {
            return KerasLayout {
                sequential: true,
                connections: false,
                rows: (1..graph.nodes.len()).collect(),
            };
        }
        let sources: Vec<&[usize]> = graph.nodes.iter().map(|node| &node.sources[..]).collect();
        let outputs: Vec<usize> = graph.outputs.iter().map(|output| output.node).collect();
        Self::functional(&sources, &outputs)
    }

    /// The layout of a Functional model whose node `i` reads the nodes `sources[i]` and whose
    /// outputs are the nodes `outputs`: a model read from a file, for one.
    pub fn functional(sources: &[&[usize]], outputs: &[usize]) -> Self {
        let (rows, depths) = functional_order(sources, outputs);
        KerasLayout {
            sequential: false,
            connections: !sequential_like(sources, &depths),
            rows,
        }
    }
}

/// Keras's `Functional._operations` order and each node's depth (the longest distance to an
/// output): `keras.src.ops.function.map_graph`.
fn functional_order(sources: &[&[usize]], outputs: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let count = sources.len();
    let mut first_seen = vec![usize::MAX; count];
    let mut post_order = Vec::with_capacity(count);
    let mut finished = vec![false; count];
    let mut seen = 0;
    for &output in outputs {
        walk(
            sources,
            output,
            &mut first_seen,
            &mut seen,
            &mut finished,
            &mut post_order,
        );
    }
    let mut depth = vec![0usize; count];
    let mut has_depth = vec![false; count];
    for &node in post_order.iter().rev() {
        has_depth[node] = true;
        for &source in sources[node] {
            depth[source] = depth[source].max(depth[node] + 1);
            has_depth[source] = true;
        }
    }
    // Inputs that reach no output (the macro refuses them, but a graph may come from
    // elsewhere) are listed last, at depth 0, as Keras does.
    let mut rows: Vec<usize> = (0..count).filter(|&node| has_depth[node]).collect();
    rows.sort_by_key(|&node| (std::cmp::Reverse(depth[node]), first_seen[node]));
    (rows, depth)
}

fn walk(
    sources: &[&[usize]],
    node: usize,
    first_seen: &mut [usize],
    seen: &mut usize,
    finished: &mut [bool],
    post_order: &mut Vec<usize>,
) {
    if finished[node] {
        return;
    }
    if first_seen[node] == usize::MAX {
        first_seen[node] = *seen;
        *seen += 1;
    }
    for &source in sources[node] {
        walk(sources, source, first_seen, seen, finished, post_order);
    }
    finished[node] = true;
    post_order.push(node);
}

/// Keras's test for dropping `Connected to`: one node per depth, each with at most one input.
fn sequential_like(sources: &[&[usize]], depths: &[usize]) -> bool {
    let mut per_depth = std::collections::BTreeMap::<usize, usize>::new();
    for (node, &depth) in depths.iter().enumerate() {
        *per_depth.entry(depth).or_default() += 1;
        if sources[node].len() > 1 {
            return false;
        }
    }
    per_depth.values().all(|&count| count == 1)
}

/// A count with thousands separators, like Python's `f"{n:,}"`: `266,610`.
pub fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// A size in bytes as Keras prints it: `1.02 MB`, `4.71 KB`, `0.00 B` (powers of 1024).
pub fn readable_memory_size(bytes: f64) -> String {
    let mut size = bytes;
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        if size / 1024.0 < 1.0 {
            return format!("{size:.2} {unit}");
        }
        size /= 1024.0;
    }
    format!("{size:.2} PB")
}

/// One row of a summary table, for models described elsewhere than in a [`Graph`] (a model
/// read from a file, say): [`render_table`] prints them as Keras does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The layer's name.
    pub name: String,
    /// Keras's class name: `Dense`, `InputLayer`, ...
    pub class_name: String,
    /// The shape of one sample of its output.
    pub shape: Vec<usize>,
    /// Its number of trainable parameters.
    pub params: usize,
    /// Its number of parameters the optimizer doesn't train.
    pub non_trainable: usize,
    /// How many of those are 8-byte integers rather than 4-byte floats.
    pub integer: usize,
    /// The names of the layers it reads (shown when the table has `Connected to`).
    pub sources: Vec<String>,
}

fn render(graph: &Graph, line_length: Option<usize>, frozen: &[String]) -> String {
    let layout = KerasLayout::of(graph);
    let rows: Vec<Row> = layout
        .rows
        .iter()
        .map(|&index| {
            let node = &graph.nodes[index];
            let trains = !frozen.iter().any(|f| *f == node.name);
            Row {
                name: node.name.to_string(),
                class_name: node.kind.keras_class_name().to_string(),
                shape: node.shape.to_vec(),
                params: if trains { node.params } else { 0 },
                non_trainable: node.non_trainable_params() + if trains { 0 } else { node.params },
                integer: node.integer_params(),
                sources: node
                    .sources
                    .iter()
                    .map(|&source| graph.nodes[source].name.to_string())
                    .collect(),
            }
        })
        .collect();
    render_table(&graph.name, &rows, layout.connections, line_length)
}

/// Keras 3's summary table of `rows`, with a `Connected to` column if `connections`, at
/// `line_length` (Keras's default, 88 or 108, when `None`), and the parameter totals (4
/// bytes each, 8 for an integer).
pub fn render_table(
    model_name: &str,
    rows: &[Row],
    connections: bool,
    line_length: Option<usize>,
) -> String {
    let (positions, default_length): (&[f64], usize) = if connections {
        (&[0.3, 0.56, 0.74, 1.0], FUNCTIONAL_LINE_LENGTH)
    } else {
        (&[0.45, 0.80, 1.0], SEQUENTIAL_LINE_LENGTH)
    };
    let mut header = vec!["Layer (type)", "Output Shape", "Param #"];
    let mut right = vec![false, false, true];
    if connections {
        header.push("Connected to");
        right.push(false);
    }
    let line_length = line_length.map_or(default_length, |n| n.max(MIN_LINE_LENGTH));
    let widths = column_widths(line_length, positions);

    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut cells = vec![
                format!("{} ({})", row.name, row.class_name),
                keras_shape(&row.shape),
                thousands(row.params + row.non_trainable),
            ];
            if connections {
                let sources: Vec<String> =
                    row.sources.iter().map(|s| format!("{s}[0][0]")).collect();
                cells.push(if sources.is_empty() {
                    "-".into()
                } else {
                    sources.join(", ")
                });
            }
            cells
        })
        .collect();

    let mut out = format!("Model: \"{model_name}\"\n");
    rule(&mut out, &widths, ['┏', '━', '┳', '┓']);
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    table_row(&mut out, &widths, &right, &header, '┃');
    rule(&mut out, &widths, ['┡', '━', '╇', '┩']);
    for (index, row) in cells.iter().enumerate() {
        if index > 0 {
            rule(&mut out, &widths, ['├', '─', '┼', '┤']);
        }
        table_row(&mut out, &widths, &right, row, '│');
    }
    rule(&mut out, &widths, ['└', '─', '┴', '┘']);

    let trainable: usize = rows.iter().map(|row| row.params).sum();
    let frozen: usize = rows.iter().map(|row| row.non_trainable).sum();
    let integer: usize = rows.iter().map(|row| row.integer).sum();
    let line = |count: usize, wide: usize| {
        let size = readable_memory_size(((count + wide) * BYTES_PER_PARAM) as f64);
        format!("{} ({size})", thousands(count))
    };
    let total = line(trainable + frozen, integer);
    writeln!(out, " Total params: {total}").unwrap();
    writeln!(out, " Trainable params: {}", line(trainable, 0)).unwrap();
    writeln!(out, " Non-trainable params: {}", line(frozen, integer)).unwrap();
    out
}

/// Each column's width, padding included, as `rich` lays out Keras's table: the widths Keras
/// asks for, each plus a space on either side, then reduced evenly to fit the line length
/// less the borders (`rich.table.Table._calculate_column_widths` and `ratio_reduce`).
fn column_widths(line_length: usize, positions: &[f64]) -> Vec<usize> {
    let mut widths = Vec::with_capacity(positions.len());
    let mut current = 0;
    for position in positions {
        let width = (position * line_length as f64) as usize - current;
        widths.push(width + 2);
        current += width;
    }
    let available = line_length - (positions.len() + 1);
    let excess = widths.iter().sum::<usize>().saturating_sub(available);
    let mut remaining = excess as f64;
    let mut ratio_left = widths.len() as f64;
    for width in &mut widths {
        let take = (remaining / ratio_left)
            .round_ties_even()
            .min(*width as f64);
        *width -= take as usize;
        remaining -= take;
        ratio_left -= 1.0;
    }
    widths
}

fn rule(out: &mut String, widths: &[usize], [left, line, cross, end]: [char; 4]) {
    out.push(left);
    for (index, width) in widths.iter().enumerate() {
        if index > 0 {
            out.push(cross);
        }
        out.extend(std::iter::repeat_n(line, *width));
    }
    out.push(end);
    out.push('\n');
}

/// One table row: each cell wrapped to its column as `rich` wraps words, the row as tall as
/// its tallest cell.
fn table_row(out: &mut String, widths: &[usize], right: &[bool], texts: &[String], border: char) {
    let wrapped: Vec<Vec<String>> = texts
        .iter()
        .zip(widths)
        .map(|(text, width)| wrap(text, width - 2))
        .collect();
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    for line in 0..height {
        out.push(border);
        for (column, width) in widths.iter().enumerate() {
            let text = wrapped[column].get(line).map_or("", String::as_str);
            let pad = (width - 2).saturating_sub(text.chars().count());
            out.push(' ');
            if right[column] {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(text);
            } else {
                out.push_str(text);
                out.extend(std::iter::repeat_n(' ', pad));
            }
            out.push(' ');
            out.push(border);
        }
        out.push('\n');
    }
}

/// `rich`'s word wrap for Keras's columns (`rich._wrap.divide_line` without folding, then
/// `overflow="ellipsis"`): words keep their trailing spaces, a word that doesn't fit moves to
/// the next line, and a word longer than a line gets a line of its own, cut with `…`.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let width = width.max(1);
    let mut breaks = Vec::new();
    let mut offset = 0;
    let mut start = 0;
    while start < chars.len() {
        // A word: leading spaces, non-spaces, trailing spaces.
        let mut end = start;
        while end < chars.len() && chars[end].is_whitespace() {
            end += 1;
        }
        while end < chars.len() && !chars[end].is_whitespace() {
            end += 1;
        }
        let trimmed_len = end - start;
        while end < chars.len() && chars[end].is_whitespace() {
            end += 1;
        }
        let word_len = end - start;
        if offset <= width && width - offset >= trimmed_len {
            offset += word_len;
        } else if trimmed_len > width {
            if start > 0 {
                breaks.push(start);
            }
            offset = word_len;
        } else if offset > 0 && start > 0 {
            breaks.push(start);
            offset = word_len;
        }
        start = end;
    }
    let mut lines = Vec::with_capacity(breaks.len() + 1);
    let mut from = 0;
    for at in breaks.into_iter().chain([chars.len()]) {
        let line: String = chars[from..at].iter().collect();
        let line = line.trim_end();
        lines.push(if line.chars().count() > width {
            let mut cut: String = line.chars().take(width - 1).collect();
            cut.push('…');
            cut
        } else {
            line.to_string()
        });
        from = at;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(266_610), "266,610");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn sizes_read_like_keras() {
        assert_eq!(readable_memory_size(0.0), "0.00 B");
        assert_eq!(readable_memory_size(1_066_440.0), "1.02 MB");
        assert_eq!(readable_memory_size(4_828.0), "4.71 KB");
        assert_eq!(readable_memory_size(1023.0), "1023.00 B");
    }

    #[test]
    fn column_widths_follow_rich() {
        // What Keras 3.15 printed: 38 + 29 + 17 and 31 + 27 + 17 + 28 dashes.
        assert_eq!(column_widths(88, &[0.45, 0.80, 1.0]), [38, 29, 17]);
        assert_eq!(
            column_widths(108, &[0.3, 0.56, 0.74, 1.0]),
            [31, 27, 17, 28]
        );
        assert_eq!(column_widths(76, &[0.3, 0.56, 0.74, 1.0]), [21, 19, 12, 19]);
    }

    #[test]
    fn words_wrap_like_rich() {
        assert_eq!(
            wrap("concat (Concatenate)", 17),
            ["concat", "(Concatenate)"]
        );
        assert_eq!(
            wrap("wide_input[0][0], hidden2[0][0]", 17),
            ["wide_input[0][0],", "hidden2[0][0]"]
        );
        assert_eq!(
            wrap("a_very_long_layer_name (Dense)", 10),
            ["a_very_lo…", "(Dense)"]
        );
        assert_eq!(wrap("x an_overlong_word y", 6), ["x", "an_ov…", "y"]);
        assert_eq!(wrap("short", 10), ["short"]);
        assert_eq!(wrap("", 10), [""]);
    }
}
