//! Inputs that are not a `Batch` of floats in memory: `.npy` files read sample by sample
//! (`NpyFile`) and bytes scaled batch by batch (`ByteSamples`, `ImageSet::scaled_view`). Each
//! trains, evaluates and predicts exactly as the same values in a `Batch` do.

use std::path::{Path, PathBuf};

mod common;

use densely::datasets::ImageSet;
use densely::inputs::{ByteSamples, Input, SampleRows};
use densely::numpy::NpyFile;
use densely::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/numpy")
        .join(name)
}

fn staged<S: Shape>(rows: &impl SampleRows<S>, order: &[usize]) -> Vec<f32> {
    let mut staging = Vec::new();
    densely::inputs::stage(Input::new(rows), order, &mut staging).unwrap();
    staging
}

#[test]
fn npy_files_read_the_samples_asked_for_in_every_element_type() {
    let orders: [&[usize]; 4] = [&[0, 1, 2, 3], &[3, 1, 0], &[2, 3], &[1, 1, 0]];
    let file = NpyFile::<Shape1<3>>::open(fixture("f32_c.npy")).unwrap();
    let batch = Batch::<Shape1<3>>::from_npy(fixture("f32_c.npy")).unwrap();
    assert_eq!(file.samples(), 4);
    for order in orders {
        assert_eq!(staged(&file, order), staged(&batch, order), "{order:?}");
    }
    let file = NpyFile::<Shape1<5>>::open(fixture("f32_big_endian.npy")).unwrap();
    let batch = Batch::<Shape1<5>>::from_npy(fixture("f32_big_endian.npy")).unwrap();
    assert_eq!(staged(&file, &[1, 0]), staged(&batch, &[1, 0]));
    let file = NpyFile::<Shape2<2, 3>>::open(fixture("u8_images.npy")).unwrap();
    let batch = Batch::<Shape2<2, 3>>::from_npy(fixture("u8_images.npy")).unwrap();
    assert_eq!(staged(&file, &[4, 0, 2]), staged(&batch, &[4, 0, 2]));
    let scaled = NpyFile::<Shape2<2, 3>>::open(fixture("u8_images.npy"))
        .unwrap()
        .map_values(|v| v / 255.0);
    let expected: Vec<f32> = staged(&batch, &[3, 1]).iter().map(|v| v / 255.0).collect();
    assert_eq!(staged(&scaled, &[3, 1]), expected);
    for (name, rows) in [
        ("i64_column.npy", vec![3, 0]),
        ("bool_flags.npy", vec![4, 1]),
        ("i32_labels.npy", vec![5, 2]),
        ("f64_whole_labels.npy", vec![0, 3]),
    ] {
        let batch = Batch::<Shape1<1>>::from_npy(fixture(name));
        // Arrays of shape (n,) are labels, not samples of one value.
        if let Ok(batch) = batch {
            let file = NpyFile::<Shape1<1>>::open(fixture(name)).unwrap();
            assert_eq!(staged(&file, &rows), staged(&batch, &rows), "{name}");
        }
    }
}

#[test]
fn npy_files_that_cannot_be_read_sample_by_sample_are_errors_naming_them() {
    let error = |result: densely::Result<NpyFile<Shape1<4>>>| result.unwrap_err().to_string();
    let fortran = error(NpyFile::open(fixture("u8_fortran.npy")));
    assert!(
        fortran.contains("u8_fortran.npy") && fortran.contains("Fortran order"),
        "{fortran}"
    );
    let shape = NpyFile::<Shape1<4>>::open(fixture("f32_c.npy"))
        .unwrap_err()
        .to_string();
    assert!(
        shape.contains("f32_c.npy") && shape.contains("[4, 3]"),
        "{shape}"
    );
    let dtype = NpyFile::<Shape1<4>>::open(fixture("i16_unsupported.npy"))
        .unwrap_err()
        .to_string();
    assert!(
        dtype.contains("i16_unsupported.npy") && dtype.contains("astype"),
        "{dtype}"
    );
    let missing = error(NpyFile::open(fixture("no_such_file.npy")));
    assert!(missing.contains("no_such_file.npy"), "{missing}");

    // Cut short on disk, before opening and while open.
    let folder = common::scratch("npy_files_cut_short");
    let bytes = std::fs::read(fixture("f32_c.npy")).unwrap();
    let cut = folder.join("cut.npy");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
    let short = NpyFile::<Shape1<3>>::open(&cut).unwrap_err().to_string();
    assert!(
        short.contains("cut.npy") && short.contains("cut short"),
        "{short}"
    );
    let shrinking = folder.join("shrinking.npy");
    std::fs::write(&shrinking, &bytes).unwrap();
    let file = NpyFile::<Shape1<3>>::open(&shrinking).unwrap();
    std::fs::write(&shrinking, &bytes[..bytes.len() - 24]).unwrap();
    let mut staging = Vec::new();
    let late = densely::inputs::stage(Input::new(&file), &[0, 3], &mut staging)
        .unwrap_err()
        .to_string();
    assert!(
        late.contains("shrinking.npy") && late.contains("samples 3..4 could not be read"),
        "{late}"
    );
}

