//! A layered drawing of a small DAG, top to bottom, in the manner of Graphviz's `dot`:
//!
//! 1. ranks by the longest path from the sources, so every edge points down; then a source
//!    that feeds only later ranks moves down to just above its first reader (a second input
//!    joining the graph at a concatenation sits beside the layer it is joined with, as
//!    Graphviz places it);
//! 2. an edge that spans several ranks gets a chain of invisible dummy nodes, one per rank it
//!    crosses, so that it bends around the boxes instead of cutting through them;
//! 3. the order within each rank starts from the declaration order, then barycenter sweeps
//!    down and up and adjacent swaps reduce the edge crossings (the best order seen is kept);
//! 4. x positions pull each node towards the mean of its neighbours, subject to the gaps
//!    between neighbours in its rank: an isotonic regression solved exactly per rank (pool
//!    adjacent violators), swept down and up;
//! 5. edges leave from the bottom of their source and enter the top of their target, at ports
//!    spread in the order of the nodes at their other ends, so that they don't cross there.

/// The size of one box to place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxSize {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Spacing of a layout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spacing {
    /// Between neighbours in a rank.
    pub horizontal: f64,
    /// Between ranks.
    pub vertical: f64,
    /// The width an edge's bend takes in a rank it crosses.
    pub edge: f64,
    /// Around the drawing.
    pub margin: f64,
}

/// A placed box: its top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placed {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Placed {
    /// The horizontal centre.
    pub fn center_x(&self) -> f64 {
        self.x + self.width / 2.0
    }
}

/// The result: every box placed, every edge as a polyline from its source to its target.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// The boxes, in the order given.
    pub boxes: Vec<Placed>,
    /// The edges, in the order given: points from the source's bottom to the target's top.
    pub edges: Vec<Vec<(f64, f64)>>,
    /// The rank of each box.
    pub ranks: Vec<usize>,
    /// The drawing's width, margins included.
    pub width: f64,
    /// The drawing's height, margins included.
    pub height: f64,
}

struct Vertex {
    width: f64,
    rank: usize,
    /// The box it stands for, or `None` for a dummy.
    real: Option<usize>,
    up: Vec<usize>,
    down: Vec<usize>,
}

