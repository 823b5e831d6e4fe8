//! A folder of CSV files read batch by batch (`CsvShards`): in file order it trains exactly as
//! the same rows in memory; shuffled, each pass hands over every row once, in an order fixed by
//! the seed and the pass; bad files are errors naming the file, the line and the column.

use std::path::{Path, PathBuf};

use densely::csv::CsvShards;
use densely::inspect::Array;
use densely::prelude::*;

mod common;

model! {
    struct Regressor {
        input x: [2];
        hidden = Dense(5, tanh);
        output y = Dense(1), loss = mse;
    }
}

model! {
    struct Classifier {
        input x: [2];
        output class = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

model! {
    /// Predicts its first input: to see the order rows come in.
    struct Echo {
        input x: [2];
        output y = Dense(1), loss = mse;
    }
}

const ROWS: usize = 30;

/// Three shards of 10 rows (`row`, `a`, `b`, `class`, `target`), columns in differing orders.
fn shards(test: &str) -> PathBuf {
    let folder = common::scratch(test);
    for shard in 0..3 {
        let mut text = if shard == 1 {
            "b,row,class,a,target\n".to_string()
        } else {
            "row,a,b,class,target\n".to_string()
        };
        for r in shard * 10..shard * 10 + 10 {
            let (a, b) = ((r * 7 % 11) as f32 / 5.0 - 1.0, (r * 3 % 7) as f32 / 3.0);
            let (class, target) = (r % 3, a - 2.0 * b);
            if shard == 1 {
                text += &format!("{b},{r},{class},{a},{target}\n");
            } else {
                text += &format!("{r},{a},{b},{class},{target}\n");
            }
        }
        std::fs::write(folder.join(format!("part-{shard}.csv")), text).unwrap();
    }
    std::fs::write(folder.join("README.txt"), "not a csv file").unwrap();
    folder
}

/// All rows of the shards, in file order, through `csv::read`.
fn in_memory(folder: &Path) -> (Batch<Shape1<2>>, Batch<Shape1<1>>, Labels<3>) {
    let (mut x, mut y, mut classes) = (Vec::new(), Vec::new(), Vec::new());
    for shard in 0..3 {
        let table = densely::csv::read(folder.join(format!("part-{shard}.csv"))).unwrap();
        let part: Batch<Shape1<2>> = table.batch(["a", "b"]).unwrap();
        let target: Batch<Shape1<1>> = table.batch(["target"]).unwrap();
        let labels: Labels<3> = table.labels("class").unwrap();
        x.extend_from_slice(part.as_slice());
        y.extend_from_slice(target.as_slice());
        classes.extend_from_slice(labels.as_slice());
    }
    (
        Batch::from_vec(x).unwrap(),
        Batch::from_vec(y).unwrap(),
        Labels::new(classes).unwrap(),
    )
}

#[test]
fn shards_in_file_order_train_as_their_rows_in_memory() {
    let folder = shards("csv_shards_in_order");
    let (x, y, classes) = in_memory(&folder);
    assert_eq!(x.len(), ROWS);

    let source = CsvShards::<Shape1<2>, Batch<Shape1<1>>>::open(&folder, ["a", "b"], ["target"])
        .unwrap()
        .batch_size(8);
    assert_eq!(source.files().len(), 3);
    let mut streamed = Regressor::with_seed(6);
    streamed.compile(Sgd::new(0.05), [Metric::Mae]);
    let history = streamed
        .fit_source(source, FitOptions::default().epochs(3).verbose(0))
        .unwrap();
    let mut reference = Regressor::with_seed(6);
    reference.compile(Sgd::new(0.05), [Metric::Mae]);
    let expected = reference
        .fit(
            &x,
            &y,
            FitOptions::default()
                .epochs(3)
                .batch_size(8)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap();
    assert_eq!(history.history, expected.history);
    assert_eq!(streamed.get_weights(), reference.get_weights());
    // A CSV source doesn't know its length: counted by the first pass.
    assert_eq!(history.params.steps, None);

    let labels = CsvShards::<Shape1<2>, Labels<3>>::open(&folder, ["a", "b"], ["class"])
        .unwrap()
        .batch_size(8);
    let mut model = Classifier::with_seed(2);
    model.compile(Sgd::new(0.1), [Metric::Accuracy]);
    let logs = model.evaluate_source(labels, None).unwrap();
    assert_eq!(logs, model.evaluate_batched(&x, &classes, 8).unwrap());
}

/// The first input of each row, in the order a pass hands them over.
fn order(source: CsvShards<Shape1<2>, Batch<Shape1<1>>>) -> Vec<f32> {
    let mut echo = Echo::new();
    echo.set_weights(&[
        Array::new([2, 1], vec![1.0, 0.0]).unwrap(),
        Array::new([1], vec![0.0]).unwrap(),
    ])
    .unwrap();
    echo.predict_source(source, None).unwrap().into_vec()
}

#[test]
fn a_shuffle_buffer_hands_over_every_row_once_in_a_seeded_order() {
    let folder = shards("csv_shards_shuffled");
    let open = || {
        CsvShards::<Shape1<2>, Batch<Shape1<1>>>::open(&folder, ["row", "a"], ["target"]).unwrap()
    };
    let plain = order(open());
    assert_eq!(plain, (0..ROWS).map(|r| r as f32).collect::<Vec<_>>());
    let shuffled = order(open().shuffle_buffer(12, 7));
    assert_ne!(shuffled, plain);
    let mut sorted = shuffled.clone();
    sorted.sort_by(f32::total_cmp);
    assert_eq!(sorted, plain, "every row once");
    assert_eq!(
        order(open().shuffle_buffer(12, 7)),
        shuffled,
        "the seed fixes the order"
    );
    assert_ne!(order(open().shuffle_buffer(12, 8)), shuffled);
    // A buffer of one row shuffles nothing; a row leaves the buffer no more than its size early.
    assert_eq!(order(open().shuffle_buffer(1, 7)), plain);
    for (position, &row) in shuffled.iter().enumerate() {
        assert!(
            row as usize <= position + 11,
            "row {row} came out at {position}"
        );
    }
}

#[test]
fn bad_shards_are_errors_naming_the_file_the_line_and_the_column() {
    let folder = shards("csv_shards_bad");
    let error = CsvShards::<Shape1<2>, Batch<Shape1<1>>>::open(&folder, ["a", "bb"], ["target"])
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("part-0.csv")
            && error.contains("no column `bb`")
            && error.contains("Did you mean `b`?"),
        "{error}"
    );
    let error = CsvShards::<Shape1<3>, Batch<Shape1<1>>>::open(&folder, ["a", "b"], ["target"])
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("2 feature columns chosen") && error.contains("takes 3"),
        "{error}"
    );

    std::fs::write(
        folder.join("part-1.csv"),
        "row,a,b,class,target\n10,0.5,,1,2\n",
    )
    .unwrap();
    let source =
        CsvShards::<Shape1<2>, Batch<Shape1<1>>>::open(&folder, ["a", "b"], ["target"]).unwrap();
    let mut model = Regressor::new();
    model.compile(Sgd::default(), []);
    let error = model
        .fit_source(source, FitOptions::default().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("part-1.csv")
            && error.contains("line 2, column `b`")
            && error.contains("missing"),
        "{error}"
    );

    std::fs::write(
        folder.join("part-1.csv"),
        "row,a,b,class,target\n10,0.5,1,3,2\n",
    )
    .unwrap();
    let source = CsvShards::<Shape1<2>, Labels<3>>::open(&folder, ["a", "b"], ["class"]).unwrap();
    let mut model = Classifier::new();
    model.compile(Sgd::default(), []);
    let error = model
        .fit_source(source, FitOptions::default().verbose(0))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("part-1.csv") && error.contains("3 is not a class in 0..3"),
        "{error}"
    );

    let empty = common::scratch("csv_shards_empty_folder");
    let error = CsvShards::<Shape1<2>, Labels<3>>::open(&empty, ["a", "b"], ["class"])
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("holds no .csv file"), "{error}");
}
