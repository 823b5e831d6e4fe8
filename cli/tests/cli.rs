//! The `densely` command on real Keras files: each command's output, files written that load
//! back and predict the same, and errors with their exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use densely::dynamic::{AnySamples, Parts};
use densely::prelude::*;
use densely::{numpy, Array};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/keras")
        .join(name)
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("densely-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn densely(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_densely"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What `model` predicts for `inputs`, flat per output.
fn predict(model: &mut densely::DynamicModel, inputs: &[Array]) -> Vec<Vec<f32>> {
    let parts: Vec<&dyn AnySamples> = inputs.iter().map(|a| a as &dyn AnySamples).collect();
    model
        .predict(Parts::from_slice(&parts))
        .unwrap()
        .into_iter()
        .map(Array::into_values)
        .collect()
}

#[test]
fn summary_prints_keras_s_table() {
    let out = densely(&["summary", path(&fixture("keras3_wide_deep.h5"))]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = std::fs::read_to_string(fixture("keras3_wide_deep.summary.txt")).unwrap();
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn declaration_prints_the_model_macro() {
    let file = fixture("keras3_wide_deep.h5");
    let out = densely(&["declaration", path(&file), "--name", "WideDeep"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = densely::files::declaration_as(&file, "WideDeep").unwrap();
    assert_eq!(text(&out.stdout), expected);
    assert!(expected.contains("pub struct WideDeep {"));
}

#[test]
fn convert_writes_each_format_and_the_model_comes_back() {
    let dir = scratch("convert");
    let source = fixture("keras3_wide_deep_adam.keras");
    let mut original = densely::load_model(&source).unwrap();
    let inputs = vec![
        Array::new([3, 5], (0..15).map(|i| i as f32 / 10.0).collect()).unwrap(),
        Array::new([3, 6], (0..18).map(|i| 1.0 - i as f32 / 9.0).collect()).unwrap(),
    ];
    let expected = predict(&mut original, &inputs);
    for name in ["model.h5", "model.keras", "model.densely"] {
        let target = dir.join(name);
        let out = densely(&["convert", path(&source), path(&target)]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let mut converted = densely::load_model(&target).unwrap();
        assert_eq!(predict(&mut converted, &inputs), expected, "{name}");
        assert_eq!(
            converted.optimizer().map(|o| o.iterations()),
            original.optimizer().map(|o| o.iterations()),
            "{name}"
        );
    }
    let bare = dir.join("bare.h5");
    let out = densely(&["convert", path(&source), path(&bare), "--without-optimizer"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(densely::load_model(&bare).unwrap().optimizer().is_none());
}

#[test]
fn predict_reads_npy_inputs_and_writes_npy_outputs() {
    let dir = scratch("predict");
    let file = fixture("keras3_wide_deep.h5");
    let inputs = vec![
        Array::new([4, 5], (0..20).map(|i| (i % 7) as f32 / 7.0).collect()).unwrap(),
        Array::new([4, 6], (0..24).map(|i| (i % 5) as f32 / 5.0).collect()).unwrap(),
    ];
    let (wide, deep) = (dir.join("wide.npy"), dir.join("deep.npy"));
    numpy::save(&wide, &inputs[0]).unwrap();
    numpy::save(&deep, &inputs[1]).unwrap();
    let expected = predict(&mut densely::load_model(&file).unwrap(), &inputs);
    let out_path = dir.join("y.npy");
    let out = densely(&[
        "predict",
        path(&file),
        path(&wide),
        path(&deep),
        "--output",
        path(&out_path),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for (name, values) in ["main_output", "aux_output"].iter().zip(&expected) {
        let written = numpy::load(dir.join(format!("y_{name}.npy")))
            .unwrap()
            .to_array()
            .unwrap();
        assert_eq!(written.shape(), [4, 1]);
        assert_eq!(written.values(), &values[..], "{name}");
    }
    // Printed as rows without --output.
    let out = densely(&["predict", path(&file), path(&wide), path(&deep)]);
    let printed = text(&out.stdout);
    assert!(printed.contains("# main_output") && printed.contains("# aux_output"));
    assert_eq!(printed.lines().count(), 2 * (1 + 4), "{printed}");
    // The wrong number of inputs, or of the wrong shape, is an error naming them.
    let out = densely(&["predict", path(&file), path(&wide)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("takes 2 inputs"),
        "{}",
        text(&out.stderr)
    );
    let out = densely(&["predict", path(&file), path(&deep), path(&wide)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("input `wide_input` takes samples of shape [5]"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plot_draws_the_graph() {
    let dir = scratch("plot");
    let file = fixture("keras3_residual_rmsprop.keras");
    for name in ["graph.svg", "graph.png", "graph.dot"] {
        let target = dir.join(name);
        let out = densely(&["plot", path(&file), path(&target), "--show-shapes"]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert!(std::fs::metadata(&target).unwrap().len() > 100, "{name}");
    }
    let dot = std::fs::read_to_string(dir.join("graph.dot")).unwrap();
    assert!(dot.contains("Dense") && dot.contains("Dropout"), "{dot}");
}

#[test]
fn errors_name_the_file_and_exit_with_1_and_bad_command_lines_with_2() {
    let dir = scratch("errors");
    let missing = dir.join("missing.h5");
    let out = densely(&["summary", path(&missing)]);
    assert_eq!(out.status.code(), Some(1));
    let message = text(&out.stderr);
    assert!(
        message.starts_with("densely: ") && message.contains("missing.h5"),
        "{message}"
    );
    let garbage = dir.join("garbage.keras");
    std::fs::write(&garbage, b"not a model").unwrap();
    let out = densely(&["declaration", path(&garbage)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("garbage.keras"));
    // A failed conversion leaves the previous file as it was.
    let target = dir.join("kept.h5");
    std::fs::write(&target, b"previous").unwrap();
    let out = densely(&["convert", path(&garbage), path(&target)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&target).unwrap(), b"previous");
    assert_eq!(densely(&["summary"]).status.code(), Some(2));
    assert_eq!(densely(&["frobnicate"]).status.code(), Some(2));
    let help = densely(&["--help"]);
    assert!(help.status.success());
    for command in ["summary", "declaration", "convert", "predict", "plot"] {
        assert!(
            text(&help.stdout).contains(command),
            "{}",
            text(&help.stdout)
        );
    }
}
