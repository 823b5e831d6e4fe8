//! The examples' command line: `--help` answers, a wrong number of epochs fails before anything
//! is printed, and no two examples write files of the same name into the shared output folder.

#[path = "../examples/common/cli.rs"]
#[allow(dead_code)]
mod cli;

use std::collections::BTreeMap;
use std::path::Path;

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

#[test]
fn help_is_found_anywhere_among_the_arguments() {
    assert!(cli::help_requested(strings(&["--help"]).into_iter()));
    assert!(cli::help_requested(strings(&["3", "-h"]).into_iter()));
    assert!(!cli::help_requested(strings(&["3"]).into_iter()));
    assert!(!cli::help_requested(strings(&["--helpful"]).into_iter()));
}

#[test]
fn epochs_are_a_whole_number_of_at_least_one() {
    assert_eq!(cli::parse_epochs(&[], 30), Ok(30));
    assert_eq!(cli::parse_epochs(&strings(&["3"]), 30), Ok(3));
    let zero = cli::parse_epochs(&strings(&["0"]), 30).unwrap_err();
    assert!(zero.contains("at least 1"), "{zero}");
    let word = cli::parse_epochs(&strings(&["three"]), 30).unwrap_err();
    assert!(
        word.contains("`three`") && word.contains("--help"),
        "{word}"
    );
    let extra = cli::parse_epochs(&strings(&["3", "4"]), 30).unwrap_err();
    assert!(extra.contains("`4`"), "{extra}");
}

/// The file names (`name.h5`, `name.png`, ...) written as string literals in an example.
fn file_names(source: &str) -> Vec<String> {
    const WRITTEN: [&str; 6] = [".h5", ".keras", ".png", ".svg", ".csv", ".densely"];
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|literal| {
            !literal.contains(['/', ' ', '{', '\''])
                && WRITTEN.iter().any(|ext| literal.ends_with(ext))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn no_two_examples_write_a_file_of_the_same_name() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut writers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            let example = path.file_stem().unwrap().to_string_lossy().to_string();
            let mut names = file_names(&source);
            names.sort();
            names.dedup();
            for name in names {
                writers.entry(name).or_default().push(example.clone());
            }
        }
    }
    assert!(
        writers.contains_key("my_keras_model.h5"),
        "the scan should see fashion_mnist's files: {writers:?}"
    );
    let shared: Vec<_> = writers.iter().filter(|(_, ex)| ex.len() > 1).collect();
    assert!(
        shared.is_empty(),
        "examples writing the same file: {shared:?}"
    );
}
