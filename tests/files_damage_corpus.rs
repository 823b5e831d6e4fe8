//! No damaged file can hang, panic or crash a load. A corpus made from real Keras files and
//! files densely wrote (`.h5`, `.keras`, native): every truncation at 1 KiB steps, each 4 KiB
//! block zeroed, single-byte flips at 500 spread offsets, HDF5 groups that lead back to the
//! root (cycles), and huge declared sizes. Each case is loaded by `load_model` and
//! `declaration` behind `catch_unwind` on a worker thread that a watchdog waits for; it must
//! return a model or an error that names the file. A proptest mutates files at random.

mod files_common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use densely::prelude::*;
use files_common::*;
use proptest::prelude::*;

/// Far beyond any load's time: a case that takes longer is a hang.
const WATCHDOG: Duration = Duration::from_secs(60);

/// The files the corpus is made from: Keras 3.15 and tf-keras 2.21 files, and files densely
/// wrote in each format, two of them about three megabytes.
fn originals() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for name in [
        "keras2_small_mlp.h5",
        "keras2_wide_deep_adam.h5",
        "keras3_small_mlp.h5",
        "keras3_wide_deep.h5",
        "keras3_wide_deep.weights.h5",
        "keras3_small_mlp_sgd.keras",
        "keras3_wide_deep_adam.keras",
        "keras3_residual_rmsprop.keras",
    ] {
        files.push((name.to_owned(), std::fs::read(keras_fixture(name)).unwrap()));
    }
    let written = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/densely_written");
    for name in ["wide_deep_adam.h5", "residual_rmsprop_archive.keras"] {
        files.push((name.to_owned(), std::fs::read(written.join(name)).unwrap()));
    }
    let dir = scratch("corpus-originals");
    let mut model = WideAndDeep::with_seed(3);
    model.compile(Adam::default(), []);
    for name in ["wide_deep.densely", "big.h5", "big.densely"] {
        let path = dir.join(name);
        if name.starts_with("big") {
            big().save(&path).unwrap();
        } else {
            model.save(&path).unwrap();
        }
        files.push((name.to_owned(), std::fs::read(&path).unwrap()));
    }
    files
}