/// Lays out `sizes` with `edges` (source, target); sources must come before their targets.
///
/// # Panics
/// If an edge points backwards or out of range: callers pass a graph in topological order.
pub fn layout(sizes: &[BoxSize], edges: &[(usize, usize)], spacing: Spacing) -> Layout {
    let count = sizes.len();
    let mut ranks = vec![0usize; count];
    for &(from, to) in edges {
        assert!(from < to && to < count, "edges must follow the node order");
    }
    for node in 0..count {
        for &(from, to) in edges {
            if to == node {
                ranks[node] = ranks[node].max(ranks[from] + 1);
            }
        }
    }
    for node in 0..count {
        let is_source = edges.iter().all(|&(_, to)| to != node);
        let first_reader = edges
            .iter()
            .filter(|&&(from, _)| from == node)
            .map(|&(_, to)| ranks[to])
            .min();
        if let (true, Some(reader)) = (is_source, first_reader) {
            ranks[node] = reader - 1;
        }
    }

    let mut vertices: Vec<Vertex> = (0..count)
        .map(|node| Vertex {
            width: sizes[node].width,
            rank: ranks[node],
            real: Some(node),
            up: Vec::new(),
            down: Vec::new(),
        })
        .collect();
    let mut chains = Vec::with_capacity(edges.len());
    for &(from, to) in edges {
        let mut chain = vec![from];
        let mut previous = from;
        for rank in ranks[from] + 1..ranks[to] {
            let dummy = vertices.len();
            vertices.push(Vertex {
                width: spacing.edge,
                rank,
                real: None,
                up: vec![previous],
                down: Vec::new(),
            });
            vertices[previous].down.push(dummy);
            chain.push(dummy);
            previous = dummy;
        }
        vertices[previous].down.push(to);
        vertices[to].up.push(previous);
        chain.push(to);
        chains.push(chain);
    }

    let rank_count = ranks.iter().max().map_or(0, |r| r + 1);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); rank_count];
    for (id, vertex) in vertices.iter().enumerate() {
        layers[vertex.rank].push(id);
    }
    order_layers(&vertices, &mut layers);
    let centers = place_horizontally(&vertices, &layers, spacing.horizontal);

    // Ranks: as tall as their tallest box; boxes hang from the top of their rank.
    let mut rank_height = vec![0.0f64; rank_count];
    for (node, size) in sizes.iter().enumerate() {
        rank_height[ranks[node]] = rank_height[ranks[node]].max(size.height);
    }
    let mut rank_top = vec![spacing.margin; rank_count];
    for rank in 1..rank_count {
        rank_top[rank] = rank_top[rank - 1] + rank_height[rank - 1] + spacing.vertical;
    }
    let left = vertices
        .iter()
        .enumerate()
        .map(|(id, v)| centers[id] - v.width / 2.0)
        .fold(f64::INFINITY, f64::min);
    let right = vertices
        .iter()
        .enumerate()
        .map(|(id, v)| centers[id] + v.width / 2.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let shift = spacing.margin - if left.is_finite() { left } else { 0.0 };
    let x = |id: usize| centers[id] + shift;

    let boxes: Vec<Placed> = sizes
        .iter()
        .enumerate()
        .map(|(node, size)| Placed {
            x: x(node) - size.width / 2.0,
            y: rank_top[ranks[node]],
            width: size.width,
            height: size.height,
        })
        .collect();

    // Ports: the edges at a box's bottom (top) in the order of the vertices below (above).
    let port = |id: usize, neighbour: usize, neighbours: &[usize]| -> f64 {
        let mut sorted: Vec<usize> = neighbours.to_vec();
        sorted.sort_by(|a, b| centers[*a].total_cmp(&centers[*b]));
        sorted.dedup();
        let slot = sorted.iter().position(|&n| n == neighbour).unwrap_or(0);
        let spread = vertices[id].width * 0.6;
        if sorted.len() < 2 {
            x(id)
        } else {
            x(id) - spread / 2.0 + spread * slot as f64 / (sorted.len() - 1) as f64
        }
    };
    let edges = chains
        .iter()
        .map(|chain| {
            let (from, to) = (chain[0], chain[chain.len() - 1]);
            let mut points = Vec::with_capacity(2 * chain.len());
            let bottom = boxes[from].y + boxes[from].height;
            let start = port(from, chain[1], &vertices[from].down);
            points.push((start, bottom));
            let band_bottom = rank_top[ranks[from]] + rank_height[ranks[from]];
            if band_bottom > bottom {
                points.push((start, band_bottom));
            }
            for &dummy in &chain[1..chain.len() - 1] {
                let rank = vertices[dummy].rank;
                points.push((x(dummy), rank_top[rank]));
                points.push((x(dummy), rank_top[rank] + rank_height[rank]));
            }
            let end = port(to, chain[chain.len() - 2], &vertices[to].up);
            points.push((end, boxes[to].y));
            points
        })
        .collect();

    let height = rank_top
        .last()
        .zip(rank_height.last())
        .map_or(2.0 * spacing.margin, |(top, h)| top + h + spacing.margin);
    Layout {
        boxes,
        edges,
        ranks,
        width: if right.is_finite() {
            right - left + 2.0 * spacing.margin
        } else {
            2.0 * spacing.margin
        },
        height,
    }
}

