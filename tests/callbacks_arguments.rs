//! Callbacks check their arguments before the first batch and speak in the user's words: the
//! user's file name pattern, never a temporary file, and the nearest logged name for a typo.

mod common;

use std::path::Path;

use common::{files_in, rng, scratch, uniform};
use densely::callbacks::{EarlyStopping, Mode, ModelCheckpoint, ReduceLrOnPlateau};
use densely::prelude::*;
use densely::Error;

model! {
    struct Classifier {
        input x: [4];
        hidden = Dense(8, relu);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn data() -> (Batch<Shape1<4>>, Labels<3>) {
    let mut data = rng(11);
    let x = Batch::from_vec(uniform(&mut data, 40 * 4)).unwrap();
    let labels = (0..40).map(|s| (s % 3) as u32).collect();
    (x, Labels::new(labels).unwrap())
}

fn compiled() -> Classifier {
    let mut model = Classifier::new();
    model.compile(Sgd::new(0.05), [Metric::Accuracy]);
    model
}

fn weights(model: &Classifier) -> Vec<u32> {
    let mut all = Vec::new();
    model.visit_params(&mut |_, param| all.extend(param.value.iter().map(|v| v.to_bits())));
    all
}

fn options<'a>() -> FitOptions<'a, Classifier> {
    FitOptions::default()
        .epochs(2)
        .validation_split(0.25)
        .verbose(0)
}

#[test]
fn a_keras_archive_of_weights_alone_is_refused_before_training() {
    let (x, y) = data();
    let dir = scratch("ckpt-keras-weights");
    let pattern = dir.join("weights-{epoch:02d}.keras");
    let mut model = compiled();
    let before = weights(&model);
    let checkpoint = ModelCheckpoint::new(&pattern).save_weights_only(true);
    let error = model
        .fit(&x, &y, options().callback(checkpoint))
        .unwrap_err()
        .to_string();
    assert!(error.contains("save_weights_only"), "{error}");
    assert!(error.contains(&pattern.display().to_string()), "{error}");
    assert_eq!(weights(&model), before, "refused before the first batch");
    assert!(files_in(&dir).is_empty());
}

#[test]
fn a_pattern_that_cannot_be_filled_is_refused_before_training() {
    let (x, y) = data();
    let dir = scratch("ckpt-bad-pattern");
    let pattern = dir.join("ckpt-{epoch:02q}.h5");
    let mut model = compiled();
    let before = weights(&model);
    let error = model
        .fit(&x, &y, options().callback(ModelCheckpoint::new(&pattern)))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("Failed to format this callback filepath"),
        "{error}"
    );
    assert!(error.contains("ckpt-{epoch:02q}.h5"), "{error}");
    assert_eq!(weights(&model), before);
}

#[test]
fn a_failed_checkpoint_names_the_users_file_not_a_temporary_one() {
    let (x, y) = data();
    let dir = scratch("ckpt-failing");
    let pattern = dir.join("best.h5");
    let failing = |_: &Classifier, path: &Path, _: bool| -> densely::Result<()> {
        Err(Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        })
    };
    let mut model = compiled();
    let error = model
        .fit(
            &x,
            &y,
            options().callback(ModelCheckpoint::new(&pattern).saver(failing)),
        )
        .unwrap_err()
        .to_string();
    assert!(error.starts_with(&pattern.display().to_string()), "{error}");
    assert!(!error.contains(".tmp-"), "{error}");
}

#[test]
fn a_misspelt_monitor_is_answered_with_the_nearest_name_in_auto_mode() {
    let (x, y) = data();
    let mut model = compiled();
    let early = EarlyStopping::new().monitor("val_acuracy");
    let error = model
        .fit(&x, &y, options().callback(early))
        .unwrap_err()
        .to_string();
    assert!(error.contains("monitor=val_acuracy"), "{error}");
    assert!(
        error.contains("The values this model logs are accuracy, loss, val_accuracy, val_loss."),
        "{error}"
    );
    assert!(error.contains("Did you mean `val_accuracy`?"), "{error}");
}

#[test]
fn a_misspelt_monitor_is_answered_with_the_nearest_name_in_every_mode() {
    let (x, y) = data();
    let mut model = compiled();
    let mut early = EarlyStopping::new().monitor("val_acuracy").mode(Mode::Max);
    let mut reduce = ReduceLrOnPlateau::new().monitor("lsos").mode(Mode::Min);
    model
        .fit(&x, &y, options().callback(&mut early).callback(&mut reduce))
        .unwrap();
    for warning in early.warnings() {
        assert!(
            warning.contains("`val_acuracy` which is not available"),
            "{warning}"
        );
        assert!(
            warning.ends_with("Did you mean `val_accuracy`?"),
            "{warning}"
        );
    }
    assert_eq!(early.warnings().len(), 2, "one per epoch");
    assert!(
        reduce.warnings()[0].ends_with("Did you mean `loss`?"),
        "{:?}",
        reduce.warnings()
    );
    // A name far from every logged one gets the list alone.
    let mut far = EarlyStopping::new().monitor("throughput").mode(Mode::Max);
    model.fit(&x, &y, options().callback(&mut far)).unwrap();
    assert!(
        !far.warnings()[0].contains("Did you mean"),
        "{:?}",
        far.warnings()
    );
}