model! {
    /// About three megabytes of weights.
    struct Big {
        input x: [784];
        hidden = Dense(1000, relu);
        output y = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn big() -> Big {
    let mut model = Big::with_seed(5);
    model.compile(Sgd::default(), []);
    model
}

/// One damaged copy: what was done to which file, its bytes, and, when the damage must never
/// give a different model, the [`fingerprint`] of the original a load must match.
struct Case {
    label: String,
    extension: String,
    bytes: Vec<u8>,
    same_as: Option<String>,
}

/// What a loaded model is and computes: its summary and its predictions for inputs of ones,
/// to the bit.
fn fingerprint(path: &Path) -> Option<String> {
    let mut model = densely::load_model(path).ok()?;
    let ones: Vec<Vec<f32>> = model
        .input_shapes()
        .iter()
        .map(|shape| vec![1.0; shape.iter().product::<usize>() * 2])
        .collect();
    let inputs: Vec<&[f32]> = ones.iter().map(Vec::as_slice).collect();
    let predictions = predict_flat(&mut model, &inputs, 32).ok()?;
    let bits: Vec<Vec<u32>> = predictions
        .iter()
        .map(|p| p.iter().map(|v| v.to_bits()).collect())
        .collect();
    Some(format!("{}{bits:?}", model.summary_string()))
}

/// The fingerprint of `bytes` saved as a file named like `name`.
fn fingerprint_of(name: &str, bytes: &[u8]) -> Option<String> {
    let path = scratch("corpus-fingerprint").join(name);
    std::fs::write(&path, bytes).unwrap();
    fingerprint(&path)
}

fn extension(name: &str) -> String {
    Path::new(name)
        .extension()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn truncations(name: &str, bytes: &[u8]) -> Vec<Case> {
    (0..bytes.len())
        .step_by(1024)
        .map(|cut| Case {
            label: format!("{name} cut to {cut} bytes"),
            extension: extension(name),
            bytes: bytes[..cut].to_vec(),
            same_as: None,
        })
        .collect()
}

fn zeroed_blocks(name: &str, bytes: &[u8]) -> Vec<Case> {
    (0..bytes.len())
        .step_by(4096)
        .map(|start| {
            let mut copy = bytes.to_vec();
            let end = (start + 4096).min(copy.len());
            copy[start..end].fill(0);
            Case {
                label: format!("{name} with bytes {start}..{end} zeroed"),
                extension: extension(name),
                bytes: copy,
                same_as: None,
            }
        })
        .collect()
}

/// `count` flips spread over the file; `same_as` for files whose every weight is checksummed.
fn flips(name: &str, bytes: &[u8], count: usize, same_as: Option<String>) -> Vec<Case> {
    (0..count)
        .map(|k| {
            let at = k * bytes.len() / count;
            let mut copy = bytes.to_vec();
            copy[at] ^= 1 << (k % 8);
            Case {
                label: format!("{name} with bit {} of byte {at} flipped", k % 8),
                extension: extension(name),
                bytes: copy,
                same_as: same_as.clone(),
            }
        })
        .collect()
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// Copies of an HDF5 file written with the oldest format (h5py's default: symbol-table groups,
/// no metadata checksums), in which one group entry at a time is made the root group itself,
/// so that walking down from that group comes back to the root, forever if nothing bounds it.
fn cycles(name: &str, bytes: &[u8]) -> Vec<Case> {
    assert_eq!(bytes[8], 0, "{name}: not a version 0 superblock");
    // Version 0 superblock: the root's symbol table entry starts at 56 (name offset, object
    // header address, cache type, reserved, scratch pad: 40 bytes).
    let root_entry = &bytes[56..96];
    let same_as = fingerprint_of(name, bytes);
    let mut cases = Vec::new();
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"SNOD") {
        let node = at + found;
        let symbols = u16::from_le_bytes([bytes[node + 6], bytes[node + 7]]) as usize;
        for i in 0..symbols {
            let entry = node + 8 + 40 * i;
            let is_group = bytes.get(entry + 16) == Some(&1);
            if is_group && u64_at(bytes, entry + 8) != u64_at(root_entry, 8) {
                let mut copy = bytes.to_vec();
                copy[entry + 8..entry + 40].copy_from_slice(&root_entry[8..]);
                cases.push(Case {
                    label: format!("{name} with the group entry at {entry} pointing at the root"),
                    extension: extension(name),
                    bytes: copy,
                    same_as: same_as.clone(),
                });
            }
        }
        at = node + 4;
    }
    assert!(
        cases.len() >= 3,
        "{name}: only {} group entries",
        cases.len()
    );
    cases
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Copies of an oldest-format HDF5 file in which a size field claims far more than the file
/// holds: each dimension of the dataspaces of a kernel of shape `dims`, the local heaps' data
/// size, and the global heap collections' size.
fn huge_sizes(name: &str, bytes: &[u8], dims: [u64; 2]) -> Vec<Case> {
    let same_as = fingerprint_of(name, bytes);
    let mut cases = Vec::new();
    let mut pattern = dims[0].to_le_bytes().to_vec();
    pattern.extend(dims[1].to_le_bytes());
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], &pattern) {
        let start = at + found;
        for (dim, huge) in [(0, 1u64 << 40), (1, u64::MAX), (1, 1 << 31)] {
            let mut copy = bytes.to_vec();
            copy[start + 8 * dim..start + 8 * dim + 8].copy_from_slice(&huge.to_le_bytes());
            cases.push(Case {
                label: format!("{name} with dimension {dim} at {start} set to {huge}"),
                extension: extension(name),
                bytes: copy,
                same_as: same_as.clone(),
            });
        }
        at = start + 1;
    }
    // Local heap: "HEAP", version, reserved (3), data segment size (8).
    // Global heap collection: "GCOL", version, reserved (3), collection size (8).
    for signature in [b"HEAP", b"GCOL"] {
        let mut at = 0;
        while let Some(found) = find(&bytes[at..], signature) {
            let start = at + found;
            for huge in [1u64 << 40, u64::MAX] {
                let mut copy = bytes.to_vec();
                copy[start + 8..start + 16].copy_from_slice(&huge.to_le_bytes());
                cases.push(Case {
                    label: format!(
                        "{name} with the {} at {start} claiming {huge} bytes",
                        String::from_utf8_lossy(signature)
                    ),
                    extension: extension(name),
                    bytes: copy,
                    same_as: same_as.clone(),
                });
            }
            at = start + 1;
        }
    }
    assert!(cases.len() >= 4, "{name}: only {} size fields", cases.len());
    cases
}

/// What loading a case came to.
enum Outcome {
    Loaded,
    /// Refused, with the first error.
    Refused(String),
}

/// Loads `path` every way that reads a whole file. A panic, an error that does not name the
/// file, or a model other than `same_as` is a failure, returned as its description.
fn load(path: &Path, same_as: Option<&str>) -> Result<Outcome, String> {
    let shown = path.display().to_string();
    let results = catch_unwind(AssertUnwindSafe(|| {
        [
            densely::load_model(path).map(|_| ()),
            densely::files::declaration(path).map(|_| ()),
        ]
    }))
    .map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("panicked: {what}")
    })?;
    let mut refused = None;
    for result in results {
        if let Err(error) = result {
            let message = error.to_string();
            if !message.contains(&shown) {
                return Err(format!("an error that does not name the file: {message}"));
            }
            refused.get_or_insert(message);
        }
    }
    if let Some(message) = refused {
        return Ok(Outcome::Refused(message));
    }
    if let Some(expected) = same_as {
        if fingerprint(path).as_deref() != Some(expected) {
            return Err("loaded, as another model than the undamaged file".into());
        }
    }
    Ok(Outcome::Loaded)
}