/// The number of edge crossings between every pair of adjacent ranks.
fn crossings(vertices: &[Vertex], layers: &[Vec<usize>]) -> usize {
    let mut position = vec![0usize; vertices.len()];
    for layer in layers {
        for (index, &id) in layer.iter().enumerate() {
            position[id] = index;
        }
    }
    let mut total = 0;
    for layer in layers {
        let edges: Vec<(usize, usize)> = layer
            .iter()
            .flat_map(|&id| vertices[id].down.iter().map(move |&to| (id, to)))
            .map(|(from, to)| (position[from], position[to]))
            .collect();
        for (i, a) in edges.iter().enumerate() {
            for b in &edges[i + 1..] {
                if (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1) {
                    total += 1;
                }
            }
        }
    }
    total
}

fn order_layers(vertices: &[Vertex], layers: &mut [Vec<usize>]) {
    let mut best = layers.to_vec();
    let mut best_crossings = crossings(vertices, layers);
    for iteration in 0..12 {
        let downward = iteration % 2 == 0;
        let ranks: Vec<usize> = if downward {
            (1..layers.len()).collect()
        } else {
            (0..layers.len().saturating_sub(1)).rev().collect()
        };
        for rank in ranks {
            let fixed = if downward { rank - 1 } else { rank + 1 };
            let mut position = vec![0.0; vertices.len()];
            for (index, &id) in layers[fixed].iter().enumerate() {
                position[id] = index as f64;
            }
            let layer = &mut layers[rank];
            let keys: Vec<(usize, f64)> = layer
                .iter()
                .enumerate()
                .map(|(index, &id)| {
                    let neighbours = if downward {
                        &vertices[id].up
                    } else {
                        &vertices[id].down
                    };
                    let key = if neighbours.is_empty() {
                        // Nothing to follow: it keeps its place.
                        index as f64
                    } else {
                        neighbours.iter().map(|&n| position[n]).sum::<f64>()
                            / neighbours.len() as f64
                    };
                    (id, key)
                })
                .collect();
            let mut sorted = keys;
            sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
            *layer = sorted.into_iter().map(|(id, _)| id).collect();
        }
        transpose(vertices, layers);
        let now = crossings(vertices, layers);
        if now < best_crossings {
            best_crossings = now;
            best = layers.to_vec();
        }
        if best_crossings == 0 {
            break;
        }
    }
    layers.clone_from_slice(&best);
}

/// Swaps neighbours in a rank while that removes crossings.
fn transpose(vertices: &[Vertex], layers: &mut [Vec<usize>]) {
    let mut improved = true;
    let mut rounds = 0;
    while improved && rounds < 8 {
        improved = false;
        rounds += 1;
        for rank in 0..layers.len() {
            for index in 0..layers[rank].len().saturating_sub(1) {
                let before = crossings(vertices, layers);
                layers[rank].swap(index, index + 1);
                if crossings(vertices, layers) < before {
                    improved = true;
                } else {
                    layers[rank].swap(index, index + 1);
                }
            }
        }
    }
}

/// The centre of every vertex: each pulled towards its neighbours, rank by rank, while keeping
/// its rank's order and gaps.
fn place_horizontally(vertices: &[Vertex], layers: &[Vec<usize>], gap: f64) -> Vec<f64> {
    let mut centers = vec![0.0; vertices.len()];
    let widest = layers
        .iter()
        .map(|layer| packed_width(vertices, layer, gap))
        .fold(0.0, f64::max);
    for layer in layers {
        let mut x = (widest - packed_width(vertices, layer, gap)) / 2.0;
        for &id in layer {
            centers[id] = x + vertices[id].width / 2.0;
            x += vertices[id].width + gap;
        }
    }
    // Alternate sweeps down (following the nodes above) and up (following those below) until
    // nothing moves; a final downward sweep leaves each node under what it reads.
    for sweep in 0..400 {
        let downward = sweep % 2 == 0 || sweep == 399;
        let before = centers.clone();
        sweep_layers(vertices, layers, gap, downward, &mut centers);
        let moved = before
            .iter()
            .zip(&centers)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if moved < 1e-3 && !downward {
            sweep_layers(vertices, layers, gap, true, &mut centers);
            break;
        }
    }
    centers
}

