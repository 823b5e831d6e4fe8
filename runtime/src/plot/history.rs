//! `History::plot`: the book's learning curves.
//!
//! The book draws them with `pd.DataFrame(history.history).plot(figsize=(8, 5))`,
//! `plt.grid(True)` and `plt.gca().set_ylim(0, 1)`: every logged value against the epoch, in
//! matplotlib's first colours, with a grid and a legend. This is that figure, 800 x 500.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::{
    ChartBuilder, DrawingArea, DrawingAreaErrorKind, DrawingBackend, LineSeries, PathElement,
    RGBColor, SeriesLabelPosition, BLACK, WHITE,
};
use plotters::style::{Color, IntoFont};

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
        let x_range = first..last.max(first + 1.0);
        let mut chart = ChartBuilder::on(area)
            .margin(px(16.0))
            .x_label_area_size(px(46.0))
            .y_label_area_size(px(52.0))
            .build_cartesian_2d(x_range, 0.0..self.y_max())?;
        let label_font = (FONT_FAMILY, 14.0 * s).into_font();
        chart
            .configure_mesh()
            .x_labels(epochs.len().clamp(2, 11))
            .y_labels(11)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_desc("epoch")
            .label_style(label_font.clone())
            .axis_desc_style((FONT_FAMILY, 15.0 * s).into_font())
            .bold_line_style(BLACK.mix(0.16).stroke_width(px(1.0).max(1)))
            .light_line_style(WHITE.mix(0.0))
            .axis_style(BLACK.stroke_width(px(1.0).max(1)))
            .draw()?;
        for (index, key) in self.history.keys().iter().enumerate() {
            let color = TAB10[index % TAB10.len()];
            let style = color.stroke_width(px(2.0).max(1));
            let points: Vec<(f64, f64)> = epochs
                .iter()
                .zip(&self.history.history[key])
                .filter(|(_, v)| v.is_finite())
                .map(|(&e, &v)| (e as f64, v))
                .collect();
            chart
                .draw_series(LineSeries::new(points, style))?
                .label(key.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + (24.0 * s) as i32, y)], style)
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .margin(px(12.0))
            .legend_area_size(px(34.0))
            .label_font(label_font)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    }
}
