//! NumPy's files as numpy writes them (`tools/numpy_fixtures.py`, committed under
//! `tests/fixtures/numpy`) read back exactly, in C order whatever their order, into batches and
//! labels whose static shapes are checked against the file's.

use std::path::{Path, PathBuf};

use densely::numpy;
use densely::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/numpy")
        .join(name)
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap()
}

fn values(record: &Value) -> Vec<f64> {
    record["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn every_array_reads_back_exactly_in_c_order() {
    let expected = expected();
    let mut fortran = 0;
    for (name, record) in expected.as_object().unwrap() {
        if name == "i16_unsupported" {
            continue;
        }
        let array = numpy::load(fixture(&format!("{name}.npy"))).unwrap();
        let shape: Vec<usize> = record["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(array.shape(), shape, "{name}");
        assert_eq!(array.elements().to_f64(), values(record), "{name}");
        fortran += usize::from(record["fortran"].as_bool().unwrap());
    }
    assert_eq!(fortran, 2, "the fixtures hold two Fortran-order arrays");
}

#[test]
fn arrays_become_batches_of_their_shape() {
    let expected = expected();
    let x = Batch::<Shape1<3>>::from_npy(fixture("f32_c.npy")).unwrap();
    assert_eq!(x.len(), 4);
    let want: Vec<f32> = values(&expected["f32_c"])
        .iter()
        .map(|&v| v as f32)
        .collect();
    assert_eq!(x.as_slice(), want);
    let images = Batch::<Shape2<2, 3>>::from_npy(fixture("u8_images.npy")).unwrap();
    let want: Vec<f32> = values(&expected["u8_images"])
        .iter()
        .map(|&v| v as f32)
        .collect();
    assert_eq!(images.as_slice(), want);
    let fortran = Batch::<Shape2<2, 4>>::from_npy(fixture("f64_fortran.npy")).unwrap();
    assert_eq!(fortran.len(), 3);
    assert_eq!(
        fortran.sample(1)[0] as f64,
        values(&expected["f64_fortran"])[8] as f32 as f64
    );

    let err = Batch::<Shape1<4>>::from_npy(fixture("f32_c.npy"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("f32_c.npy") && err.contains("[4, 3]") && err.contains("(n, 4)"),
        "{err}"
    );
}

#[test]
fn integer_arrays_become_labels_and_a_bad_label_is_named() {
    let expected = expected();
    let classes =
        |name: &str| -> Vec<u32> { values(&expected[name]).iter().map(|&v| v as u32).collect() };
    let y = Labels::<3>::from_npy(fixture("i32_labels.npy")).unwrap();
    assert_eq!(y.as_slice(), classes("i32_labels"));
    let y = Labels::<10>::from_npy(fixture("i64_labels.npy")).unwrap();
    assert_eq!(y.as_slice(), classes("i64_labels"));
    let y = Labels::<2>::from_npy(fixture("i64_column.npy")).unwrap();
    assert_eq!(y.as_slice(), classes("i64_column"));
    let y = Labels::<3>::from_npy(fixture("f64_whole_labels.npy")).unwrap();
    assert_eq!(y.as_slice(), [0, 2, 1, 2]);
    let y = Labels::<2>::from_npy(fixture("bool_flags.npy")).unwrap();
    assert_eq!(y.as_slice(), [1, 0, 0, 1, 1]);

    let first_big = classes("i64_labels").iter().position(|&c| c >= 2).unwrap();
    let err = Labels::<2>::from_npy(fixture("i64_labels.npy"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("i64_labels.npy") && err.contains(&format!("label {first_big} is")),
        "{err}"
    );
    let err = Labels::<3>::from_npy(fixture("f32_c.npy"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("shape [4, 3]"), "{err}");
}

#[test]
fn npz_archives_stored_and_compressed() {
    let expected = expected();
    let stored = numpy::load_npz(fixture("stored.npz")).unwrap();
    assert_eq!(stored.names().collect::<Vec<_>>(), ["x", "y"]);
    let x: Batch<Shape1<3>> = stored.batch("x").unwrap();
    assert_eq!(x.len(), 4);
    let y: Labels<3> = stored.labels("y").unwrap();
    assert_eq!(y.as_slice().len(), 4);

    let compressed = numpy::load_npz(fixture("compressed.npz")).unwrap();
    let images = compressed.array("images").unwrap();
    assert_eq!(images.elements().to_f64(), values(&expected["u8_images"]));
    let flags: Labels<2> = compressed.labels("flags").unwrap();
    assert_eq!(flags.as_slice(), [1, 0, 0, 1, 1]);

    let err = compressed.array("x_train").unwrap_err().to_string();
    assert!(
        err.contains("compressed.npz") && err.contains("`flags`, `images`"),
        "{err}"
    );
}

#[test]
fn what_densely_cannot_read_is_an_error_naming_the_file() {
    let err = numpy::load(fixture("i16_unsupported.npy"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("i16_unsupported.npy") && err.contains("astype"),
        "{err}"
    );
    let err = numpy::load(fixture("missing.npy")).unwrap_err().to_string();
    assert!(err.contains("missing.npy"), "{err}");
    // Every truncation of a real file is an error, never a panic.
    let bytes = std::fs::read(fixture("f64_fortran.npy")).unwrap();
    let folder = std::env::temp_dir().join(format!("densely-numpy-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let cut = folder.join("cut.npy");
    for len in 0..bytes.len() {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let err = numpy::load(&cut).unwrap_err().to_string();
        assert!(err.contains("cut.npy"), "{len}: {err}");
    }
    let err = numpy::load_npz(fixture("f32_c.npy"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("f32_c.npy") && err.contains("zip"), "{err}");
}
