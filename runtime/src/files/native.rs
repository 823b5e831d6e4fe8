//! densely's native format: the same content as a Keras file (configs, weights, optimizer
//! state), encoded with serde + bincode behind a versioned, checksummed header.
//!
//! ```text
//! offset  size  field
//!      0     8  magic  89 'D' 'N' 'S' 'L' 'Y' 0D 0A  (a high byte and CR LF, as PNG does,
//!                      so that text-mode transfers and 7-bit channels are caught)
//!      8     4  format version, u32 little-endian (2; version 1 files still read)
//!     12     8  payload length, u64 little-endian
//!     20     4  CRC-32 (IEEE) of the payload, u32 little-endian
//!     24     n  payload: bincode (varint lengths) of `NativeFile`
//! ```
//!
//! Nothing after the payload is allowed. The decoder checks the magic, the version, the
//! length and the checksum before bincode sees a byte, bounds bincode by the payload's
//! length, and then checks every tensor's shape against its values.

use std::path::Path;

use bincode::Options;
use serde::{Deserialize, Serialize};

use super::{format_error, FileGenerator, FileLayer, OptimizerState};
use crate::error::Result;

/// The magic bytes a native file starts with.
pub(crate) const MAGIC: &[u8; 8] = b"\x89DNSLY\r\n";
/// The format version this build writes.
pub(crate) const VERSION: u32 = 2;
/// The oldest format version this build reads: version 1 had no generator states.
pub(crate) const OLDEST_VERSION: u32 = 1;
/// The size of the header before the payload.
pub(crate) const HEADER: usize = 24;

/// What a native file holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct NativeFile {
    /// Whether the file holds a whole model or its weights alone.
    pub kind: NativeKind,
    /// The densely version that wrote it.
    pub densely_version: String,
    /// Keras's `model_config` JSON.
    pub model_config: Option<String>,
    /// Keras's `training_config` JSON.
    pub training_config: Option<String>,
    /// The layers with their weights, in Keras's `model.layers` order.
    pub layers: Vec<FileLayer>,
    /// The optimizer's iteration count and slots.
    pub optimizer: Option<OptimizerState>,
    /// The state of each Dropout layer's generator (since version 2).
    pub generators: Vec<FileGenerator>,
}

/// A version 1 file: a [`NativeFile`] without generator states.
#[derive(Deserialize)]
struct NativeFileV1 {
    kind: NativeKind,
    densely_version: String,
    model_config: Option<String>,
    training_config: Option<String>,
    layers: Vec<FileLayer>,
    optimizer: Option<OptimizerState>,
}

impl From<NativeFileV1> for NativeFile {
    fn from(file: NativeFileV1) -> Self {
        NativeFile {
            kind: file.kind,
            densely_version: file.densely_version,
            model_config: file.model_config,
            training_config: file.training_config,
            layers: file.layers,
            optimizer: file.optimizer,
            generators: Vec::new(),
        }
    }
}

/// What a native file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum NativeKind {
    /// Architecture, weights, training config and optimizer state.
    Model,
    /// Weights alone.
    Weights,
}

fn options() -> impl Options {
    bincode::DefaultOptions::new()
}

/// The bytes of a native file.
pub(crate) fn encode(file: &NativeFile) -> Vec<u8> {
    let payload = options()
        .serialize(file)
        .expect("serializing plain data to memory cannot fail");
    with_header(VERSION, &payload)
}