/// Loads every case on a worker thread under the watchdog; panics naming every failure.
/// Returns how many loaded and how many were refused, and the slowest case's time.
fn run(cases: Vec<Case>, dir: &Path) -> (usize, usize, Duration) {
    let (to_worker, jobs) = mpsc::channel::<(String, PathBuf, Option<String>)>();
    let (to_main, outcomes) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        for (label, path, same_as) in jobs {
            let started = Instant::now();
            let outcome = load(&path, same_as.as_deref());
            if to_main.send((label, outcome, started.elapsed())).is_err() {
                return;
            }
        }
    });
    // DENSELY_CORPUS_SHOW=1 prints every case's outcome.
    let show = std::env::var_os("DENSELY_CORPUS_SHOW").is_some();
    let (mut loaded, mut refused, mut slowest) = (0, 0, Duration::ZERO);
    let mut failures = Vec::new();
    for (index, case) in cases.into_iter().enumerate() {
        let path = dir.join(format!("case-{index}.{}", case.extension));
        std::fs::write(&path, &case.bytes).unwrap();
        to_worker
            .send((case.label.clone(), path.clone(), case.same_as))
            .unwrap();
        match outcomes.recv_timeout(WATCHDOG) {
            Ok((label, Ok(Outcome::Loaded), took)) => {
                if show {
                    println!("loaded: {label}");
                }
                loaded += 1;
                slowest = slowest.max(took);
            }
            Ok((label, Ok(Outcome::Refused(message)), took)) => {
                if show {
                    println!("refused: {label}: {message}");
                }
                refused += 1;
                slowest = slowest.max(took);
            }
            Ok((label, Err(failure), _)) => failures.push(format!("{label}: {failure}")),
            Err(_) => panic!("{}: no answer after {WATCHDOG:?} (a hang)", case.label),
        }
        let _ = std::fs::remove_file(&path);
    }
    drop(to_worker);
    worker.join().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    (loaded, refused, slowest)
}

fn report(what: &str, (loaded, refused, slowest): (usize, usize, Duration)) {
    println!("{what}: {refused} refused, {loaded} loaded, slowest {slowest:?}");
}

#[test]
fn every_truncation_at_1_kib_steps_is_refused() {
    let dir = scratch("corpus-truncated");
    let cases: Vec<Case> = originals()
        .iter()
        .flat_map(|(name, bytes)| truncations(name, bytes))
        .collect();
    let (loaded, refused, slowest) = run(cases, &dir);
    report("truncated", (loaded, refused, slowest));
    assert_eq!(loaded, 0, "a truncated file loaded");
    assert!(refused > 1500, "{refused}");
}

#[test]
fn zeroed_blocks_never_hang_or_panic() {
    let dir = scratch("corpus-zeroed");
    let cases: Vec<Case> = originals()
        .iter()
        .flat_map(|(name, bytes)| zeroed_blocks(name, bytes))
        .collect();
    let outcome = run(cases, &dir);
    report("zeroed 4 KiB blocks", outcome);
    assert!(outcome.1 > 400, "{}", outcome.1);
}

