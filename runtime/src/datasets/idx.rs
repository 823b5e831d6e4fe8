//! A reader for the IDX files MNIST and Fashion-MNIST are distributed in, gzip-compressed or not.
//!
//! An IDX file is a 4-byte magic number `00 00 TT NN` (`TT` the element type, `0x08` for
//! unsigned bytes; `NN` the number of dimensions), then each dimension as a big-endian `u32`, then
//! the elements in row-major order. Images are `0x00000803` with dimensions `[n, 28, 28]`, labels
//! `0x00000801` with dimension `[n]`. Files starting with the gzip signature are decompressed on
//! the fly.
//!
//! Every failure is an [`Error`] naming the file and what is wrong with it; nothing here panics.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use super::images::{ImageSet, IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS};
use crate::data::Labels;
use crate::error::{Error, Result};

/// The magic number of an IDX file of unsigned-byte labels: one dimension.
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// The magic number of an IDX file of unsigned-byte images: three dimensions.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;

/// The first two bytes of every gzip stream.
const GZIP_SIGNATURE: [u8; 2] = [0x1f, 0x8b];

/// Allocation made up front for the elements; a larger file grows the buffer as it is read, so
/// a corrupt header claiming billions of images cannot make us allocate them before reading.
const MAX_PREALLOCATION: usize = 64 << 20;

/// Reads an IDX file of 28 x 28 unsigned-byte images (magic `0x00000803`).
///
/// ```no_run
/// let images = densely::datasets::idx::read_images("train-images-idx3-ubyte.gz")?;
/// assert_eq!(images.shape(), [60000, 28, 28]);
/// # Ok::<(), densely::Error>(())
/// ```
pub fn read_images(path: impl AsRef<Path>) -> Result<ImageSet> {
    let path = path.as_ref();
    let (dims, pixels) = read_u8_array(path, IMAGES_MAGIC, "images")?;
    let (rows, cols) = (dims[1], dims[2]);
    if (rows, cols) != (IMAGE_ROWS as u32, IMAGE_COLS as u32) {
        return Err(format_error(
            path,
            format!("the images are {rows} x {cols}, expected {IMAGE_ROWS} x {IMAGE_COLS}"),
        ));
    }
    debug_assert_eq!(pixels.len() % IMAGE_PIXELS, 0);
    ImageSet::from_pixels(pixels).map_err(|err| format_error(path, err.to_string()))
}

/// Reads an IDX file of unsigned-byte class labels (magic `0x00000801`), each below `C`.
///
/// ```no_run
/// use densely::Labels;
///
/// let labels: Labels<10> = densely::datasets::idx::read_labels("train-labels-idx1-ubyte.gz")?;
/// assert_eq!(labels.len(), 60000);
/// # Ok::<(), densely::Error>(())
/// ```
pub fn read_labels<const C: usize>(path: impl AsRef<Path>) -> Result<Labels<C>> {
    let path = path.as_ref();
    let (_, bytes) = read_u8_array(path, LABELS_MAGIC, "labels")?;
    if let Some((index, &label)) = bytes
        .iter()
        .enumerate()
        .find(|(_, &label)| usize::from(label) >= C)
    {
        return Err(format_error(
            path,
            format!("label {label} at index {index} is not one of the {C} classes 0..{C}"),
        ));
    }
    Labels::from_bytes(&bytes).map_err(|err| format_error(path, err.to_string()))
}

/// Reads an unsigned-byte IDX array whose magic number must be `magic`: its dimensions and its
/// elements, checked to be exactly as many as the dimensions promise.
fn read_u8_array(path: &Path, magic: u32, what: &str) -> Result<(Vec<u32>, Vec<u8>)> {
    let file = File::open(path).map_err(|source| io_error(path, source))?;
    let mut buffered = BufReader::with_capacity(1 << 16, file);
    let compressed = buffered
        .fill_buf()
        .map_err(|source| io_error(path, source))?
        .starts_with(&GZIP_SIGNATURE);
    if compressed {
        read_u8_stream(path, MultiGzDecoder::new(buffered), magic, what)
    } else {
        read_u8_stream(path, buffered, magic, what)
    }
}