model! {
    struct Mlp {
        input image: [2, 3];
        flatten = Flatten;
        hidden = Dense(5, relu);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

#[test]
fn a_model_trains_on_a_file_as_on_the_batch_it_holds() {
    let labels = Labels::<3>::new(vec![0, 2, 1, 1, 0]).unwrap();
    let file = NpyFile::<Shape2<2, 3>>::open(fixture("u8_images.npy"))
        .unwrap()
        .map_values(|v| v / 255.0);
    let batch = Batch::<Shape2<2, 3>>::from_npy(fixture("u8_images.npy")).unwrap();
    let batch =
        Batch::<Shape2<2, 3>>::from_vec(batch.as_slice().iter().map(|v| v / 255.0).collect())
            .unwrap();
    let train = |x: Input<'_, Shape2<2, 3>>| {
        let mut model = Mlp::with_seed(4);
        model.compile(Adam::new(0.01), [Metric::Accuracy]);
        let options = FitOptions::default()
            .epochs(3)
            .batch_size(2)
            .validation_data(x, &labels)
            .verbose(0);
        let history = model.fit(x, &labels, options).unwrap();
        let logs = model.evaluate(x, &labels).unwrap();
        let predictions = model.predict(x).unwrap();
        (model.get_weights(), history.history, logs, predictions)
    };
    assert_eq!(train(Input::new(&file)), train(Input::new(&batch)));
}

#[test]
fn images_stay_bytes_and_train_exactly_as_their_floats() {
    let pixels: Vec<u8> = (0..40 * 784).map(|i| ((i * 37) % 256) as u8).collect();
    let images = ImageSet::from_pixels(pixels).unwrap();
    let labels = Labels::<10>::new((0..40).map(|i| (i % 10) as u32).collect()).unwrap();
    let view = images.scaled_view();
    assert_eq!(view.bytes().len(), 40 * 784);
    let floats = images.scaled();

    model! {
        struct Fashion {
            input image: [28, 28];
            flatten = Flatten;
            hidden = Dense(16, relu);
            output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
        }
    }
    let train = |x: Input<'_, Shape2<28, 28>>| {
        let mut model = Fashion::with_seed(8);
        model.compile(Sgd::new(0.05), [Metric::Accuracy]);
        let history = model
            .fit(
                x,
                &labels,
                FitOptions::default()
                    .epochs(2)
                    .batch_size(8)
                    .validation_split(0.25)
                    .verbose(0),
            )
            .unwrap();
        (
            model.get_weights(),
            history.history,
            model.predict(x).unwrap(),
        )
    };
    assert_eq!(train(Input::new(&view)), train(Input::new(&floats)));

    let bytes = [1u8, 2, 3];
    let error = ByteSamples::<Shape1<2>>::new(&bytes, f32::from)
        .unwrap_err()
        .to_string();
    assert!(error.contains("a multiple of 2 bytes"), "{error}");
}

model! {
    struct TwoInputs {
        input wide: [3];
        input deep: [2, 3];
        flat = Flatten()(deep);
        joined = concatenate(wide, flat);
        output y = Dense(1)(joined), loss = mse;
    }
}

#[test]
fn several_inputs_mix_batches_files_and_bytes() {
    let deep_file = NpyFile::<Shape2<2, 3>>::open(fixture("u8_images.npy")).unwrap();
    let deep_batch = Batch::<Shape2<2, 3>>::from_npy(fixture("u8_images.npy")).unwrap();
    let wide_bytes: Vec<u8> = (0..15).map(|i| (i * 11) as u8).collect();
    let wide_view = ByteSamples::<Shape1<3>>::new(&wide_bytes, |b| f32::from(b) / 100.0).unwrap();
    let wide_batch =
        Batch::<Shape1<3>>::from_vec(wide_bytes.iter().map(|&b| f32::from(b) / 100.0).collect())
            .unwrap();
    let y = Batch::<Shape1<1>>::from_fn(5, |s, _| s as f32 / 5.0);
    let mut model = TwoInputs::with_seed(2);
    model.compile(Sgd::new(0.001), []);
    let from_sources = model.predict((&wide_view, &deep_file)).unwrap();
    let from_batches = model.predict((&wide_batch, &deep_batch)).unwrap();
    assert_eq!(from_sources, from_batches);
    let a = model.evaluate((&wide_view, &deep_file), &y).unwrap();
    let b = model.evaluate((&wide_batch, &deep_batch), &y).unwrap();
    assert_eq!(a, b);
    // A count that differs between inputs names the input.
    let short = Batch::<Shape1<3>>::zeros(4);
    let error = model.predict((&short, &deep_file)).unwrap_err().to_string();
    assert!(
        error.contains("deep") && error.contains("4 samples") && error.contains("5 samples"),
        "{error}"
    );
}
