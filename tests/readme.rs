//! The README points only at files of the repository, so a reader of a fresh clone can open
//! every one it names.

use std::path::Path;

/// The paths the README names: code spans and link targets with a `/` in them, except those
/// under the user's home or data folder (`~/`, `$DENSELY_DATA/`), absolute ones, web addresses
/// and `target/`, which the examples create.
fn named_paths(readme: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let spans = readme.split('`').skip(1).step_by(2);
    let links = readme
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next());
    for candidate in spans.chain(links) {
        let candidate = candidate.trim();
        let elsewhere = ["~", "$", "/", "http", "target/"]
            .iter()
            .any(|start| candidate.starts_with(start));
        if candidate.contains('/') && !candidate.contains(char::is_whitespace) && !elsewhere {
            paths.push(candidate.to_string());
        }
    }
    paths
}

#[test]
fn every_path_the_readme_names_is_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let paths = named_paths(&readme);
    assert!(
        paths.iter().any(|p| p == "tools/keras_mlp.py"),
        "the README should name the Keras benchmark script: {paths:?}"
    );
    let missing: Vec<&String> = paths
        .iter()
        .filter(|path| path.starts_with("..") || !root.join(path).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "the README names paths outside the repository or missing from it: {missing:?}"
    );
}

#[test]
fn paths_are_found_in_spans_and_links_only() {
    let text =
        "Run `tools/a.py` or [b](examples/b.rs); not `~/x/y`, `target/book/`, `a b/c` or c/d.";
    assert_eq!(named_paths(text), ["tools/a.py", "examples/b.rs"]);
}