fn sweep_layers(
    vertices: &[Vertex],
    layers: &[Vec<usize>],
    gap: f64,
    downward: bool,
    centers: &mut [f64],
) {
    let ranks: Vec<usize> = if downward {
        (0..layers.len()).collect()
    } else {
        (0..layers.len()).rev().collect()
    };
    for rank in ranks {
        let layer = &layers[rank];
        let desired: Vec<f64> = layer
            .iter()
            .map(|&id| {
                let v = &vertices[id];
                let (primary, fallback) = if downward {
                    (&v.up, &v.down)
                } else {
                    (&v.down, &v.up)
                };
                let neighbours = if primary.is_empty() {
                    fallback
                } else {
                    primary
                };
                if neighbours.is_empty() {
                    centers[id]
                } else {
                    neighbours.iter().map(|&n| centers[n]).sum::<f64>() / neighbours.len() as f64
                }
            })
            .collect();
        // Edge bends weigh more, so that long edges stay straight.
        let weights: Vec<f64> = layer
            .iter()
            .map(|&id| {
                if vertices[id].real.is_some() {
                    1.0
                } else {
                    2.0
                }
            })
            .collect();
        let placed = fit_in_order(vertices, layer, &desired, &weights, gap);
        for (&id, x) in layer.iter().zip(placed) {
            centers[id] = x;
        }
    }
}

fn packed_width(vertices: &[Vertex], layer: &[usize], gap: f64) -> f64 {
    let widths: f64 = layer.iter().map(|&id| vertices[id].width).sum();
    widths + gap * layer.len().saturating_sub(1) as f64
}

