//! CSV files with a header row into batches and labels: columns chosen by name, and every
//! value that is missing or not a number named by its line and column.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use densely::prelude::*;

/// Writes `text` to a file called `name` in a folder of its own: the tests run in parallel.
fn write(name: &str, text: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let folder = std::env::temp_dir().join(format!(
        "densely-csv-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const HOUSING: &str = "MedInc,HouseAge,Latitude,MedHouseVal,Class
8.3252, 41.0 ,37.88,4.526,2
8.3014,21.0,37.86,3.585,1
7.2574,52.0,37.85,3.521,0
";

#[test]
fn chosen_columns_become_a_batch_in_the_order_asked() {
    let table = densely::csv::read(write("housing.csv", HOUSING)).unwrap();
    assert_eq!(table.len(), 3);
    assert_eq!(table.headers()[1], "HouseAge");
    let x: Batch<Shape1<2>> = table.batch(["HouseAge", "MedInc"]).unwrap();
    assert_eq!(x.as_slice(), [41.0, 8.3252, 21.0, 8.3014, 52.0, 7.2574]);
    let y: Batch<Shape1<1>> = table.batch(["MedHouseVal"]).unwrap();
    assert_eq!(y.as_slice(), [4.526, 3.585, 3.521]);
    let grid: Batch<Shape2<2, 2>> = table
        .batch(["MedInc", "HouseAge", "Latitude", "MedHouseVal"])
        .unwrap();
    assert_eq!(grid.sample(2), [7.2574, 52.0, 37.85, 3.521]);
    let classes: Labels<3> = table.labels("Class").unwrap();
    assert_eq!(classes.as_slice(), [2, 1, 0]);
}

#[test]
fn mistakes_are_named_by_file_line_and_column() {
    let table = densely::csv::read(write("housing.csv", HOUSING)).unwrap();
    let err = table
        .batch::<Shape1<2>, _>(["MedInc", "HouseAg"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("housing.csv")
            && err.contains("no column `HouseAg`")
            && err.contains("Did you mean `HouseAge`?"),
        "{err}"
    );
    let err = table
        .batch::<Shape1<3>, _>(["MedInc"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("1 columns chosen") && err.contains("3 values"),
        "{err}"
    );
    let err = table.labels::<2>("Class").unwrap_err().to_string();
    assert!(
        err.contains("line 2, column `Class`: 2 is not a class in 0..2"),
        "{err}"
    );

    let gaps = "a,b\n1,2\n3,\n5,NA\n7,x\n";
    let table = densely::csv::read(write("gaps.csv", gaps)).unwrap();
    let err = table
        .batch::<Shape1<2>, _>(["a", "b"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("gaps.csv") && err.contains("line 3, column `b`: the value is missing"),
        "{err}"
    );
    let first_rows = densely::csv::read(write("na.csv", "a,b\n1,2\n5,NA\n")).unwrap();
    let err = first_rows
        .batch::<Shape1<2>, _>(["a", "b"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3, column `b`: the value is missing"),
        "{err}"
    );
    let word = densely::csv::read(write("word.csv", "a,b\n7,x\n")).unwrap();
    let err = word
        .batch::<Shape1<2>, _>(["a", "b"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2, column `b`: `x` is not a number"),
        "{err}"
    );

    let err = densely::csv::read(write("ragged.csv", "a,b\n1,2\n3\n"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ragged.csv") && err.contains("line 3 has 1 fields"),
        "{err}"
    );
    let missing = std::env::temp_dir().join("densely-no-such-file.csv");
    let err = densely::csv::read(&missing).unwrap_err().to_string();
    assert!(err.contains("densely-no-such-file.csv"), "{err}");
}
