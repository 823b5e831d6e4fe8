//! Just enough of NumPy's `.npz` format to read Keras's `mnist.npz`: a zip archive (entries
//! stored or deflated, zip64 or not) of `.npy` arrays of unsigned bytes in C order.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use flate2::read::DeflateDecoder;
use flate2::Crc;

use super::idx::{format_error, io_error};
use crate::error::Result;

/// A C-order array of unsigned bytes read from a `.npy` entry.
#[derive(Debug)]
pub(crate) struct ByteArray {
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

/// Reads every `.npy` entry of the archive at `path`, keyed by name without `.npy`.
pub(crate) fn read_npz(path: &Path) -> Result<HashMap<String, ByteArray>> {
    let bytes = std::fs::read(path).map_err(|source| io_error(path, source))?;
    parse_npz(&bytes).map_err(|reason| format_error(path, reason))
}

const EOCD: u32 = 0x0605_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

/// Little-endian reads that fail with a message instead of panicking.
struct At<'a>(&'a [u8]);

impl At<'_> {
    fn bytes(&self, at: usize, len: usize) -> Result<&[u8], String> {
        at.checked_add(len)
            .and_then(|end| self.0.get(at..end))
            .ok_or_else(|| {
                format!(
                    "truncated zip archive: {len} bytes at offset {at} lie past its end ({} bytes)",
                    self.0.len()
                )
            })
    }
    fn u16(&self, at: usize) -> Result<u64, String> {
        let b = self.bytes(at, 2)?;
        Ok(u64::from(u16::from_le_bytes([b[0], b[1]])))
    }
    fn u32(&self, at: usize) -> Result<u64, String> {
        let b = self.bytes(at, 4)?;
        Ok(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    }
    fn u64(&self, at: usize) -> Result<u64, String> {
        let b = self.bytes(at, 8)?;
        let mut word = [0; 8];
        word.copy_from_slice(b);
        Ok(u64::from_le_bytes(word))
    }
}

fn offset(value: u64) -> Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("offset {value} does not fit in memory"))
}

fn parse_npz(bytes: &[u8]) -> Result<HashMap<String, ByteArray>, String> {
    let at = At(bytes);
    // The end-of-central-directory record: 22 bytes and a comment of up to 65535 bytes.
    let lowest = bytes.len().saturating_sub(22 + 0xffff);
    let eocd = (lowest..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&pos| bytes.len() >= 22 && at.u32(pos) == Ok(u64::from(EOCD)))
        .ok_or("not a zip archive (no end-of-central-directory record)")?;
    let mut entries = at.u16(eocd + 10)?;
    let mut directory = at.u32(eocd + 16)?;
    if entries == 0xffff || directory == 0xffff_ffff {
        if eocd < 20 || at.u32(eocd - 20)? != u64::from(ZIP64_LOCATOR) {
            return Err("zip64 archive without its end-of-central-directory locator".into());
        }
        let record = offset(at.u64(eocd - 12)?)?;
        if at.u32(record)? != u64::from(ZIP64_EOCD) {
            return Err("bad zip64 end-of-central-directory record".into());
        }
        entries = at.u64(record + 32)?;
        directory = at.u64(record + 48)?;
    }

    let mut arrays = HashMap::new();
    let mut pos = offset(directory)?;
    for _ in 0..entries {
        if at.u32(pos)? != u64::from(CENTRAL) {
            return Err(format!("bad central directory entry at offset {pos}"));
        }
        let flags = at.u16(pos + 8)?;
        let method = at.u16(pos + 10)?;
        let crc = at.u32(pos + 16)?;
        let mut compressed = at.u32(pos + 20)?;
        let mut size = at.u32(pos + 24)?;
        let name_len = offset(at.u16(pos + 28)?)?;
        let extra_len = offset(at.u16(pos + 30)?)?;
        let comment_len = offset(at.u16(pos + 32)?)?;
        let mut local = at.u32(pos + 42)?;
        let name = String::from_utf8_lossy(at.bytes(pos + 46, name_len)?).into_owned();
        // Sizes and offset too large for 32 bits are in the zip64 extra field, in this order.
        let mut extra = pos + 46 + name_len;
        let extra_end = extra + extra_len;
        while extra + 4 <= extra_end {
            let (id, len) = (at.u16(extra)?, offset(at.u16(extra + 2)?)?);
            if id == 1 {
                let mut field = extra + 4;
                for value in [&mut size, &mut compressed, &mut local] {
                    if *value == 0xffff_ffff {
                        *value = at.u64(field)?;
                        field += 8;
                    }
                }
            }
            extra += 4 + len;
        }
        pos = extra_end + comment_len;

        if flags & 1 != 0 {
            return Err(format!("entry `{name}` is encrypted"));
        }
        let local = offset(local)?;
        if at.u32(local)? != u64::from(LOCAL) {
            return Err(format!("bad local header for entry `{name}`"));
        }
        let start = local + 30 + offset(at.u16(local + 26)?)? + offset(at.u16(local + 28)?)?;
        let raw = at.bytes(start, offset(compressed)?)?;
        let size = offset(size)?;
        let data = match method {
            0 => raw.to_vec(),
            8 => {
                let mut data = Vec::with_capacity(size);
                DeflateDecoder::new(raw)
                    .take(size as u64 + 1)
                    .read_to_end(&mut data)
                    .map_err(|err| format!("entry `{name}`: corrupt deflate data: {err}"))?;
                data
            }
            other => {
                return Err(format!(
                    "entry `{name}` uses compression method {other}, not stored (0) or deflate (8)"
                ))
            }
        };
        if data.len() != size {
            return Err(format!(
                "entry `{name}` holds {} bytes, its header says {size}",
                data.len()
            ));
        }
        let mut check = Crc::new();
        check.update(&data);
        if u64::from(check.sum()) != crc {
            return Err(format!("entry `{name}` fails its CRC-32 check"));
        }
        if let Some(key) = name.strip_suffix(".npy") {
            let array = parse_npy(data).map_err(|reason| format!("entry `{name}`: {reason}"))?;
            arrays.insert(key.to_string(), array);
        }
    }
    Ok(arrays)
}