#[test]
fn flipped_bytes_never_hang_or_panic() {
    let dir = scratch("corpus-flipped");
    let cases: Vec<Case> = originals()
        .iter()
        .flat_map(|(name, bytes)| {
            // Every weight of a file densely wrote is checksummed: a flip that loads must
            // leave the same model.
            let densely_wrote = !name.starts_with("keras");
            let same_as = densely_wrote.then(|| fingerprint_of(name, bytes)).flatten();
            flips(name, bytes, 500, same_as)
        })
        .collect();
    let outcome = run(cases, &dir);
    report("500 flips per file", outcome);
    assert!(outcome.1 > 1000, "{}", outcome.1);
}

#[test]
fn groups_that_lead_back_to_the_root_are_refused() {
    let dir = scratch("corpus-cycles");
    let mut cases = Vec::new();
    for name in [
        "keras2_small_mlp.h5",
        "keras3_wide_deep.h5",
        "keras2_wide_deep_adam.h5",
    ] {
        cases.extend(cycles(name, &std::fs::read(keras_fixture(name)).unwrap()));
    }
    let outcome = run(cases, &dir);
    report("cycles (a load must be the undamaged model)", outcome);
    assert!(outcome.1 >= 30, "{}", outcome.1);
}

#[test]
fn huge_declared_sizes_are_refused() {
    let dir = scratch("corpus-huge");
    let mut cases = Vec::new();
    // The small MLPs' first kernel is 4 x 8.
    for name in ["keras2_small_mlp.h5", "keras3_small_mlp.h5"] {
        cases.extend(huge_sizes(
            name,
            &std::fs::read(keras_fixture(name)).unwrap(),
            [4, 8],
        ));
    }
    let outcome = run(cases, &dir);
    report("huge sizes (a load must be the undamaged model)", outcome);
    assert!(outcome.1 >= 20, "{}", outcome.1);
}

/// A flipped byte inside a weight of a file densely wrote is found by the weight's checksum,
/// in each format.
#[test]
fn a_damaged_weight_in_a_file_densely_wrote_is_found() {
    let dir = scratch("corpus-weights");
    let model = big();
    let kernel: Vec<u8> = model.layer("hidden").unwrap().get_weights()[0]
        .values()
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    for name in ["big.h5", "big.densely", "big.keras"] {
        let path = dir.join(name);
        model.save(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        // In the archive the weights are compressed, so aim anywhere in the stored weights.
        let (start, len) = match find(&bytes, &kernel[..64]) {
            Some(start) => (start, kernel.len()),
            None => (bytes.len() / 4, bytes.len() / 2),
        };
        for k in 0..40 {
            let mut copy = bytes.clone();
            copy[start + k * len / 40 + 1] ^= 0x04;
            std::fs::write(&path, &copy).unwrap();
            let error = Big::load(&path).err().unwrap_or_else(|| {
                panic!(
                    "{name}: a weight damaged at {} loaded",
                    start + k * len / 40
                )
            });
            let message = error.to_string();
            assert!(
                message.contains("checksum") || message.contains("CRC"),
                "{name}: {message}"
            );
        }
    }
}

proptest! {
    // 128 cases in the suite; `PROPTEST_CASES=100000` for a long run by hand.
    #![proptest_config(ProptestConfig { cases: cases_to_try(), ..ProptestConfig::default() })]

    /// Any few bytes overwritten anywhere, and the file possibly cut short: the load returns.
    #[test]
    fn arbitrary_mutations_never_hang_or_panic(
        file in 0usize..13,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        thread_local! {
            static ORIGINALS: Vec<(String, Vec<u8>)> = originals();
            static DIR: PathBuf = scratch("corpus-proptest");
        }
        let case = ORIGINALS.with(|files| {
            let (name, bytes) = &files[file % files.len()];
            let mut copy = bytes.clone();
            for (at, value) in &edits {
                let at = at.index(copy.len());
                copy[at] = *value;
            }
            if let Some(cut) = cut {
                copy.truncate(cut.index(copy.len()));
            }
            Case {
                label: format!("{name} mutated"),
                extension: extension(name),
                bytes: copy,
                same_as: None,
            }
        });
        DIR.with(|dir| run(vec![case], dir));
    }
}

/// `PROPTEST_CASES` when set, else 128.
fn cases_to_try() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(128)
}
