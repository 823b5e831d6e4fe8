//! Text in pictures: an embedded font (DejaVu Sans, from the `dejavu` crate), so that plots
//! render the same on a machine without any font installed, and a drawing backend that lays
//! text out with it.
//!
//! plotters' own font support either loads system fonts (`ttf`) or misplaces glyphs
//! (`ab_glyph` in 0.3.7 drops their side bearings and centres the baseline); [`Crisp`] wraps a
//! backend and draws text itself with `ab_glyph`, anti-aliased, and measures it for layout
//! with the same metrics, so that boxes fit their text exactly.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};

/// plotters' text sizes are 1.24 em (`size / 1.24` is the em in pixels, as its SVG backend
/// writes `font-size`).
const SIZE_PER_EM: f64 = 1.24;

struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        regular: FontRef::try_from_slice(dejavu::sans::regular())
            .expect("the embedded DejaVu Sans is a valid font"),
        bold: FontRef::try_from_slice(dejavu::sans::bold())
            .expect("the embedded DejaVu Sans Bold is a valid font"),
    })
}

fn font(bold: bool) -> &'static FontRef<'static> {
    if bold {
        &fonts().bold
    } else {
        &fonts().regular
    }
}

fn px_scale(font: &FontRef<'static>, em: f64) -> PxScale {
    let units_per_em = font.units_per_em().unwrap_or(2048.0);
    PxScale::from((em as f32) * font.height_unscaled() / units_per_em)
}

/// The advance width in pixels of `text` set at `em` pixels per em.
pub fn text_width(text: &str, em: f64, bold: bool) -> f64 {
    let font = font(bold);
    let scaled = font.as_scaled(px_scale(font, em));
    let mut width = 0.0f32;
    let mut previous = None;
    for c in text.chars() {
        let glyph = scaled.glyph_id(c);
        if let Some(previous) = previous {
            width += scaled.kern(previous, glyph);
        }
        width += scaled.h_advance(glyph);
        previous = Some(glyph);
    }
    f64::from(width)
}

/// Rasterizes `text` with its baseline starting at (`x`, `baseline`) in an unrotated frame,
/// calling `put(dx, dy, coverage)` for each covered pixel.
fn rasterize(
    text: &str,
    em: f64,
    bold: bool,
    x: f32,
    baseline: f32,
    put: &mut dyn FnMut(i32, i32, f32),
) {
    let font = font(bold);
    let scale = px_scale(font, em);
    let scaled = font.as_scaled(scale);
    let mut caret = x;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            caret += scaled.kern(previous, id);
        }
        let glyph = id.with_scale_and_position(scale, point(caret, baseline));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                put(
                    bounds.min.x as i32 + gx as i32,
                    bounds.min.y as i32 + gy as i32,
                    coverage,
                );
            });
        }
        caret += scaled.h_advance(id);
        previous = Some(id);
    }
}

/// A backend whose text is laid out and measured with the embedded font: rasterized for
/// bitmaps, written as `<text>` for SVG (`raster_text` false) but measured the same way.
pub struct Crisp<B> {
    inner: B,
    raster_text: bool,
}

impl<B: DrawingBackend> Crisp<B> {
    /// Wraps `inner`; `raster_text` draws glyphs as pixels instead of handing text on.
    pub fn new(inner: B, raster_text: bool) -> Self {
        Crisp { inner, raster_text }
    }
}

fn is_bold<S: BackendTextStyle>(style: &S) -> bool {
    matches!(style.style(), FontStyle::Bold)
}

impl<B: DrawingBackend> DrawingBackend for Crisp<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if !self.raster_text {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let em = style.size() / SIZE_PER_EM;
        let bold = is_bold(style);
        let width = text_width(text, em, bold);
        let anchor = style.anchor();
        let x = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // Where SVG puts the baseline for the same anchor (`dy` of 0.76em at the top).
        let baseline = match anchor.v_pos {
            VPos::Top => 0.76 * em,
            VPos::Center => 0.36 * em,
            VPos::Bottom => -0.24 * em,
        };
        let transform = style.transform();
        let (w, h) = self.inner.get_size();
        let mut result = Ok(());
        let inner = &mut self.inner;
        rasterize(
            text,
            em,
            bold,
            x as f32,
            baseline as f32,
            &mut |dx, dy, coverage| {
                let (dx, dy) = transform.transform(dx, dy);
                let (px, py) = (pos.0 + dx, pos.1 + dy);
                if result.is_ok()
                    && coverage > 0.0
                    && px >= 0
                    && py >= 0
                    && px < w as i32
                    && py < h as i32
                {
                    let alpha = color.alpha * f64::from(coverage.min(1.0));
                    result = inner.draw_pixel(
                        (px, py),
                        BackendColor {
                            alpha,
                            rgb: color.rgb,
                        },
                    );
                }
            },
        );
        result
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let em = style.size() / SIZE_PER_EM;
        let width = text_width(text, em, is_bold(style));
        Ok((width.ceil() as u32, em.ceil() as u32))
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_measures_text() {
        let narrow = text_width("il", 20.0, false);
        let wide = text_width("WM", 20.0, false);
        assert!(narrow > 5.0 && wide > 2.0 * narrow, "{narrow} {wide}");
        assert!(text_width("hidden1", 20.0, true) > text_width("hidden1", 20.0, false));
        // Twice the size, twice the width.
        let ratio = text_width("Dense", 40.0, false) / text_width("Dense", 20.0, false);
        assert!((ratio - 2.0).abs() < 0.02, "{ratio}");
    }
}