fn read_u8_stream(
    path: &Path,
    mut reader: impl Read,
    magic: u32,
    what: &str,
) -> Result<(Vec<u32>, Vec<u8>)> {
    let rank = (magic & 0xff) as usize;
    let header_len = 4 + 4 * rank;
    let mut header = vec![0; header_len];
    let got = read_full(&mut reader, &mut header).map_err(|err| stream_error(path, err))?;
    if got < 4 {
        return Err(format_error(
            path,
            format!(
                "truncated: the file ends after {got} bytes, before the 4-byte IDX magic number"
            ),
        ));
    }
    let found = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if found != magic {
        return Err(format_error(
            path,
            format!(
                "bad magic number 0x{found:08x}: expected 0x{magic:08x} (IDX {what}: unsigned \
                 bytes in {rank} dimension{})",
                if rank == 1 { "" } else { "s" }
            ),
        ));
    }
    if got < header_len {
        return Err(format_error(
            path,
            format!(
                "truncated: the file ends after {got} bytes, inside the {header_len}-byte header"
            ),
        ));
    }
    let dims: Vec<u32> = header[4..]
        .chunks_exact(4)
        .map(|dim| u32::from_be_bytes([dim[0], dim[1], dim[2], dim[3]]))
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |product, &dim| {
            product.checked_mul(usize::try_from(dim).ok()?)
        })
        .ok_or_else(|| format_error(path, format!("dimensions {dims:?} are too large")))?;
    let mut data = Vec::with_capacity(expected.min(MAX_PREALLOCATION));
    reader
        .take(expected as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|err| stream_error(path, err))?;
    let shape = dims
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" x ");
    if data.len() < expected {
        return Err(format_error(
            path,
            format!(
                "truncated: the header promises {what} of shape {shape} ({expected} bytes) but \
                 only {} bytes follow it",
                data.len()
            ),
        ));
    }
    if data.len() > expected {
        return Err(format_error(
            path,
            format!(
                "unexpected data after the {expected} bytes of the {what} of shape {shape} that \
                 the header promises"
            ),
        ));
    }
    Ok((dims, data))
}

/// Fills `buffer` as far as the stream goes; returns how many bytes were read.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// An error while reading the (possibly compressed) content: bad or cut gzip data is a problem
/// with the file's content, anything else is the operating system's.
fn stream_error(path: &Path, err: io::Error) -> Error {
    match err.kind() {
        io::ErrorKind::UnexpectedEof => format_error(
            path,
            format!("truncated: the gzip stream ends early ({err})"),
        ),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
            format_error(path, format!("corrupt gzip data: {err}"))
        }
        _ => io_error(path, err),
    }
}

pub(crate) use crate::error::{format_error, io_error};