/// The centres closest (weighted least squares) to `desired` that keep the layer's order with
/// at least `gap` between neighbours: pool adjacent violators on the centres less their
/// minimal offsets.
fn fit_in_order(
    vertices: &[Vertex],
    layer: &[usize],
    desired: &[f64],
    weights: &[f64],
    gap: f64,
) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(layer.len());
    let mut offset = 0.0;
    for (index, &id) in layer.iter().enumerate() {
        if index > 0 {
            offset += (vertices[layer[index - 1]].width + vertices[id].width) / 2.0 + gap;
        }
        offsets.push(offset);
    }
    // Blocks of (weighted mean, total weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for index in 0..layer.len() {
        let mut block = (desired[index] - offsets[index], weights[index], 1);
        while let Some(&(mean, weight, count)) = blocks.last() {
            if mean <= block.0 {
                break;
            }
            blocks.pop();
            let total = weight + block.1;
            block = (
                (mean * weight + block.0 * block.1) / total,
                total,
                count + block.2,
            );
        }
        blocks.push(block);
    }
    let mut centers = Vec::with_capacity(layer.len());
    for (mean, _, count) in blocks {
        for _ in 0..count {
            centers.push(mean + offsets[centers.len()]);
        }
    }
    centers
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACING: Spacing = Spacing {
        horizontal: 20.0,
        vertical: 30.0,
        edge: 10.0,
        margin: 5.0,
    };

    fn size(width: f64) -> BoxSize {
        BoxSize {
            width,
            height: 40.0,
        }
    }

    fn overlaps(a: &Placed, b: &Placed) -> bool {
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    }

    #[test]
    fn a_chain_is_one_straight_column() {
        let sizes = [size(100.0), size(60.0), size(140.0)];
        let layout = layout(&sizes, &[(0, 1), (1, 2)], SPACING);
        assert_eq!(layout.ranks, [0, 1, 2]);
        let centers: Vec<f64> = layout.boxes.iter().map(Placed::center_x).collect();
        assert!(
            centers.iter().all(|c| (c - centers[0]).abs() < 1e-9),
            "{centers:?}"
        );
        assert_eq!(layout.boxes[1].y, 5.0 + 40.0 + 30.0);
        assert_eq!(layout.width, 140.0 + 10.0);
        assert_eq!(layout.height, 5.0 + 3.0 * 40.0 + 2.0 * 30.0 + 5.0);
        // Edges go straight down from bottom to top.
        assert_eq!(layout.edges[0], [(centers[0], 45.0), (centers[1], 75.0)]);
    }

    #[test]
    fn wide_and_deep_has_no_overlaps_and_the_wide_input_sits_beside_hidden2() {
        // wide, deep, hidden1, hidden2, concat, main, aux
        let sizes = [
            size(120.0),
            size(120.0),
            size(100.0),
            size(100.0),
            size(150.0),
            size(90.0),
            size(90.0),
        ];
        let edges = [(1, 2), (2, 3), (0, 4), (3, 4), (4, 5), (3, 6)];
        let layout = layout(&sizes, &edges, SPACING);
        assert_eq!(layout.ranks, [2, 0, 1, 2, 3, 4, 3]);
        for (i, a) in layout.boxes.iter().enumerate() {
            for b in &layout.boxes[i + 1..] {
                assert!(!overlaps(a, b), "{a:?} {b:?}");
            }
        }
        // Every edge ends on the top of its target.
        for (edge, &(_, to)) in layout.edges.iter().zip(&edges) {
            let end = edge.last().unwrap();
            assert_eq!(end.1, layout.boxes[to].y);
            let target = layout.boxes[to];
            assert!(end.0 >= target.x && end.0 <= target.x + target.width);
        }
        assert!(layout
            .boxes
            .iter()
            .all(|b| b.x >= 5.0 && b.x + b.width <= layout.width - 5.0 + 1e-9));
    }

    #[test]
    fn a_skip_connection_bends_beside_the_boxes_it_skips() {
        // x -> a -> b, and add(x, b): the edge x -> add crosses the ranks of a and b.
        let sizes = [size(80.0), size(100.0), size(100.0), size(80.0)];
        let edges = [(0, 1), (1, 2), (0, 3), (2, 3)];
        let layout = layout(&sizes, &edges, SPACING);
        assert_eq!(layout.ranks, [0, 1, 2, 3]);
        assert_eq!(layout.edges[2].len(), 2 + 2 * 2);
        for &(x, y) in &layout.edges[2][1..5] {
            for node in [1, 2] {
                let b = layout.boxes[node];
                assert!(!(x > b.x && x < b.x + b.width && y > b.y && y < b.y + b.height));
            }
        }
    }

    #[test]
    fn crossings_are_removed_when_an_order_without_them_exists() {
        // a, b on top; c reads b and d reads a: declaring c first would cross.
        let sizes = [size(50.0), size(50.0), size(50.0), size(50.0)];
        let edges = [(1, 2), (0, 3)];
        let result = layout(&sizes, &edges, SPACING);
        let (a, b, c, d) = (
            result.boxes[0],
            result.boxes[1],
            result.boxes[2],
            result.boxes[3],
        );
        assert_eq!(a.x < b.x, d.x < c.x, "{result:?}");
    }

    #[test]
    fn pooling_keeps_gaps_and_order() {
        let vertices: Vec<Vertex> = (0..3)
            .map(|_| Vertex {
                width: 10.0,
                rank: 0,
                real: Some(0),
                up: vec![],
                down: vec![],
            })
            .collect();
        // All three want the same spot: they spread evenly around it.
        let placed = fit_in_order(&vertices, &[0, 1, 2], &[50.0, 50.0, 50.0], &[1.0; 3], 5.0);
        assert_eq!(placed, [35.0, 50.0, 65.0]);
        // Far apart already: each gets what it wants.
        let placed = fit_in_order(&vertices, &[0, 1, 2], &[0.0, 100.0, 200.0], &[1.0; 3], 5.0);
        assert_eq!(placed, [0.0, 100.0, 200.0]);
    }
}