/// `payload` behind a header of format `version`.
fn with_header(version: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// Whether `bytes` start like a native file.
pub(crate) fn is_native(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Checks the header and the checksum of `bytes` and returns the format version and the
/// payload.
pub(crate) fn payload<'a>(path: &Path, bytes: &'a [u8]) -> Result<(u32, &'a [u8])> {
    if !is_native(bytes) {
        return Err(format_error(path, "not a densely file (wrong magic bytes)"));
    }
    if bytes.len() < HEADER {
        return Err(format_error(
            path,
            format!(
                "truncated: {} bytes, shorter than the {HEADER}-byte header",
                bytes.len()
            ),
        ));
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if !(OLDEST_VERSION..=VERSION).contains(&version) {
        return Err(format_error(
            path,
            format!(
                "format version {version}; this densely reads versions {OLDEST_VERSION} to {VERSION}"
            ),
        ));
    }
    let mut length = [0u8; 8];
    length.copy_from_slice(&bytes[12..20]);
    let length = u64::from_le_bytes(length);
    let available = (bytes.len() - HEADER) as u64;
    if length != available {
        return Err(format_error(
            path,
            if length > available {
                format!("truncated: the payload should be {length} bytes, {available} are there")
            } else {
                format!(
                    "{} bytes follow the {length}-byte payload",
                    available - length
                )
            },
        ));
    }
    let payload = &bytes[HEADER..];
    let expected = word(20);
    let actual = crc32fast::hash(payload);
    if expected != actual {
        return Err(format_error(
            path,
            format!("corrupted: checksum {actual:08x}, the header says {expected:08x}"),
        ));
    }
    Ok((version, payload))
}

/// Decodes a payload of format `version` whose checksum already matched; every size is
/// bounded by the payload and every shape checked.
pub(crate) fn decode_payload(path: &Path, version: u32, payload: &[u8]) -> Result<NativeFile> {
    let decoder = options()
        .with_limit(payload.len() as u64)
        .reject_trailing_bytes();
    let file: NativeFile = if version == 1 {
        decoder.deserialize::<NativeFileV1>(payload).map(Into::into)
    } else {
        decoder.deserialize(payload)
    }
    .map_err(|e| format_error(path, format!("undecodable payload: {e}")))?;
    for layer in &file.layers {
        for tensor in &layer.weights {
            tensor
                .check()
                .map_err(|e| format_error(path, format!("layer `{}`: {e}", layer.name)))?;
        }
    }
    if let Some(optimizer) = &file.optimizer {
        for (slot, tensors) in &optimizer.slots {
            for tensor in tensors {
                tensor
                    .check()
                    .map_err(|e| format_error(path, format!("optimizer slot `{slot}`: {e}")))?;
            }
        }
    }
    Ok(file)
}

/// Decodes the bytes of a native file.
pub(crate) fn decode(path: &Path, bytes: &[u8]) -> Result<NativeFile> {
    let (version, payload) = payload(path, bytes)?;
    decode_payload(path, version, payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileTensor;
    use crate::layers::GeneratorState;
    use proptest::prelude::*;

    fn sample() -> NativeFile {
        NativeFile {
            kind: NativeKind::Model,
            densely_version: "0.1.0".into(),
            model_config: Some("{\"class_name\": \"Sequential\"}".into()),
            training_config: None,
            layers: vec![FileLayer {
                name: "dense".into(),
                weights: vec![
                    FileTensor {
                        name: "kernel".into(),
                        shape: vec![2, 3],
                        values: vec![1.0, 2.0, 3.0, 4.0, 5.0, f32::NAN],
                        integer: false,
                    },
                    FileTensor {
                        name: "bias".into(),
                        shape: vec![3],
                        values: vec![0.5, -0.5, 0.0],
                        integer: false,
                    },
                ],
            }],
            optimizer: Some(OptimizerState {
                iterations: 7,
                slots: vec![(
                    "momentum".into(),
                    vec![FileTensor {
                        name: "kernel".into(),
                        shape: vec![2, 3],
                        values: vec![0.25; 6],
                        integer: false,
                    }],
                )],
            }),
            generators: vec![FileGenerator {
                layer: "dropout".into(),
                state: GeneratorState {
                    seed: [7; 32],
                    stream: 3,
                    word_pos: 1 << 40,
                },
            }],
        }
    }

    fn path() -> &'static Path {
        Path::new("fuzz.densely")
    }

    #[test]
    fn a_file_round_trips_bit_for_bit() {
        let file = sample();
        let bytes = encode(&file);
        let back = decode(path(), &bytes).unwrap();
        assert_eq!(encode(&back), bytes);
        let nan = back.layers[0].weights[0].values[5];
        assert_eq!(nan.to_bits(), f32::NAN.to_bits());
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_an_error() {
        let bytes = encode(&sample());
        for len in 0..bytes.len() {
            assert!(decode(path(), &bytes[..len]).is_err(), "truncated to {len}");
        }
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x55;
            assert!(decode(path(), &damaged).is_err(), "byte {at} flipped");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(path(), &longer)
            .unwrap_err()
            .to_string()
            .contains("follow"));
    }

    #[test]
    fn a_newer_version_is_refused_by_name() {
        let mut bytes = encode(&sample());
        bytes[8] = 3;
        let err = decode(path(), &bytes).unwrap_err().to_string();
        assert!(err.contains("version 3"), "{err}");
    }

    /// Version 1 wrote everything but the generator states, in the same order.
    #[derive(Serialize)]
    struct V1<'a> {
        kind: NativeKind,
        densely_version: &'a str,
        model_config: &'a Option<String>,
        training_config: &'a Option<String>,
        layers: &'a [FileLayer],
        optimizer: &'a Option<OptimizerState>,
    }

    #[test]
    fn a_version_1_file_reads_without_generator_states() {
        let file = sample();
        let v1 = V1 {
            kind: file.kind,
            densely_version: &file.densely_version,
            model_config: &file.model_config,
            training_config: &file.training_config,
            layers: &file.layers,
            optimizer: &file.optimizer,
        };
        let bytes = with_header(1, &options().serialize(&v1).unwrap());
        let back = decode(path(), &bytes).unwrap();
        assert!(back.generators.is_empty());
        // Everything else as written (compared encoded: the sample holds a NaN).
        let without_generators = NativeFile {
            generators: Vec::new(),
            ..file.clone()
        };
        assert_eq!(encode(&back), encode(&without_generators));
        // The same bytes labelled version 2 lack the generators and are refused.
        let mut relabelled = bytes.clone();
        relabelled[8] = 2;
        assert!(decode(path(), &relabelled).is_err());
    }

    proptest! {
        // A few hundred cases keep `cargo test` fast; `PROPTEST_CASES=N` runs more.
            #![proptest_config(ProptestConfig {
                cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

        /// Arbitrary bytes behind a valid header and checksum: the bincode decoder itself
        /// must refuse them cleanly (no panic, no huge allocation).
        #[test]
        fn arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_payload(path(), VERSION, &payload);
            let _ = decode_payload(path(), OLDEST_VERSION, &payload);
        }

        /// Valid payloads with bytes overwritten: the decoder must refuse or decode, never
        /// panic, and whatever it decodes has consistent shapes.
        #[test]
        fn damaged_payloads_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let bytes = options().serialize(&sample()).unwrap();
            let mut damaged = bytes.clone();
            for (at, value) in edits {
                let i = at.index(damaged.len());
                damaged[i] = value;
            }
            let len = cut.index(damaged.len() + 1);
            if let Ok(file) = decode_payload(path(), VERSION, &damaged[..len]) {
                for layer in &file.layers {
                    for tensor in &layer.weights {
                        prop_assert!(tensor.check().is_ok());
                    }
                }
            }
        }

        /// Arbitrary bytes as a whole file: always an error, never a panic.
        #[test]
        fn arbitrary_files_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..128)) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&tail);
            prop_assert!(decode(path(), &bytes).is_err());
        }
    }
}