/// Parses a `.npy` array of unsigned bytes (`'descr': '|u1'`) in C order.
fn parse_npy(mut data: Vec<u8>) -> Result<ByteArray, String> {
    if !data.starts_with(b"\x93NUMPY") || data.len() < 10 {
        return Err("not a .npy array (bad magic string)".into());
    }
    let (header_len, header_start) = match data[6] {
        1 => (usize::from(u16::from_le_bytes([data[8], data[9]])), 10),
        2 | 3 if data.len() >= 12 => {
            let len = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
            (offset(u64::from(len))?, 12)
        }
        major => return Err(format!(".npy format version {major} is not supported")),
    };
    let header = data
        .get(header_start..header_start + header_len)
        .ok_or("truncated .npy header")?;
    let header = String::from_utf8_lossy(header).into_owned();
    let descr = dict_value(&header, "descr")?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    if !matches!(descr, "|u1" | "<u1" | ">u1" | "=u1" | "u1") {
        return Err(format!(
            "dtype '{descr}' is not supported; expected unsigned bytes ('|u1')"
        ));
    }
    if dict_value(&header, "fortran_order")? != "False" {
        return Err("arrays in Fortran order are not supported".into());
    }
    let shape = dict_value(&header, "shape")?;
    let shape = shape
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|dim| !dim.is_empty())
        .map(|dim| {
            dim.parse::<usize>()
                .map_err(|_| format!("bad shape ({shape})"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let expected = shape
        .iter()
        .try_fold(1usize, |product, &dim| product.checked_mul(dim))
        .ok_or("shape too large")?;
    let body = data.len() - header_start - header_len;
    if body != expected {
        return Err(format!(
            "shape {shape:?} needs {expected} bytes, the array holds {body}"
        ));
    }
    data.drain(..header_start + header_len);
    Ok(ByteArray { shape, data })
}

/// The text of `key`'s value in the Python dict literal of a `.npy` header.
fn dict_value<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    let missing = || format!(".npy header has no '{key}': {header}");
    let start = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))
        .ok_or_else(missing)?;
    let rest = header[start + key.len() + 2..].trim_start();
    let rest = rest.strip_prefix(':').ok_or_else(missing)?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')').map(|end| end + 1)
    } else {
        rest.find([',', '}'])
    }
    .ok_or_else(missing)?;
    Ok(rest[..end].trim())
}

