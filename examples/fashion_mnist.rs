//! The book's chapter 10, "Building an Image Classifier Using the Sequential API", step by step:
//! load Fashion-MNIST, split and scale it, declare the MLP, look at its summary, layers and
//! weights, compile, fit with validation, plot the learning curves, evaluate, predict three
//! test images, and plot the model.
//!
//! ```sh
//! cargo run --release --example fashion_mnist          # 30 epochs, as the book
//! cargo run --release --example fashion_mnist -- 3     # 3 epochs, to see it quickly
//! ```
//!
//! The data comes from `$DENSELY_DATA`, the cache folder, Debian's `dataset-fashion-mnist`
//! (`apt-get install dataset-fashion-mnist`) or a checksummed download. The pictures go to
//! `$DENSELY_OUT`, by default `target/book/`.

mod common;

use std::path::Path;
use std::process::ExitCode;

use common::cli::{self, epochs, output_folder, step};

use densely::datasets::fashion_mnist::{self, CLASS_NAMES};
use densely::inspect::tuple_shape;
use densely::metrics::argmax;
use densely::prelude::*;

model! {
    /// The book's classifier: 784 pixels, two hidden layers, 10 class probabilities.
    pub struct FashionMlp {
        input image: [28, 28];
        flatten = Flatten;
        hidden1 = Dense(300, relu);
        hidden2 = Dense(100, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

/// The command line and what the example does, for `--help`.
const USAGE: &str = "cargo run --release --example fashion_mnist [-- EPOCHS]

The book's chapter 10 step by step: load Fashion-MNIST, declare, compile and fit the MLP
(EPOCHS epochs, 30 by default), plot its learning curves, evaluate, predict and save it.
Files go to $DENSELY_OUT (by default target/book); data comes from $DENSELY_DATA, the
cache folder, Debian's dataset-fashion-mnist or a checksummed download.";

fn main() -> ExitCode {
    cli::run(USAGE, run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let epochs = epochs(30)?;
    let out = output_folder()?;

    step("fashion_mnist.load_data()");
    let ((x_train_full, y_train_full), (x_test, y_test)) = fashion_mnist::load_data()?;
    println!(
        "X_train_full.shape = {}",
        tuple_shape(&x_train_full.shape())
    );
    println!("X_train_full.dtype = uint8");

    step("X_valid, X_train = X_train_full[:5000] / 255.0, X_train_full[5000:] / 255.0");
    let (x_valid, x_train) = x_train_full.split_at(5000);
    let (x_valid, x_train) = (x_valid.scaled(), x_train.scaled());
    let (y_valid, y_train) = y_train_full.split_at(5000);
    println!(
        "{} training, {} validation and {} test images",
        x_train.len(),
        x_valid.len(),
        x_test.len()
    );
    println!(
        "class_names[y_train[0]] = {:?}",
        CLASS_NAMES[y_train.as_slice()[0] as usize]
    );

    step("model = keras.models.Sequential([...]); model.summary()");
    let mut model = FashionMlp::new();
    model.summary();

    step("model.layers; hidden1 = model.layers[1]; weights, biases = hidden1.get_weights()");
    let layers = model.layers();
    let names: Vec<&str> = layers.iter().map(|layer| layer.name()).collect();
    println!("model.layers = {names:?}");
    let hidden1 = &layers[1];
    println!("hidden1.name = {:?}", hidden1.name());
    println!(
        "model.get_layer('hidden1') is hidden1: {}",
        model.layer("hidden1")?.name() == hidden1.name()
    );
    let weights = hidden1.get_weights();
    let (kernel, biases) = (&weights[0], &weights[1]);
    println!("weights.shape = {}", tuple_shape(kernel.shape()));
    println!(
        "weights[0][:4] = {:?}  (Glorot uniform, seeded)",
        &kernel.values()[..4]
    );
    println!("biases.shape = {}", tuple_shape(biases.shape()));
    println!("biases[:4] = {:?}", &biases.values()[..4]);
    let (typed_kernel, _) = model.hidden1.get_weights();
    println!(
        "typed: model.hidden1.kernel() is a {} x {} matrix",
        typed_kernel.nrows(),
        typed_kernel.ncols()
    );
    drop(layers);

    step("model.compile(loss='sparse_categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])");
    model.compile(Sgd::default(), [Metric::Accuracy]);
    println!("compiled with SGD(learning_rate=0.01) and accuracy");

    step(
        "checkpoint_cb = keras.callbacks.ModelCheckpoint('my_keras_model_best.h5', save_best_only=True)\n\
         >>> early_stopping_cb = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)",
    );
    let best_file = out.join("my_keras_model_best.h5");
    let mut checkpoint = ModelCheckpoint::new(&best_file).save_best_only(true).saver(
        |model: &FashionMlp, path: &Path, weights_only: bool| {
            if weights_only {
                model.save_weights(path)
            } else {
                model.save(path)
            }
        },
    );
    let mut early_stopping = EarlyStopping::new().patience(10).restore_best_weights(true);

    step(&format!(
        "history = model.fit(X_train, y_train, epochs={epochs}, validation_data=(X_valid, y_valid), \
         callbacks=[checkpoint_cb, early_stopping_cb])"
    ));
    let history = model.fit(
        &x_train,
        &y_train,
        FitOptions::default()
            .epochs(epochs)
            .validation_data(&x_valid, &y_valid)
            .callback(&mut checkpoint)
            .callback(&mut early_stopping),
    )?;
    println!(
        "early stopping: {}; best epoch {} (val_loss {:.4}), its weights restored; best model saved to {}",
        early_stopping
            .stopped_epoch()
            .map_or("did not stop early".to_string(), |e| format!("stopped after epoch {}", e + 1)),
        early_stopping.best_epoch().map_or(0, |e| e + 1),
        early_stopping.best().unwrap_or(f64::NAN),
        best_file.display()
    );
    println!("history.params = {:?}", history.params);
    println!("history.epoch = {:?}", history.epoch);
    println!("history.history.keys() = {:?}", history.keys());

    step("pd.DataFrame(history.history).plot(figsize=(8, 5)); plt.grid(True); plt.gca().set_ylim(0, 1)");
    let curves = out.join("learning_curves.png");
    history.plot(&curves)?;
    println!("learning curves: {}", curves.display());

    step("model.evaluate(X_test, y_test)");
    let x_test_scaled = x_test.scaled();
    let logs = model.evaluate(&x_test_scaled, &y_test)?;
    println!("{}", keras_logs(&logs));

    step("X_new = X_test[:3]; y_proba = model.predict(X_new); y_proba.round(2)");
    let x_new = x_test.slice(0..3).scaled();
    let y_proba = model.predict(&x_new)?;
    for sample in 0..y_proba.len() {
        let rounded: Vec<String> = y_proba
            .sample(sample)
            .iter()
            .map(|p| format!("{:.2}", p))
            .collect();
        println!("[{}]", rounded.join(", "));
    }
    let y_pred: Vec<usize> = (0..y_proba.len())
        .map(|sample| argmax(y_proba.sample(sample)))
        .collect();
    let predicted: Vec<&str> = y_pred.iter().map(|&c| CLASS_NAMES[c]).collect();
    let truth: Vec<&str> = y_test.as_slice()[..3]
        .iter()
        .map(|&c| CLASS_NAMES[c as usize])
        .collect();
    println!("y_pred = {y_pred:?}");
    println!("np.array(class_names)[y_pred] = {predicted:?}");
    println!("y_new = {:?} = {truth:?}", &y_test.as_slice()[..3]);

    step("keras.utils.plot_model(model, 'my_fashion_mnist_model.png', show_shapes=True)");
    let picture = out.join("my_fashion_mnist_model.png");
    plot_model::<FashionMlp>(&picture, PlotOptions::default().show_shapes(true))?;
    println!("model plot: {}", picture.display());

    step("model.save('my_keras_model.h5'); model = keras.models.load_model('my_keras_model.h5')");
    let saved = out.join("my_keras_model.h5");
    model.save(&saved)?;
    let mut restored = FashionMlp::load(&saved)?;
    let same = restored.predict(&x_new)?.as_slice() == y_proba.as_slice();
    println!(
        "saved {} ({} bytes, Keras's HDF5 layout); the loaded model predicts the same: {same}",
        saved.display(),
        std::fs::metadata(&saved)?.len()
    );
    let mut best = FashionMlp::load(&best_file)?;
    println!(
        "the best checkpoint: {}",
        keras_logs(&best.evaluate(&x_valid, &y_valid)?)
    );
    Ok(())
}

/// Logs as Keras prints them: `loss: 0.3340 - accuracy: 0.8820`, loss first.
fn keras_logs(logs: &Logs) -> String {
    let mut pairs: Vec<(&str, f64)> = logs.iter().collect();
    pairs.sort_by_key(|(name, _)| !name.ends_with("loss"));
    let parts: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}: {value:.4}"))
        .collect();
    parts.join(" - ")
}
