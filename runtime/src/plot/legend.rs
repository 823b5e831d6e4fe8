//! Where a legend goes: matplotlib's `loc="best"`, the place where it hides the least of the
//! curves.
//!
//! As matplotlib does, each candidate place is scored by the points of the curves inside the
//! legend's box plus the segments crossing it, and the first place of lowest score wins, in
//! matplotlib's order: upper right, upper left, lower left, lower right, right, left, lower
//! centre, upper centre, centre.

use plotters::prelude::SeriesLabelPosition;

/// plotters' gap between a legend and the edges of the plot, in pixels.
const INSET: f64 = 5.0;

/// A rectangle in pixels, y growing downwards.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Rect {
    /// The rectangle from (`left`, `top`) to (`right`, `bottom`).
    pub(crate) fn new(left: f64, top: f64, right: f64, bottom: f64) -> Rect {
        Rect {
            left,
            top,
            right,
            bottom,
        }
    }

    fn contains(&self, (x, y): (f64, f64)) -> bool {
        (self.left..=self.right).contains(&x) && (self.top..=self.bottom).contains(&y)
    }

    /// Whether the segment from `a` to `b` passes through the rectangle (Liang-Barsky).
    fn crosses(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut enter, mut leave) = (0.0f64, 1.0f64);
        let sides = [
            (-dx, a.0 - self.left),
            (dx, self.right - a.0),
            (-dy, a.1 - self.top),
            (dy, self.bottom - a.1),
        ];
        for (toward, room) in sides {
            if toward == 0.0 {
                if room < 0.0 {
                    return false;
                }
            } else {
                let t = room / toward;
                if toward < 0.0 {
                    enter = enter.max(t);
                } else {
                    leave = leave.min(t);
                }
            }
        }
        enter <= leave
    }
}

/// The candidate places, in matplotlib's order of preference.
const PLACES: [SeriesLabelPosition; 9] = [
    SeriesLabelPosition::UpperRight,
    SeriesLabelPosition::UpperLeft,
    SeriesLabelPosition::LowerLeft,
    SeriesLabelPosition::LowerRight,
    SeriesLabelPosition::MiddleRight,
    SeriesLabelPosition::MiddleLeft,
    SeriesLabelPosition::LowerMiddle,
    SeriesLabelPosition::UpperMiddle,
    SeriesLabelPosition::MiddleMiddle,
];

/// The box a legend of `size` (width, height) takes at `place` inside `plot`, as plotters
/// lays it out.
fn box_at(place: &SeriesLabelPosition, plot: Rect, (width, height): (f64, f64)) -> Rect {
    use SeriesLabelPosition::*;
    let left = match place {
        UpperLeft | MiddleLeft | LowerLeft => plot.left + INSET,
        UpperRight | MiddleRight | LowerRight => plot.right - width - INSET,
        _ => (plot.left + plot.right - width) / 2.0,
    };
    let top = match place {
        UpperLeft | UpperMiddle | UpperRight => plot.top + INSET,
        LowerLeft | LowerMiddle | LowerRight => plot.bottom - height - INSET,
        _ => (plot.top + plot.bottom - height) / 2.0,
    };
    Rect::new(left, top, left + width, top + height)
}

/// How much of `curves` (each a polyline, in pixels) a legend box at `area` hides.
fn badness(area: Rect, curves: &[Vec<(f64, f64)>]) -> usize {
    let points = curves
        .iter()
        .flatten()
        .filter(|&&p| area.contains(p))
        .count();
    let segments = curves
        .iter()
        .flat_map(|curve| curve.windows(2))
        .filter(|pair| area.crosses(pair[0], pair[1]))
        .count();
    points + segments
}

/// The place for a legend of `size` inside `plot` that hides the least of `curves`.
pub(crate) fn least_covered(
    plot: Rect,
    size: (f64, f64),
    curves: &[Vec<(f64, f64)>],
) -> SeriesLabelPosition {
    let mut best = (usize::MAX, 0);
    for (index, place) in PLACES.iter().enumerate() {
        let score = badness(box_at(place, plot, size), curves);
        if score < best.0 {
            best = (score, index);
        }
    }
    PLACES[best.1].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: Rect = Rect {
        left: 0.0,
        top: 0.0,
        right: 100.0,
        bottom: 100.0,
    };

    fn name(place: SeriesLabelPosition) -> &'static str {
        match place {
            SeriesLabelPosition::UpperRight => "upper right",
            SeriesLabelPosition::UpperLeft => "upper left",
            SeriesLabelPosition::LowerLeft => "lower left",
            SeriesLabelPosition::LowerRight => "lower right",
            _ => "elsewhere",
        }
    }

    #[test]
    fn segments_crossing_a_box_are_found_even_without_a_point_inside() {
        let area = Rect::new(10.0, 10.0, 20.0, 20.0);
        assert!(area.crosses((0.0, 15.0), (30.0, 15.0)));
        assert!(area.crosses((0.0, 0.0), (30.0, 30.0)));
        assert!(!area.crosses((0.0, 25.0), (30.0, 25.0)));
        assert!(!area.crosses((0.0, 0.0), (5.0, 5.0)));
        assert!(area.crosses((15.0, 15.0), (15.0, 15.0)));
    }

    #[test]
    fn the_legend_avoids_the_curves() {
        let size = (30.0, 20.0);
        // Nothing drawn: matplotlib's first choice.
        assert_eq!(name(least_covered(PLOT, size, &[])), "upper right");
        // A curve falling from the upper left to the lower right, as a loss does, and one
        // rising along the top right, as an accuracy does: the lower left is free.
        let loss = vec![(0.0, 5.0), (50.0, 60.0), (100.0, 95.0)];
        let accuracy = vec![(0.0, 40.0), (30.0, 10.0), (100.0, 5.0)];
        assert_eq!(
            name(least_covered(PLOT, size, &[loss.clone(), accuracy])),
            "lower left"
        );
        // One point in the upper right pushes the legend to the upper left.
        assert_eq!(
            name(least_covered(PLOT, size, &[vec![(90.0, 10.0)]])),
            "upper left"
        );
    }
}