/// Test helper: a `.npz` written the way `numpy.savez_compressed` writes one.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::Write;

    use flate2::write::DeflateEncoder;
    use flate2::{Compression, Crc};

    /// A `.npy` array of unsigned bytes.
    pub fn npy(shape: &[usize], data: &[u8]) -> Vec<u8> {
        let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
        let shape = match dims.len() {
            1 => format!("({},)", dims[0]),
            _ => format!("({})", dims.join(", ")),
        };
        let mut header = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    /// A zip archive of `entries`, deflated when `deflate`, else stored.
    pub fn zip(entries: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let mut crc = Crc::new();
            crc.update(data);
            let body = if deflate {
                let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
                encoder.write_all(data).unwrap();
                encoder.finish().unwrap()
            } else {
                data.clone()
            };
            let method: u16 = if deflate { 8 } else { 0 };
            let offset = out.len() as u32;
            let common = |record: &mut Vec<u8>| {
                record.extend_from_slice(&20u16.to_le_bytes()); // version needed
                record.extend_from_slice(&0u16.to_le_bytes()); // flags
                record.extend_from_slice(&method.to_le_bytes());
                record.extend_from_slice(&[0; 4]); // time and date
                record.extend_from_slice(&crc.sum().to_le_bytes());
                record.extend_from_slice(&(body.len() as u32).to_le_bytes());
                record.extend_from_slice(&(data.len() as u32).to_le_bytes());
                record.extend_from_slice(&(name.len() as u16).to_le_bytes());
                record.extend_from_slice(&0u16.to_le_bytes()); // extra length
            };
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            common(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes()); // version made by
            common(&mut central);
            central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
            central.extend_from_slice(&[0; 4]); // external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let directory = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // disk numbers
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&directory.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        out
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{npy, zip};
    use super::*;

    #[test]
    fn stored_and_deflated_archives_round_trip() {
        let images: Vec<u8> = (0..2 * 784).map(|i| (i % 251) as u8).collect();
        for deflate in [false, true] {
            let archive = zip(
                &[
                    ("x_train.npy", npy(&[2, 28, 28], &images)),
                    ("y_train.npy", npy(&[2], &[5, 0])),
                ],
                deflate,
            );
            let arrays = parse_npz(&archive).unwrap();
            assert_eq!(arrays["x_train"].shape, vec![2, 28, 28]);
            assert_eq!(arrays["x_train"].data, images);
            assert_eq!(arrays["y_train"].shape, vec![2]);
            assert_eq!(arrays["y_train"].data, vec![5, 0]);
        }
    }

    #[test]
    fn damaged_archives_and_arrays_are_errors() {
        let archive = zip(&[("y.npy", npy(&[3], &[1, 2, 3]))], true);
        assert!(parse_npz(&archive[..archive.len() - 30])
            .unwrap_err()
            .contains("zip"));
        assert!(parse_npz(b"PK").is_err());
        assert!(parse_npz(&[]).is_err());

        let mut flipped = zip(&[("y.npy", npy(&[3], &[1, 2, 3]))], false);
        let last_data_byte = 30 + "y.npy".len() + npy(&[3], &[]).len() + 2;
        flipped[last_data_byte] ^= 1;
        assert!(parse_npz(&flipped).unwrap_err().contains("CRC-32"));

        let wrong_shape = zip(&[("y.npy", npy(&[4], &[1, 2, 3]))], false);
        assert!(parse_npz(&wrong_shape)
            .unwrap_err()
            .contains("needs 4 bytes"));

        let mut floats = npy(&[1], &[0; 8]);
        let at = floats.windows(3).position(|w| w == b"|u1").unwrap();
        floats[at..at + 3].copy_from_slice(b"<f8");
        let archive = zip(&[("x.npy", floats)], false);
        assert!(parse_npz(&archive).unwrap_err().contains("'<f8'"));
    }

    #[test]
    fn headers_are_read_like_numpy_writes_them() {
        let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28), }";
        assert_eq!(dict_value(header, "descr").unwrap(), "'|u1'");
        assert_eq!(dict_value(header, "fortran_order").unwrap(), "False");
        assert_eq!(dict_value(header, "shape").unwrap(), "(60000, 28, 28)");
        assert!(dict_value(header, "missing").is_err());
    }
}
