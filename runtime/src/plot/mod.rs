//! Pictures, drawn in Rust: [`plot_model`] (Keras's `keras.utils.plot_model`) and
//! [`History::plot`](crate::History::plot) (the book's learning curves).
//!
//! Both write a PNG, or an SVG when the file name ends in `.svg`; `plot_model` also writes
//! Graphviz's DOT text for `.dot` and `.gv`. No Graphviz, no system font: the layout is
//! computed here ([`layout`]) and the text is set in DejaVu Sans, embedded. PNGs are drawn at
//! twice their size and scaled down, so lines and text are anti-aliased.
//!
//! ```no_run
//! use densely::plot::{plot_model, PlotOptions};
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
//! plot_model::<FashionMlp>("my_fashion_mnist_model.png", PlotOptions::default().show_shapes(true))?;
//! # Ok::<(), densely::Error>(())
//! ```

mod history;
pub mod layout;
mod legend;
mod model;
mod text;

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::{
    BitMapBackend, DrawingArea, DrawingAreaErrorKind, DrawingBackend, IntoDrawingArea, SVGBackend,
    WHITE,
};

pub use model::{model_to_dot, plot_graph, plot_model, PlotOptions};
pub use text::text_width;

use crate::error::{Error, Result};
use crate::io::write_atomically;
use text::Crisp;

/// The font family SVG files ask for: the embedded font's, with look-alike fallbacks.
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

/// PNGs are drawn this many times larger, then averaged down.
const SUPERSAMPLE: u32 = 2;

/// What a file name asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A PNG image (also for a name without extension).
    Png,
    /// An SVG image.
    Svg,
    /// Graphviz DOT text.
    Dot,
}

impl Format {
    /// The format of `path` by its extension, case-insensitive; `dot` says whether DOT text
    /// is one of the choices.
    pub fn of(path: &Path, dot: bool) -> Result<Format> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            None | Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            Some("dot" | "gv") if dot => Ok(Format::Dot),
            Some(other) => Err(Error::Argument {
                argument: "to_file",
                reason: format!(
                    "{}: unsupported extension `.{other}`; use .png or .svg{}",
                    path.display(),
                    if dot {
                        " (or .dot for Graphviz text)"
                    } else {
                        ""
                    }
                ),
            }),
        }
    }
}

/// Something drawable at any scale: `draw` multiplies every length by `scale`.
pub(crate) trait Picture {
    /// The size in pixels at scale 1.
    fn size(&self) -> (u32, u32);
    /// Draws on `area`, every length times `scale`.
    fn draw<B: DrawingBackend>(
        &self,
        area: &DrawingArea<B, Shift>,
        scale: f64,
    ) -> Result<(), DrawingAreaErrorKind<B::ErrorType>>;
}

fn drawing_error(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(format!("drawing failed: {error}")),
    }
}

/// Writes `picture` to `path` as `format` (PNG or SVG), atomically.
pub(crate) fn write_picture(path: &Path, format: Format, picture: &impl Picture) -> Result<()> {
    let (width, height) = picture.size();
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let backend = Crisp::new(SVGBackend::with_string(&mut svg, (width, height)), false);
                let area = backend.into_drawing_area();
                area.fill(&WHITE).map_err(|e| drawing_error(path, e))?;
                picture
                    .draw(&area, 1.0)
                    .map_err(|e| drawing_error(path, e))?;
                area.present().map_err(|e| drawing_error(path, e))?;
            }
            write_atomically(path, svg.as_bytes())
        }
        Format::Png | Format::Dot => {
            let (big_width, big_height) = (width * SUPERSAMPLE, height * SUPERSAMPLE);
            let mut pixels = vec![255u8; big_width as usize * big_height as usize * 3];
            {
                let bitmap = BitMapBackend::with_buffer(&mut pixels, (big_width, big_height));
                let area = Crisp::new(bitmap, true).into_drawing_area();
                picture
                    .draw(&area, f64::from(SUPERSAMPLE))
                    .map_err(|e| drawing_error(path, e))?;
                area.present().map_err(|e| drawing_error(path, e))?;
            }
            let small = downsample(&pixels, big_width as usize, big_height as usize);
            let png = encode_png(&small, width, height).map_err(|e| drawing_error(path, e))?;
            write_atomically(path, &png)
        }
    }
}

/// Averages each `SUPERSAMPLE x SUPERSAMPLE` block of an RGB image.
fn downsample(pixels: &[u8], width: usize, height: usize) -> Vec<u8> {
    let factor = SUPERSAMPLE as usize;
    let (small_width, small_height) = (width / factor, height / factor);
    let mut small = vec![0u8; small_width * small_height * 3];
    for y in 0..small_height {
        for x in 0..small_width {
            for channel in 0..3 {
                let mut sum = 0u32;
                for dy in 0..factor {
                    for dx in 0..factor {
                        let index = ((y * factor + dy) * width + x * factor + dx) * 3 + channel;
                        sum += u32::from(pixels[index]);
                    }
                }
                let count = (factor * factor) as u32;
                small[(y * small_width + x) * 3 + channel] = ((sum + count / 2) / count) as u8;
            }
        }
    }
    small
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
    }
    Ok(bytes)
}

/// The width and height a PNG file declares in its header, or `None` if `bytes` don't start
/// like a PNG: for tests and tools that check what was written.
pub fn png_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    if bytes.len() < 24 || bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((word(16), word(20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(Format::of(Path::new("a.png"), true).unwrap(), Format::Png);
        assert_eq!(Format::of(Path::new("a.PNG"), false).unwrap(), Format::Png);
        assert_eq!(Format::of(Path::new("model"), true).unwrap(), Format::Png);
        assert_eq!(Format::of(Path::new("a.svg"), false).unwrap(), Format::Svg);
        assert_eq!(Format::of(Path::new("a.gv"), true).unwrap(), Format::Dot);
        let err = Format::of(Path::new("a.dot"), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported extension `.dot`"), "{err}");
        let err = Format::of(Path::new("a.jpg"), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("use .png or .svg (or .dot"), "{err}");
    }

    #[test]
    fn downsampling_averages_blocks() {
        // A 2 x 2 block of black, white, white, black pixels becomes one mid-grey.
        let mut pixels = vec![255u8; 2 * 2 * 3];
        pixels[..3].fill(0);
        pixels[9..].fill(0);
        assert_eq!(downsample(&pixels, 2, 2), [128, 128, 128]);
    }

    #[test]
    fn png_headers_are_read_back() {
        let png = encode_png(&[0u8; 3 * 6], 3, 2).unwrap();
        assert_eq!(png_dimensions(&png), Some((3, 2)));
        assert_eq!(png_dimensions(b"not a png at all, not at all"), None);
    }
}
