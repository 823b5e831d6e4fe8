//! `History::plot`: the book's learning curves.
//!
//! The book draws them with `pd.DataFrame(history.history).plot(figsize=(8, 5))`,
//! `plt.grid(True)` and `plt.gca().set_ylim(0, 1)`: every logged value against the epoch, in
//! matplotlib's first colours, with a grid and a legend. This is that figure, 800 x 500.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::{
    ChartBuilder, Circle, DrawingArea, DrawingAreaErrorKind, DrawingBackend, EmptyElement,
    LineSeries, PathElement, RGBColor, BLACK, WHITE,
};
use plotters::style::{Color, IntoFont};

use super::legend::{least_covered, Rect};
use super::text::text_width;
use super::{write_picture, Format, Picture, FONT_FAMILY};
use crate::error::{Error, Result};
use crate::training::History;

/// matplotlib's default colour cycle (`tab10`), the colours of the book's figure.
const TAB10: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

impl History {
    /// The book's learning curves as a PNG (or an SVG for a `.svg` name): every logged value
    /// (`loss`, `accuracy`, `val_loss`, `val_accuracy`, ...) against the epoch, y from 0 to 1
    /// (higher when a value exceeds 1, as a regression loss may), a grid and a legend.
    ///
    /// ```no_run
    /// # use densely::training::{History, Logs};
    /// # let mut history = History::default();
    /// # history.record(0, &Logs::from_pairs([("loss", 0.9)]));
    /// history.plot("learning_curves.png")?;
    /// # Ok::<(), densely::Error>(())
    /// ```
    pub fn plot(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let format = Format::of(path, false)?;
        if self.epoch.is_empty() {
            return Err(Error::Argument {
                argument: "history",
                reason: "holds no epoch to plot: fit has not run".into(),
            });
        }
        write_picture(path, format, &Curves { history: self })
    }
}

struct Curves<'h> {
    history: &'h History,
}

impl Curves<'_> {
    /// The top of the y axis: 1 as in the book, or the next half unit above the largest
    /// value when some value exceeds 1.
    fn y_max(&self) -> f64 {
        let largest = self
            .history
            .history
            .values()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        if largest <= 1.0 {
            1.0
        } else {
            (largest * 2.0).ceil() / 2.0
        }
    }
}

impl Picture for Curves<'_> {
    fn size(&self) -> (u32, u32) {
        (800, 500)
    }

    fn draw<B: DrawingBackend>(
        &self,
        area: &DrawingArea<B, Shift>,
        s: f64,
    ) -> Result<(), DrawingAreaErrorKind<B::ErrorType>> {
        let px = |v: f64| (v * s).round() as u32;
        let epochs = &self.history.epoch;
        let first = epochs.first().copied().unwrap_or(0) as f64;
        let last = epochs.last().copied().unwrap_or(0) as f64;
        // One epoch gets half an epoch either side, so its points stand inside the frame.
        let x_range = if last > first {
            first..last
        } else {
            first - 0.5..first + 0.5
        };
        let mut chart = ChartBuilder::on(area)
            .margin(px(16.0))
            .x_label_area_size(px(46.0))
            .y_label_area_size(px(52.0))
            .build_cartesian_2d(x_range, 0.0..self.y_max())?;
        let label_size = 14.0 * s;
        let label_font = (FONT_FAMILY, label_size).into_font();
        chart
            .configure_mesh()
            .x_labels(epochs.len().clamp(2, 11))
            .y_labels(11)
            .x_label_formatter(&|x| whole_epoch(*x))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_desc("epoch")
            .label_style(label_font.clone())
            .axis_desc_style((FONT_FAMILY, 15.0 * s).into_font())
            .bold_line_style(BLACK.mix(0.16).stroke_width(px(1.0).max(1)))
            .light_line_style(WHITE.mix(0.0))
            .axis_style(BLACK.stroke_width(px(1.0).max(1)))
            .draw()?;
        let keys = self.history.keys();
        let mut drawn_runs = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            let color = TAB10[index % TAB10.len()];
            let style = color.stroke_width(px(2.0).max(1));
            let runs = finite_runs(epochs, &self.history.history[key]);
            let legend = move |(x, y): (i32, i32)| {
                PathElement::new(vec![(x, y), (x + (24.0 * s) as i32, y)], style)
            };
            if runs.is_empty() {
                // A key with no finite value still gets its line in the legend.
                chart
                    .draw_series(std::iter::empty::<EmptyElement<(f64, f64), B>>())?
                    .label(key.as_str())
                    .legend(legend);
            }
            for (number, run) in runs.iter().enumerate() {
                let annotation = if run.len() == 1 {
                    // A point alone (one epoch, or between non-finite values) is a dot.
                    chart.draw_series(
                        run.iter()
                            .map(|&at| Circle::new(at, px(3.5), color.filled())),
                    )?
                } else {
                    chart.draw_series(LineSeries::new(run.iter().copied(), style))?
                };
                if number == 0 {
                    annotation.label(key.as_str()).legend(legend);
                }
            }
            drawn_runs.extend(runs.into_iter().map(|run| {
                run.iter()
                    .map(|at| {
                        let (x, y) = chart.backend_coord(at);
                        (f64::from(x), f64::from(y))
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let margin = 12.0 * s;
        let swatch = 34.0 * s;
        let widest = keys
            .iter()
            .map(|key| text_width(key, label_size, false))
            .fold(0.0, f64::max);
        let legend = (
            widest + swatch + 2.0 * margin,
            label_size * (1.0 + 1.25 * (keys.len().max(1) - 1) as f64) + 2.0 * margin,
        );
        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        let plot = Rect::new(
            f64::from(x_pixels.start),
            f64::from(y_pixels.start),
            f64::from(x_pixels.end),
            f64::from(y_pixels.end),
        );
        chart
            .configure_series_labels()
            .position(least_covered(plot, legend, &drawn_runs))
            .margin(px(12.0))
            .legend_area_size(px(34.0))
            .label_font(label_font)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    }
}

/// An epoch's axis label: whole epochs only, so that a short history doesn't repeat labels.
fn whole_epoch(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{:.0}", x.round() + 0.0)
    } else {
        String::new()
    }
}

/// The runs of consecutive finite values of a curve, as (epoch, value) points: a non-finite
/// value breaks the line rather than being skipped over.
fn finite_runs(epochs: &[usize], values: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut broken = true;
    for (&epoch, &value) in epochs.iter().zip(values) {
        if !value.is_finite() {
            broken = true;
        } else if broken {
            runs.push(vec![(epoch as f64, value)]);
            broken = false;
        } else if let Some(run) = runs.last_mut() {
            run.push((epoch as f64, value));
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_break_the_curve_into_runs() {
        let runs = finite_runs(&[0, 1, 2, 3, 4], &[0.5, f64::NAN, 0.4, 0.3, f64::INFINITY]);
        assert_eq!(runs, vec![vec![(0.0, 0.5)], vec![(2.0, 0.4), (3.0, 0.3)]]);
        assert_eq!(finite_runs(&[7], &[0.25]), vec![vec![(7.0, 0.25)]]);
        assert!(finite_runs(&[0, 1], &[f64::NAN, f64::NAN]).is_empty());
    }

    #[test]
    fn the_epoch_axis_labels_whole_epochs_only() {
        assert_eq!(whole_epoch(3.0), "3");
        assert_eq!(whole_epoch(-0.0), "0");
        assert_eq!(whole_epoch(0.5), "");
    }
}