/// Test helpers: IDX bytes written the way the data sets write them.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    /// An IDX file: the magic number, the dimensions, then the elements.
    pub fn idx_bytes(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = magic.to_be_bytes().to_vec();
        for dim in dims {
            bytes.extend_from_slice(&dim.to_be_bytes());
        }
        bytes.extend_from_slice(data);
        bytes
    }

    /// `bytes`, gzip-compressed.
    pub fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// Deterministic pixels for `images` images: image `i` is filled from `seed + i`.
    pub fn pixels(images: usize, seed: u8) -> Vec<u8> {
        (0..images * 784)
            .map(|p| {
                (p as u8)
                    .wrapping_mul(7)
                    .wrapping_add(seed.wrapping_add((p / 784) as u8))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{gzip, idx_bytes, pixels};
    use super::*;
    use crate::datasets::test_dir::TestDir;

    #[test]
    fn gzipped_and_plain_files_round_trip() {
        let dir = TestDir::new("idx-round-trip");
        let data = pixels(3, 11);
        let images = idx_bytes(IMAGES_MAGIC, &[3, 28, 28], &data);
        let labels = idx_bytes(LABELS_MAGIC, &[3], &[9, 0, 3]);
        for (name, bytes) in [
            ("images.gz", gzip(&images)),
            ("images", images.clone()),
            ("labels.gz", gzip(&labels)),
            ("labels", labels.clone()),
        ] {
            dir.write(name, &bytes);
        }
        for name in ["images.gz", "images"] {
            let read = read_images(dir.path().join(name)).unwrap();
            assert_eq!(read.shape(), [3, 28, 28]);
            assert_eq!(read.pixels(), &data[..]);
        }
        for name in ["labels.gz", "labels"] {
            let read: Labels<10> = read_labels(dir.path().join(name)).unwrap();
            assert_eq!(read.as_slice(), &[9, 0, 3]);
        }
        let empty = dir.write(
            "empty.gz",
            &gzip(&idx_bytes(IMAGES_MAGIC, &[0, 28, 28], &[])),
        );
        assert!(read_images(empty).unwrap().is_empty());
    }

    fn error_of(result: Result<impl std::fmt::Debug>, file: &Path) -> String {
        let text = result.unwrap_err().to_string();
        assert!(
            text.contains(&file.display().to_string()),
            "the error does not name {}: {text}",
            file.display()
        );
        text
    }

    #[test]
    fn truncated_files_are_errors_naming_the_file() {
        let dir = TestDir::new("idx-truncated");
        let full = idx_bytes(IMAGES_MAGIC, &[2, 28, 28], &pixels(2, 1));

        let short_body = dir.write("short.gz", &gzip(&full[..full.len() - 10]));
        let text = error_of(read_images(&short_body), &short_body);
        assert!(
            text.contains("truncated") && text.contains("1558 bytes"),
            "{text}"
        );

        let short_header = dir.write("header.gz", &gzip(&full[..9]));
        let text = error_of(read_images(&short_header), &short_header);
        assert!(text.contains("inside the 16-byte header"), "{text}");

        let empty = dir.write("empty", &[]);
        let text = error_of(read_images(&empty), &empty);
        assert!(
            text.contains("truncated") && text.contains("magic"),
            "{text}"
        );

        let compressed = gzip(&full);
        let cut_gzip = dir.write("cut.gz", &compressed[..compressed.len() / 2]);
        let text = error_of(read_images(&cut_gzip), &cut_gzip);
        assert!(
            text.contains("truncated") || text.contains("corrupt"),
            "{text}"
        );

        let mut corrupt = compressed.clone();
        let last = corrupt.len() - 6; // inside the CRC-32 of the trailer
        corrupt[last] ^= 0xff;
        let bad_crc = dir.write("crc.gz", &corrupt);
        let text = error_of(read_images(&bad_crc), &bad_crc);
        assert!(text.contains("corrupt"), "{text}");

        let mut long = full.clone();
        long.push(0);
        let trailing = dir.write("long", &long);
        let text = error_of(read_images(&trailing), &trailing);
        assert!(text.contains("unexpected data after"), "{text}");
    }

    #[test]
    fn bad_magic_and_dimensions_are_errors_naming_the_file() {
        let dir = TestDir::new("idx-magic");
        let labels = dir.write("labels.gz", &gzip(&idx_bytes(LABELS_MAGIC, &[2], &[1, 2])));
        let text = error_of(read_images(&labels), &labels);
        assert!(
            text.contains("bad magic number 0x00000801: expected 0x00000803"),
            "{text}"
        );

        let floats = dir.write("floats", &idx_bytes(0x0000_0d01, &[1], &[0; 4]));
        let text = error_of(read_labels::<10>(&floats), &floats);
        assert!(text.contains("bad magic number 0x00000d01"), "{text}");

        let not_idx = dir.write("text.gz", &gzip(b"hello, world"));
        error_of(read_labels::<10>(&not_idx), &not_idx);

        let big = dir.write(
            "big.gz",
            &gzip(&idx_bytes(IMAGES_MAGIC, &[1, 32, 32], &[0; 1024])),
        );
        let text = error_of(read_images(&big), &big);
        assert!(text.contains("32 x 32, expected 28 x 28"), "{text}");

        let huge = dir.write(
            "huge",
            &idx_bytes(IMAGES_MAGIC, &[u32::MAX, 28, 28], &[0; 10]),
        );
        let text = error_of(read_images(&huge), &huge);
        assert!(text.contains("truncated"), "{text}");

        let label = dir.write(
            "label.gz",
            &gzip(&idx_bytes(LABELS_MAGIC, &[3], &[1, 10, 2])),
        );
        let text = error_of(read_labels::<10>(&label), &label);
        assert!(text.contains("label 10 at index 1"), "{text}");

        let missing = dir.path().join("missing.gz");
        let err = read_images(&missing).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        error_of(Err::<(), _>(err), &missing);
    }
}
