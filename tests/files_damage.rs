//! Nothing trusted: truncated, corrupted and foreign files are errors, never panics; and a save
//! killed half way leaves the previous file intact and loadable.

mod files_common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use densely::prelude::*;
use files_common::*;

model! {
    /// Big enough (about 1 MB of weights) that a save takes a while to write.
    struct Big {
        input x: [784];
        hidden = Dense(300, relu);
        output y = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn saved(dir: &Path, name: &str) -> Vec<u8> {
    let mut model = SmallMlp::with_seed(9);
    model.compile(Adam::default(), [Metric::Accuracy]);
    let x = Batch::<Shape1<4>>::from_fn(16, |s, f| (s + f) as f32 / 20.0);
    let y = Labels::<3>::new((0..16).map(|i| i % 3).collect()).unwrap();
    model
        .fit(&x, &y, FitOptions::default().epochs(1).verbose(0))
        .unwrap();
    let path = dir.join(name);
    model.save(&path).unwrap();
    std::fs::read(&path).unwrap()
}

fn load_all(path: &Path) -> Vec<bool> {
    let mut model = SmallMlp::new();
    vec![
        SmallMlp::load(path).is_ok(),
        model.load_weights(path).is_ok(),
        densely::load_model(path).is_ok(),
        densely::files::declaration(path).is_ok(),
    ]
}

#[test]
fn truncated_files_are_errors() {
    let dir = scratch("truncated");
    for name in ["m.densely", "m.h5"] {
        let bytes = saved(&dir, name);
        let damaged = dir.join(format!("cut-{name}"));
        let mut cuts: Vec<usize> = vec![0, 1, 7, 8, 9, 23, 24, 25, 100, 512, 2048];
        cuts.extend((1..20).map(|k| bytes.len() * k / 20));
        cuts.push(bytes.len() - 1);
        for cut in cuts.into_iter().filter(|&c| c < bytes.len()) {
            std::fs::write(&damaged, &bytes[..cut]).unwrap();
            let loads = load_all(&damaged);
            assert!(
                loads.iter().all(|ok| !ok),
                "{name} cut to {cut} of {} bytes loaded: {loads:?}",
                bytes.len()
            );
        }
    }
}

#[test]
fn corrupted_native_files_are_errors() {
    let dir = scratch("corrupted");
    let bytes = saved(&dir, "m.densely");
    let damaged = dir.join("flipped.densely");
    for at in (0..bytes.len())
        .step_by(97)
        .chain([8, 12, 20, bytes.len() - 1])
    {
        let mut copy = bytes.clone();
        copy[at] ^= 0x20;
        std::fs::write(&damaged, &copy).unwrap();
        assert!(
            load_all(&damaged).iter().all(|ok| !ok),
            "byte {at} flipped loaded"
        );
    }
    let err = SmallMlp::load(&damaged).err().unwrap().to_string();
    assert!(err.contains("checksum"), "{err}");
}

/// HDF5 checksums its metadata but not its data, so a flipped weight may load; whatever is
/// flipped, loading returns, with an error or a model, and never panics.
#[test]
fn corrupted_hdf5_files_never_panic() {
    let dir = scratch("corrupted-h5");
    let bytes = saved(&dir, "m.h5");
    let damaged = dir.join("flipped.h5");
    let mut errors = 0;
    for at in (0..bytes.len()).step_by(211) {
        let mut copy = bytes.clone();
        copy[at] = copy[at].wrapping_add(0x5b);
        std::fs::write(&damaged, &copy).unwrap();
        errors += load_all(&damaged).iter().filter(|ok| !**ok).count();
    }
    assert!(errors > 0);
}

#[test]
fn foreign_files_are_errors() {
    let dir = scratch("foreign");
    let cases: [(&str, &[u8]); 5] = [
        ("empty.h5", b""),
        ("text.densely", b"hello, this is not a model\n"),
        ("png.h5", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        ("almost.densely", b"\x89DNSLY\r\n\x01\0\0\0"),
        ("hdf5-signature-only.h5", b"\x89HDF\r\n\x1a\n"),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        assert!(load_all(&path).iter().all(|ok| !ok), "{name} loaded");
    }
    let err = SmallMlp::load(dir.join("text.densely"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("neither a densely file, an HDF5 file nor a `.keras` archive"),
        "{err}"
    );
    let missing = SmallMlp::load(dir.join("missing.h5")).err().unwrap();
    assert!(matches!(missing, densely::Error::Io { .. }), "{missing:?}");
    // A Keras 3 weights file is HDF5 but holds no model.
    let weights = keras_fixture("keras3_wide_deep.weights.h5");
    assert!(densely::load_model(&weights).is_err());
    assert!(WideAndDeep::load(&weights).is_err());
}

/// What the child process does: saves `Big` with every weight equal to 1, 2, 3, ... to the
/// path in `DENSELY_SAVE_FOREVER`, until it is killed.
#[test]
#[ignore = "the child process of a_save_killed_half_way_leaves_the_old_file_intact"]
fn save_forever() {
    let Some(path) = std::env::var_os("DENSELY_SAVE_FOREVER") else {
        return;
    };
    let mut model = Big::with_seed(1);
    for round in 2.. {
        model.visit_params_mut(&mut |_, param| param.value.fill(round as f32));
        model.save(&path).unwrap();
    }
}

/// Every weight of the file at `path` has one value: the file is one whole save.
fn uniform_value(path: &Path) -> f32 {
    let model = Big::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut values = Vec::new();
    model.visit_params(&mut |_, param| values.extend_from_slice(param.value));
    assert!(values.iter().all(|&v| v == values[0]), "a mix of two saves");
    values[0]
}

#[test]
fn a_save_killed_half_way_leaves_the_old_file_intact() {
    let dir = scratch("killed");
    let exe = std::env::current_exe().unwrap();
    for name in ["big.densely", "big.h5"] {
        let path = dir.join(name);
        let mut model = Big::with_seed(1);
        model.visit_params_mut(&mut |_, param| param.value.fill(1.0));
        model.save(&path).unwrap();
        let mut seen = vec![1.0];
        for round in 0..6u64 {
            let mut child = Command::new(&exe)
                .args(["--exact", "save_forever", "--ignored", "--test-threads=1"])
                .env("DENSELY_SAVE_FOREVER", &path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(150 + 37 * round));
            child.kill().unwrap();
            child.wait().unwrap();
            seen.push(uniform_value(&path));
        }
        assert!(
            seen.windows(2).any(|w| w[1] > w[0]),
            "{name}: the child never finished a save: {seen:?}"
        );
    }
    // The next save clears what the killed children left behind (where /proc says who runs).
    if Path::new("/proc/self").exists() {
        Big::with_seed(1).save(dir.join("big.h5")).unwrap();
        Big::with_seed(1).save(dir.join("big.densely")).unwrap();
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
