//! Writing what Keras reads: the `.h5` files and `.keras` archives of
//! `tests/fixtures/densely_written`, written by densely and loaded by real Keras 3 and tf-keras 2
//! (which reads no `.keras` archive) with `tools/keras_files.py` (run by hand), which recorded
//! what Keras predicted and how it trained on from them in `keras_results.json`. These tests
//! check that densely still writes those files and that Keras's numbers still agree with
//! densely's.
//!
//! To rewrite the files after a deliberate change, run
//! `DENSELY_WRITE_FIXTURES=1 cargo test --test files_written`, then
//! `~/keras-env/bin/python tools/keras_files.py tests/fixtures/densely_written` and
//! `COLUMNS=200 ~/keras-env/bin/python tools/keras_fixture_summaries.py
//! tests/fixtures/densely_written` (Keras narrows summaries to the terminal's width).

mod files_common;

use std::path::{Path, PathBuf};

use densely::files::{KerasFlavor, SaveOptions};
use densely::network::InputsOf as _;
use densely::prelude::*;
use files_common::*;
use serde_json::{json, Value};

model! {
    /// Every other layer kind Keras knows: Flatten, Dropout, Activation and Add.
    pub struct Residual {
        input grid: [2, 3];
        flat = Flatten;
        stem = Dense(8, tanh);
        branch = Dense(8, elu)(stem);
        dropped = Dropout(0.25)(branch);
        sum = add(stem, dropped);
        activated = Activation(sigmoid)(sum);
        output probs = Dense(3, softmax)(activated), loss = sparse_categorical_crossentropy;
    }
}

/// The folder of the files densely wrote for Keras.
fn written() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/densely_written")
}

/// Deterministic values in [-1, 1): a linear congruential generator, so that the data never
/// depends on a crate's version.
fn data(seed: u64, len: usize) -> Vec<f32> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn rows(values: &[f32], width: usize) -> Value {
    Value::Array(values.chunks(width).map(|r| json!(r)).collect())
}

fn labels(x: &[f32], width: usize, classes: u32) -> Vec<u32> {
    x.chunks(width)
        .map(|r| {
            ((r[0] + r[1] + 2.0) * classes as f32 / 4.0).clamp(0.0, classes as f32 - 1.0) as u32
        })
        .collect()
}

/// How densely saves one of the files.
type Saver = Box<dyn Fn(&Path) -> densely::Result<()>>;

const SAMPLES: usize = 32;
const PROBE: usize = 8;

fn small_mlp() -> (SmallMlp, Value) {
    let x = data(1, SAMPLES * 4);
    let y = labels(&x, 4, 3);
    let xb = Batch::<Shape1<4>>::from_vec(x.clone()).unwrap();
    let yb = Labels::<3>::new(y.clone()).unwrap();
    let mut model = SmallMlp::with_seed(5);
    model.compile(Sgd::new(0.05).momentum(0.9), [Metric::Accuracy]);
    model
        .fit(
            &xb,
            &yb,
            FitOptions::default()
                .epochs(2)
                .batch_size(8)
                .seed(3)
                .verbose(0),
        )
        .unwrap();
    let probe = Batch::<Shape1<4>>::from_vec(x[..PROBE * 4].to_vec()).unwrap();
    let predictions = model.predict(&probe).unwrap();
    let record = json!({
        "inputs": {"features": rows(probe.as_slice(), 4)},
        "outputs": {"probs": rows(predictions.as_slice(), 3)},
        "train": {"x": {"features": rows(&x, 4)}, "y": {"probs": y}, "batch_size": 8},
    });
    (model, record)
}

fn wide_deep() -> (WideAndDeep, Value) {
    train_wide_deep(WideAndDeep::with_seed(6))
}

/// The same Wide & Deep built at run time, as `Functional` builds it.
fn runtime_wide_deep() -> (densely::DynamicModel, Value) {
    train_wide_deep(built::wide_and_deep().build_with_seed(6).unwrap())
}

/// Trains a Wide & Deep two epochs with Adam and records its probe predictions.
fn train_wide_deep<N: Network>(mut model: N) -> (N, Value)
where
    for<'a> (&'a Batch<Shape1<5>>, &'a Batch<Shape1<6>>): densely::network::InputsOf<'a, N>,
    for<'a> (&'a Batch<Shape1<1>>, &'a Batch<Shape1<1>>): densely::network::TargetsOf<'a, N>,
{
    let wide = data(2, SAMPLES * 5);
    let deep = data(3, SAMPLES * 6);
    let target: Vec<f32> = wide
        .chunks(5)
        .zip(deep.chunks(6))
        .map(|(w, d)| w.iter().sum::<f32>() - d[..3].iter().sum::<f32>())
        .collect();
    let wb = Batch::<Shape1<5>>::from_vec(wide.clone()).unwrap();
    let db = Batch::<Shape1<6>>::from_vec(deep.clone()).unwrap();
    let yb = Batch::<Shape1<1>>::from_vec(target.clone()).unwrap();
    model.compile(Adam::new(1e-2), []);
    model
        .fit(
            (&wb, &db),
            (&yb, &yb),
            FitOptions::default()
                .epochs(2)
                .batch_size(8)
                .seed(4)
                .verbose(0),
        )
        .unwrap();
    let pw = Batch::<Shape1<5>>::from_vec(wide[..PROBE * 5].to_vec()).unwrap();
    let pd = Batch::<Shape1<6>>::from_vec(deep[..PROBE * 6].to_vec()).unwrap();
    model.predict((&pw, &pd)).unwrap();
    let mut workspace = model.new_workspace();
    let all: Vec<usize> = (0..PROBE).collect();
    N::stage_inputs(&mut workspace, (&pw, &pd).into_inputs(), &all).unwrap();
    model.forward(&mut workspace, PROBE, false);
    let (main, aux) = (
        N::output(&workspace, 0, PROBE).to_vec(),
        N::output(&workspace, 1, PROBE).to_vec(),
    );
    let record = json!({
        "inputs": {"wide_input": rows(pw.as_slice(), 5), "deep_input": rows(pd.as_slice(), 6)},
        "outputs": {"main_output": rows(&main, 1), "aux_output": rows(&aux, 1)},
        "train": {
            "x": {"wide_input": rows(&wide, 5), "deep_input": rows(&deep, 6)},
            "y": {"main_output": rows(&target, 1), "aux_output": rows(&target, 1)},
            "batch_size": 8,
        },
    });
    (model, record)
}

fn residual() -> (Residual, Value) {
    let x = data(4, SAMPLES * 6);
    let y = labels(&x, 6, 3);
    let xb = Batch::<Shape2<2, 3>>::from_vec(x.clone()).unwrap();
    let yb = Labels::<3>::new(y.clone()).unwrap();
    let mut model = Residual::with_seed(7);
    model.compile(
        RmsProp::new(1e-2).momentum(0.5).centered(true),
        [Metric::Accuracy],
    );
    model
        .fit(
            &xb,
            &yb,
            FitOptions::default()
                .epochs(2)
                .batch_size(8)
                .seed(5)
                .verbose(0),
        )
        .unwrap();
    let probe = Batch::<Shape2<2, 3>>::from_vec(x[..PROBE * 6].to_vec()).unwrap();
    let predictions = model.predict(&probe).unwrap();
    let grid =
        |values: &[f32]| -> Value { Value::Array(values.chunks(6).map(|s| rows(s, 3)).collect()) };
    // Dropout draws different masks in Keras, so this model is not trained on there.
    let record = json!({
        "inputs": {"grid": grid(probe.as_slice())},
        "outputs": {"probs": rows(predictions.as_slice(), 3)},
    });
    (model, record)
}

/// A model of one input, `features`, of `IN` values and one output, `value`, of 2, trained
/// two epochs with Adam to regress `target` of `x` (`data(seed)` times `scale`), and its
/// record. With `keras_trains_on`, the record holds the training data too (not for noise,
/// which Keras draws its own way).
fn features_to_value<N, const IN: usize>(
    model: N,
    seed: u64,
    scale: f32,
    target: fn(&[f32]) -> [f32; 2],
    keras_trains_on: bool,
) -> (N, Value)
where
    N: Network<Predictions = Batch<Shape1<2>>>,
    for<'a> &'a Batch<Shape1<IN>>: densely::network::InputsOf<'a, N>,
    for<'a> &'a Batch<Shape1<2>>: densely::network::TargetsOf<'a, N>,
{
    prepared_features_to_value::<N, IN>(model, seed, scale, target, keras_trains_on, |_, _| {})
}

/// [`features_to_value`], with `prepare` given the model and the features before training
/// (to adapt a Normalization to them).
fn prepared_features_to_value<N, const IN: usize>(
    model: N,
    seed: u64,
    scale: f32,
    target: fn(&[f32]) -> [f32; 2],
    keras_trains_on: bool,
    prepare: impl FnOnce(&mut N, &[f32]),
) -> (N, Value)
where
    N: Network<Predictions = Batch<Shape1<2>>>,
    for<'a> &'a Batch<Shape1<IN>>: densely::network::InputsOf<'a, N>,
    for<'a> &'a Batch<Shape1<2>>: densely::network::TargetsOf<'a, N>,
{
    let mut model = model;
    let x: Vec<f32> = data(seed, SAMPLES * IN).iter().map(|v| scale * v).collect();
    let y: Vec<f32> = x.chunks(IN).flat_map(target).collect();
    let xb = Batch::<Shape1<IN>>::from_vec(x.clone()).unwrap();
    let yb = Batch::<Shape1<2>>::from_vec(y.clone()).unwrap();
    prepare(&mut model, &x);
    model.compile(Adam::new(1e-2), []);
    let options = FitOptions::default()
        .epochs(2)
        .batch_size(8)
        .seed(5)
        .verbose(0);
    model.fit(&xb, &yb, options).unwrap();
    let probe = Batch::<Shape1<IN>>::from_vec(x[..PROBE * IN].to_vec()).unwrap();
    let predictions = model.predict(&probe).unwrap();
    let mut record = json!({
        "inputs": {"features": rows(probe.as_slice(), IN)},
        "outputs": {"value": rows(predictions.as_slice(), 2)},
    });
    if keras_trains_on {
        record["train"] = json!({
            "x": {"features": rows(&x, IN)}, "y": {"value": rows(&y, 2)}, "batch_size": 8,
        });
    }
    (model, record)
}

/// The model of every described layer kind.
fn toolbox() -> (Toolbox, Value) {
    let target = |r: &[f32]| {
        let mean = r[..6].iter().sum::<f32>() / 6.0;
        let square = r[6..].iter().map(|v| v * v).sum::<f32>() / 12.0;
        [mean, square]
    };
    features_to_value::<_, 12>(Toolbox::with_seed(8), 7, 3.0, target, true)
}

/// The noise layers' model.
fn noisy() -> (Noisy, Value) {
    let target = |r: &[f32]| [r.iter().sum::<f32>(), r[0] * r[1]];
    features_to_value::<_, 6>(Noisy::with_seed(8), 9, 1.0, target, false)
}

/// The transfer model, its base frozen.
fn transfer() -> (Transfer, Value) {
    let target = |r: &[f32]| [r.iter().sum::<f32>(), r[0] - r[5]];
    features_to_value::<_, 6>(Transfer::with_seed(8), 11, 1.0, target, true)
}

/// Raw features (scaled by 40), a Normalization adapted to them and an inverting one.
fn preprocessed() -> (Preprocessed, Value) {
    let target = |r: &[f32]| [r[0] / 40.0 + r[1] / 20.0, r[2] * r[3] / 800.0];
    prepared_features_to_value::<_, 6>(
        Preprocessed::with_seed(8),
        15,
        40.0,
        target,
        true,
        |model, x| model.adapt("normalized", x).unwrap(),
    )
}

/// Keras's model of everything densely reads (`tools/keras_everything.py`), loaded from
/// Keras 3's archive and trained one more epoch by densely, and its record (no training
/// data: Keras draws its noise its own way).
fn everything() -> (densely::DynamicModel, Value) {
    let keras = keras_fixture("keras3_everything.keras");
    let record = json(&keras.with_extension("json"));
    let array = |rows: &Value| {
        let values = flat(rows);
        let width = rows[0].as_array().unwrap().len();
        Array::new(vec![values.len() / width, width], values).unwrap()
    };
    let mut model = densely::load_model(&keras).unwrap();
    let train = &record["train"];
    let x = array(&train["x"]["features"]);
    let (logits, value) = (array(&train["y"]["logits"]), array(&train["y"]["value"]));
    let options = FitOptions::default()
        .epochs(1)
        .batch_size(16)
        .seed(6)
        .verbose(0);
    model.fit(&x, (&logits, &value), options).unwrap();
    let probe = array(&record["inputs"]["features"]);
    let predicted = model.predict(&probe).unwrap();
    let record = json!({
        "inputs": {"features": record["inputs"]["features"]},
        "outputs": {
            "logits": rows(predicted[0].values(), 3),
            "value": rows(predicted[1].values(), 2),
        },
    });
    (model, record)
}

/// The model whose losses take Keras's arguments, trained two epochs with Adam on targets of
/// each loss's kind: classes, signs and counts.
fn objectives() -> (Objectives, Value) {
    let x = data(13, SAMPLES * 6);
    let onehot: Vec<f32> = x
        .chunks(6)
        .flat_map(|r| {
            let class = usize::from(r[0] > 0.0) + usize::from(r[1] > 0.5);
            (0..3).map(move |k| if k == class { 1.0 } else { 0.0 })
        })
        .collect();
    let signs: Vec<f32> = x
        .chunks(6)
        .flat_map(|r| [(r[2] - r[3]).signum(), (r[4] * r[5]).signum()])
        .collect();
    let counts: Vec<f32> = x
        .chunks(6)
        .flat_map(|r| [(r[0].abs() * 2.0).floor(), (r[1].abs() * 2.0).floor()])
        .collect();
    let xb = Batch::<Shape1<6>>::from_vec(x.clone()).unwrap();
    let targets = (
        Batch::<Shape1<3>>::from_vec(onehot.clone()).unwrap(),
        Batch::<Shape1<2>>::from_vec(signs.clone()).unwrap(),
        Batch::<Shape1<2>>::from_vec(counts.clone()).unwrap(),
    );
    let mut model = Objectives::with_seed(8);
    model.compile(Adam::new(1e-2), []);
    let options = FitOptions::default()
        .epochs(2)
        .batch_size(8)
        .seed(5)
        .verbose(0);
    let y = (&targets.0, &targets.1, &targets.2);
    model.fit(&xb, y, options).unwrap();
    let probe = Batch::<Shape1<6>>::from_vec(x[..PROBE * 6].to_vec()).unwrap();
    let (logits, margin, rate) = model.predict(&probe).unwrap();
    let record = json!({
        "inputs": {"features": rows(probe.as_slice(), 6)},
        "outputs": {
            "logits": rows(logits.as_slice(), 3),
            "margin": rows(margin.as_slice(), 2),
            "rate": rows(rate.as_slice(), 2),
        },
        "train": {
            "x": {"features": rows(&x, 6)},
            "y": {"logits": rows(&onehot, 3), "margin": rows(&signs, 2), "rate": rows(&counts, 2)},
            "batch_size": 8,
        },
    });
    (model, record)
}

/// Whether densely wrote `name` as a Keras 3 `.keras` archive (which tf-keras cannot read).
fn is_archive(name: &str) -> bool {
    name.ends_with(".keras")
}

/// A file's companion beside it: `small_mlp_sgd.h5` -> `small_mlp_sgd.json` with
/// `extension` "json". Every file has its own stem (`small_mlp_sgd_archive.keras`), so the
/// companions of the `.h5` files and the archives never collide.
fn companion(name: &str, extension: &str) -> PathBuf {
    written().join(Path::new(name).with_extension(extension))
}

/// The files and records, in order: (file name, how densely saves it, record).
fn cases() -> Vec<(String, Saver, Value)> {
    let mut out: Vec<(String, Saver, Value)> = Vec::new();
    let flavors = [("", KerasFlavor::Keras2), ("_keras3", KerasFlavor::Keras3)];
    for (suffix, flavor) in flavors {
        let options = SaveOptions::default().keras_flavor(flavor);
        let (model, record) = small_mlp();
        out.push((
            format!("small_mlp_sgd{suffix}.h5"),
            Box::new(move |p: &Path| model.save_with(p, options)),
            record,
        ));
        let (model, record) = wide_deep();
        out.push((
            format!("wide_deep_adam{suffix}.h5"),
            Box::new(move |p: &Path| model.save_with(p, options)),
            record,
        ));
        let (model, record) = residual();
        out.push((
            format!("residual_rmsprop{suffix}.h5"),
            Box::new(move |p: &Path| model.save_with(p, options)),
            record,
        ));
        let (model, record) = toolbox();
        out.push((
            format!("toolbox_adam{suffix}.h5"),
            Box::new(move |p: &Path| model.save_with(p, options)),
            record,
        ));
    }
    // Models built at run time, written by the same code.
    let (model, record) = runtime_wide_deep();
    out.push((
        "runtime_wide_deep_adam.h5".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = runtime_wide_deep();
    out.push((
        "runtime_wide_deep_adam_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    // Keras 3's archives, saved by extension alone.
    let (model, record) = small_mlp();
    out.push((
        "small_mlp_sgd_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = wide_deep();
    out.push((
        "wide_deep_adam_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = residual();
    out.push((
        "residual_rmsprop_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = transfer();
    out.push((
        "transfer_adam.h5".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = transfer();
    out.push((
        "transfer_adam_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = noisy();
    out.push((
        "noisy_adam.h5".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = noisy();
    out.push((
        "noisy_adam_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = toolbox();
    out.push((
        "toolbox_adam_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = preprocessed();
    out.push((
        "preprocessed_adam.h5".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = preprocessed();
    out.push((
        "preprocessed_adam_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = everything();
    out.push((
        "everything_adam.h5".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = everything();
    out.push((
        "everything_adam_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = objectives();
    out.push((
        "objectives_adam.h5".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, record) = objectives();
    out.push((
        "objectives_adam_archive.keras".into(),
        Box::new(move |p: &Path| model.save(p)),
        record,
    ));
    let (model, mut record) = small_mlp();
    record["weights_of"] = json!("small_mlp_sgd.h5");
    out.push((
        "small_mlp_weights.h5".into(),
        Box::new(move |p: &Path| model.save_weights(p)),
        record,
    ));
    out
}

/// Writes the files and records when asked to (by hand, before running the Keras script).
#[test]
fn write_the_files_when_asked() {
    if std::env::var_os("DENSELY_WRITE_FIXTURES").is_none() {
        return;
    }
    let dir = written();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, save, record) in cases() {
        save(&dir.join(&name)).unwrap();
        std::fs::write(
            companion(&name, "json"),
            serde_json::to_string_pretty(&record).unwrap(),
        )
        .unwrap();
    }
}

fn results() -> Value {
    json(&written().join("keras_results.json"))
}

fn record(file: &str) -> Value {
    json(&companion(file, "json"))
}

/// Flat inputs of a record, in the model's input order.
fn record_inputs(record: &Value, names: &[&str]) -> Vec<Vec<f32>> {
    let inputs = record["inputs"].as_object().unwrap();
    let flatten = |v: &Value| -> Vec<f32> {
        let mut out = Vec::new();
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(items) => stack.extend(items.iter().rev()),
                Value::Number(n) => out.push(n.as_f64().unwrap() as f32),
                _ => panic!("not a number: {v}"),
            }
        }
        out
    };
    names.iter().map(|n| flatten(&inputs[*n])).collect()
}

/// What densely predicts for a record's probe inputs with the model in `path`, per output.
fn densely_predictions(path: &Path, record: &Value) -> Vec<(String, Vec<f32>)> {
    if let Some(model_file) = record.get("weights_of").and_then(Value::as_str) {
        let mut model = SmallMlp::load(written().join(model_file)).unwrap();
        model.visit_params_mut(&mut |_, param| param.value.fill(0.0));
        model.load_weights(path).unwrap();
        let probe = Batch::<Shape1<4>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
        return vec![("probs".into(), model.predict(&probe).unwrap().into_vec())];
    }
    let mut model = densely::load_model(path).unwrap();
    let inputs = record_inputs(record, &model.input_names());
    let slices: Vec<&[f32]> = inputs.iter().map(Vec::as_slice).collect();
    let outputs = predict_flat(&mut model, &slices, 32).unwrap();
    model
        .output_names()
        .into_iter()
        .map(str::to_owned)
        .zip(outputs)
        .collect()
}

/// The optimizer densely loads from the file `name` at `path`: its Keras class, iteration
/// count and slots (tensor by tensor).
fn densely_optimizer(name: &str, path: &Path) -> (String, u64, Vec<Vec<f32>>) {
    let state = |o: &dyn Optimizer| {
        (
            o.keras_class_name().to_owned(),
            o.iterations(),
            o.slots().into_iter().map(|(_, _, v)| v.to_vec()).collect(),
        )
    };
    if name.starts_with("runtime") || name.starts_with("everything") {
        state(densely::load_model(path).unwrap().optimizer().unwrap())
    } else if name.starts_with("small_mlp") {
        state(SmallMlp::load(path).unwrap().optimizer().unwrap())
    } else if name.starts_with("wide_deep") {
        state(WideAndDeep::load(path).unwrap().optimizer().unwrap())
    } else if name.starts_with("toolbox") {
        state(Toolbox::load(path).unwrap().optimizer().unwrap())
    } else if name.starts_with("transfer") {
        state(Transfer::load(path).unwrap().optimizer().unwrap())
    } else if name.starts_with("noisy") {
        state(Noisy::load(path).unwrap().optimizer().unwrap())
    } else if name.starts_with("objectives") {
        state(Objectives::load(path).unwrap().optimizer().unwrap())
    } else if name.starts_with("preprocessed") {
        state(Preprocessed::load(path).unwrap().optimizer().unwrap())
    } else {
        state(Residual::load(path).unwrap().optimizer().unwrap())
    }
}

fn keras_output(result: &Value, key: &str, name: &str) -> Vec<f32> {
    let outputs = result[key].as_object().unwrap();
    flat(if outputs.len() == 1 {
        outputs.values().next().unwrap()
    } else {
        &outputs[name]
    })
}

#[test]
fn densely_still_writes_these_files() {
    let dir = scratch("still-writes");
    for (name, save, fresh_record) in cases() {
        let fresh = dir.join(&name);
        save(&fresh).unwrap();
        let committed = written().join(&name);
        let committed_record = record(&name);
        for (output, values) in fresh_record["outputs"].as_object().unwrap() {
            assert_close(
                &flat(&committed_record["outputs"][output]),
                &flat(values),
                1e-6,
                &format!("{name}: densely's predictions changed"),
            );
        }
        if name.contains("weights") {
            let (mut a, mut b) = (SmallMlp::new(), SmallMlp::new());
            a.load_weights(&committed).unwrap();
            b.load_weights(&fresh).unwrap();
            for (x, y) in weights(&a).iter().zip(weights(&b)) {
                assert_close(x, &y, 1e-6, &name);
            }
            continue;
        }
        assert_eq!(
            densely::files::declaration(&committed).unwrap(),
            densely::files::declaration(&fresh).unwrap(),
            "{name}"
        );
        let (a, b) = (
            densely::load_model(&committed).unwrap(),
            densely::load_model(&fresh).unwrap(),
        );
        // Equal up to the rounding of another machine's matrix kernels (FMA or not).
        let tensors = |model: &densely::DynamicModel| {
            let mut all = Vec::new();
            model.visit_params(&mut |layer, param| {
                all.push((format!("{layer}/{}", param.name), param.value.to_vec()))
            });
            all
        };
        let (x, y) = (tensors(&a), tensors(&b));
        assert_eq!(x.len(), y.len(), "{name}");
        for ((x_name, x), (y_name, y)) in x.iter().zip(&y) {
            assert_eq!(x_name, y_name, "{name}");
            assert_close(x, y, 1e-6, &format!("{name}: {x_name}"));
        }
        let optimizer = |path: &Path| densely_optimizer(&name, path);
        if name.starts_with("residual") {
            // The Dropout generator's state rides along in an attribute Keras ignores.
            let states = |model: &Residual| {
                let mut states = Vec::new();
                model.visit_generators(&mut |layer, g| states.push((layer.to_owned(), g.state())));
                states
            };
            let loaded = states(&Residual::load(&committed).unwrap());
            assert_eq!(loaded, states(&Residual::load(&fresh).unwrap()), "{name}");
            assert_ne!(loaded, states(&Residual::with_seed(7)), "{name}");
        }
        let (a, b) = (optimizer(&committed), optimizer(&fresh));
        assert_eq!((&a.0, a.1, a.2.len()), (&b.0, b.1, b.2.len()), "{name}");
        for (x, y) in a.2.iter().zip(&b.2) {
            assert_close(x, y, 1e-6, &format!("{name}: optimizer slot"));
        }
    }
}

/// Both Kerases load every `.h5` file; Keras 3 alone loads the archives, and the script
/// recorded that tf-keras refused each of them rather than leaving it out.
#[test]
fn keras_3_and_tf_keras_predicted_what_densely_predicts() {
    let results = results();
    let (mut checked, mut refused) = (0, 0);
    for (name, _, record) in cases() {
        let path = written().join(&name);
        let ours = densely_predictions(&path, &record);
        for keras in ["keras3", "tf_keras"] {
            let result = &results[&name][keras];
            assert!(result.is_object(), "{name} in {keras}: no result");
            if keras == "tf_keras" && is_archive(&name) {
                assert!(
                    result["not_applicable"].is_string() && result["tf_keras_said"].is_string(),
                    "{name} in {keras}: {result}"
                );
                refused += 1;
                continue;
            }
            assert!(result.get("error").is_none(), "{name} in {keras}: {result}");
            assert!(
                result["max_abs_difference"].as_f64().unwrap() <= 1e-5,
                "{name} in {keras}: {result}"
            );
            for (output, values) in &ours {
                let theirs = keras_output(result, "predictions", output);
                assert_close(
                    &theirs,
                    values,
                    1e-5,
                    &format!("{name} in {keras}: {output}"),
                );
            }
            checked += 1;
        }
    }
    assert_eq!((checked, refused), (40, 10));
}

/// The optimizer state each Keras expects: tf-keras restores every slot of the default
/// (Keras 2) layout of an `.h5` file, Keras 3 those of its own layout (through the script's
/// workaround for its legacy `.h5` loader) and, by itself, those of a `.keras` archive; the
/// iteration count and the slots are densely's, and training one more epoch from the file
/// then gives what densely gives training on from the same file.
#[test]
fn keras_trains_on_from_the_optimizer_state_densely_wrote() {
    let results = results();
    let mut trained = 0;
    for (name, keras) in [
        ("small_mlp_sgd.h5", "tf_keras"),
        ("wide_deep_adam.h5", "tf_keras"),
        ("residual_rmsprop.h5", "tf_keras"),
        ("small_mlp_sgd_keras3.h5", "keras3"),
        ("wide_deep_adam_keras3.h5", "keras3"),
        ("small_mlp_sgd_archive.keras", "keras3"),
        ("wide_deep_adam_archive.keras", "keras3"),
        ("residual_rmsprop_archive.keras", "keras3"),
        ("transfer_adam.h5", "tf_keras"),
        ("transfer_adam_archive.keras", "keras3"),
        ("objectives_adam.h5", "tf_keras"),
        ("objectives_adam_archive.keras", "keras3"),
        ("preprocessed_adam.h5", "tf_keras"),
        ("preprocessed_adam_archive.keras", "keras3"),
    ] {
        let result = &results[name][keras];
        assert!(
            result["warnings"].as_array().unwrap().is_empty(),
            "{name} in {keras}: {result}"
        );
        // Keras 3 loads a legacy `.h5` file's optimizer state only through the script's
        // workaround, and an archive's by itself.
        let report = if keras == "keras3" && !is_archive(name) {
            assert_eq!(
                result["keras3_workaround"]["slots_restored"],
                json!(true),
                "{name}"
            );
            &result["keras3_workaround"]["optimizer"]
        } else {
            assert!(result.get("keras3_workaround").is_none(), "{name}");
            &result["optimizer"]
        };
        let path = written().join(name);
        let (class, iterations, slots) = densely_optimizer(name, &path);
        assert_eq!(report["class_name"], json!(class), "{name} in {keras}");
        assert_eq!(report["iterations"], json!(iterations), "{name} in {keras}");
        // Keras lists the slots in its own order (RMSprop: every velocity, then every
        // momentum, ...), so compare their norms as sorted lists. Both read the same float32
        // values from the file, so the norms agree to float64 rounding.
        let mut theirs: Vec<f64> = report["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|slot| slot["norm"].as_f64().unwrap())
            .collect();
        let mut ours: Vec<f64> = slots
            .iter()
            .map(|s| {
                s.iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect();
        theirs.sort_by(f64::total_cmp);
        ours.sort_by(f64::total_cmp);
        assert_eq!(theirs.len(), ours.len(), "{name} in {keras}: slot count");
        for (a, b) in theirs.iter().zip(&ours) {
            assert!(
                (a - b).abs() <= 1e-9 * b + 1e-12,
                "{name} in {keras}: slot norms {theirs:?} vs densely's {ours:?}"
            );
        }
        let record = record(name);
        if record.get("train").is_none() {
            // Dropout draws other masks in Keras: the residual model is not trained on.
            continue;
        }
        trained += 1;
        let ours: Vec<(String, Vec<f32>)> = if name.starts_with("small_mlp") {
            let mut model = SmallMlp::load(&path).unwrap();
            let x = flat(&record["train"]["x"]["features"]);
            let y: Vec<u32> = record["train"]["y"]["probs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u32)
                .collect();
            let (x, y) = (
                Batch::<Shape1<4>>::from_vec(x).unwrap(),
                Labels::<3>::new(y).unwrap(),
            );
            model
                .fit(
                    &x,
                    &y,
                    FitOptions::default()
                        .epochs(1)
                        .batch_size(8)
                        .shuffle(false)
                        .verbose(0),
                )
                .unwrap();
            let probe = Batch::<Shape1<4>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
            vec![("probs".into(), model.predict(&probe).unwrap().into_vec())]
        } else if ["toolbox", "transfer", "preprocessed"]
            .iter()
            .any(|model| name.starts_with(model))
        {
            // One input, `features`, and one output, `value`: BatchNormalization trains on
            // the batch's statistics, and the transfer model's frozen layers stay put.
            let mut model = densely::load_model(&path).unwrap();
            let array = |rows: &Value| {
                let values = flat(rows);
                let width = rows[0].as_array().unwrap().len();
                Array::new(vec![values.len() / width, width], values).unwrap()
            };
            let train = &record["train"];
            let (x, y) = (array(&train["x"]["features"]), array(&train["y"]["value"]));
            let options = FitOptions::default()
                .epochs(1)
                .batch_size(8)
                .shuffle(false)
                .verbose(0);
            model.fit(&x, &y, options).unwrap();
            let probe = array(&record["inputs"]["features"]);
            let predicted = model.predict(&probe).unwrap();
            vec![("value".into(), predicted[0].values().to_vec())]
        } else if name.starts_with("objectives") {
            // Three losses with Keras's arguments, which Keras read from the file.
            let mut model = Objectives::load(&path).unwrap();
            let train = &record["train"];
            let x = Batch::<Shape1<6>>::from_vec(flat(&train["x"]["features"])).unwrap();
            let y = &train["y"];
            let logits = Batch::<Shape1<3>>::from_vec(flat(&y["logits"])).unwrap();
            let margin = Batch::<Shape1<2>>::from_vec(flat(&y["margin"])).unwrap();
            let rate = Batch::<Shape1<2>>::from_vec(flat(&y["rate"])).unwrap();
            let options = FitOptions::default()
                .epochs(1)
                .batch_size(8)
                .shuffle(false)
                .verbose(0);
            model.fit(&x, (&logits, &margin, &rate), options).unwrap();
            let probe = Batch::<Shape1<6>>::from_vec(flat(&record["inputs"]["features"])).unwrap();
            let (logits, margin, rate) = model.predict(&probe).unwrap();
            vec![
                ("logits".into(), logits.into_vec()),
                ("margin".into(), margin.into_vec()),
                ("rate".into(), rate.into_vec()),
            ]
        } else {
            let mut model = WideAndDeep::load(&path).unwrap();
            let train = &record["train"];
            let wide = Batch::<Shape1<5>>::from_vec(flat(&train["x"]["wide_input"])).unwrap();
            let deep = Batch::<Shape1<6>>::from_vec(flat(&train["x"]["deep_input"])).unwrap();
            let y = Batch::<Shape1<1>>::from_vec(flat(&train["y"]["main_output"])).unwrap();
            model
                .fit(
                    (&wide, &deep),
                    (&y, &y),
                    FitOptions::default()
                        .epochs(1)
                        .batch_size(8)
                        .shuffle(false)
                        .verbose(0),
                )
                .unwrap();
            let pw = Batch::<Shape1<5>>::from_vec(flat(&record["inputs"]["wide_input"])).unwrap();
            let pd = Batch::<Shape1<6>>::from_vec(flat(&record["inputs"]["deep_input"])).unwrap();
            let (main, aux) = model.predict((&pw, &pd)).unwrap();
            vec![
                ("main_output".into(), main.into_vec()),
                ("aux_output".into(), aux.into_vec()),
            ]
        };
        for (output, values) in ours {
            let theirs = keras_output(result, "after_one_more_epoch", &output);
            let worst = theirs
                .iter()
                .zip(&values)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            eprintln!("{name} in {keras}: {output} after one more epoch differs by {worst:e}");
            assert_close(
                &theirs,
                &values,
                1e-5,
                &format!("{name} in {keras}: {output}"),
            );
        }
    }
    assert_eq!(trained, 12);
}

/// Every layer kind, back as it was declared (Keras names, the loss, Dropout's rate), from
/// the `.h5` file and from the archive alike.
#[test]
fn the_declaration_of_a_densely_file_is_its_declaration() {
    for (file, version) in [
        ("residual_rmsprop.h5", "2.21.0"),
        ("residual_rmsprop_archive.keras", "3.15.1"),
    ] {
        let printed = densely::files::declaration_as(written().join(file), "Residual").unwrap();
        assert_eq!(
            printed,
            format!(
                "model! {{
    /// The Functional model `residual` of `{file}` (Keras {version}).
    pub struct Residual {{
        input grid: [2, 3];
        flat = Flatten()(grid);
        stem = Dense(8, tanh)(flat);
        branch = Dense(8, elu)(stem);
        dropped = Dropout(0.25)(branch);
        sum = add(stem, dropped);
        activated = Activation(sigmoid)(sum);
        output probs = Dense(3, softmax)(activated), loss = sparse_categorical_crossentropy;
    }}
}}
"
            ),
            "{file}"
        );
    }
}

model! {
    /// The Functional model `residual` of `residual_rmsprop.h5` (Keras 2.21.0).
    pub struct ResidualPrinted {
        input grid: [2, 3];
        flat = Flatten()(grid);
        stem = Dense(8, tanh)(flat);
        branch = Dense(8, elu)(stem);
        dropped = Dropout(0.25)(branch);
        sum = add(stem, dropped);
        activated = Activation(sigmoid)(sum);
        output probs = Dense(3, softmax)(activated), loss = sparse_categorical_crossentropy;
    }
}

#[test]
fn the_printed_declaration_compiles_and_loads_its_file() {
    for file in ["residual_rmsprop.h5", "residual_rmsprop_archive.keras"] {
        let path = written().join(file);
        let mut printed = ResidualPrinted::load(&path).unwrap();
        let mut original = Residual::load(&path).unwrap();
        let x = Batch::<Shape2<2, 3>>::from_fn(4, |s, f| (s * 6 + f) as f32 / 24.0 - 0.5);
        assert_eq!(
            printed.predict(&x).unwrap().as_slice(),
            original.predict(&x).unwrap().as_slice(),
            "{file}"
        );
        assert_eq!(
            printed.optimizer().unwrap().keras_class_name(),
            "RMSprop",
            "{file}"
        );
    }
}

/// Keras 3 summarised each file densely wrote as densely's dynamic model does
/// (`tools/keras_fixture_summaries.py`), character for character.
#[test]
fn keras_summarises_the_files_as_the_dynamic_model_does() {
    let mut compared = 0;
    for (name, _, _) in cases() {
        let summary = companion(&name, "summary.txt");
        if name.contains("weights") {
            continue;
        }
        let expected = std::fs::read_to_string(&summary).unwrap();
        let actual = densely::load_model(written().join(&name))
            .unwrap()
            .summary_string();
        for (number, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
            assert_eq!(a, e, "{name}: line {} differs\n{actual}", number + 1);
        }
        assert_eq!(actual, expected, "{name}");
        compared += 1;
    }
    assert_eq!(compared, 24);
}

/// The HDF5 bytes of a file densely wrote: the file itself, or an archive's `model.weights.h5`.
fn hdf5_bytes(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(written().join(name)).unwrap();
    if !is_archive(name) {
        return bytes;
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut weights = Vec::new();
    std::io::Read::read_to_end(
        &mut archive.by_name("model.weights.h5").unwrap(),
        &mut weights,
    )
    .unwrap();
    weights
}

/// The number of datasets under `group`, each checked to carry a `densely_crc32` attribute.
fn checksummed_datasets(group: &hdf5_pure::Group, name: &str) -> usize {
    let mut count = 0;
    for dataset in group.datasets().unwrap() {
        let attrs = group.dataset(&dataset).unwrap().attrs().unwrap();
        assert!(
            matches!(
                attrs.get("densely_crc32"),
                Some(hdf5_pure::AttrValue::U32(_))
            ),
            "{name}: `{dataset}` has no checksum"
        );
        count += 1;
    }
    for sub in group.groups().unwrap() {
        count += checksummed_datasets(&group.group(&sub).unwrap(), name);
    }
    count
}

/// Every array of every HDF5 file densely wrote carries its checksum, and neither Keras said
/// a word about them while loading: the only messages either printed are those Keras 3 prints
/// for Keras's own legacy `.h5` files too: the one for any file (checked on
/// `keras3_small_mlp.h5`) and, for a LeakyReLU, the one for tf-keras's name of its slope
/// (`keras2_toolbox.h5`), which densely's `.h5` files keep so that tf-keras reads them.
#[test]
fn keras_loads_the_checksummed_files_without_a_word() {
    const KERAS3_ON_ANY_H5: [&str; 2] = [
        "Compiled the loaded model, but the compiled metrics have yet to be built. `model.compile_metrics` will be empty until you train or evaluate the model.",
        "Argument `alpha` is deprecated. Use `negative_slope` instead.",
    ];
    let results = results();
    let mut loads = 0;
    for (name, _, _) in cases() {
        let file = hdf5_pure::File::from_bytes(hdf5_bytes(&name)).unwrap();
        assert!(checksummed_datasets(&file.root(), &name) >= 4, "{name}");
        for keras in ["keras3", "tf_keras"] {
            let result = &results[&name][keras];
            if result.get("not_applicable").is_some() {
                continue;
            }
            let said = result["other_warnings"].as_array().unwrap();
            assert!(
                said.iter()
                    .all(|m| KERAS3_ON_ANY_H5.iter().any(|k| m == k) && keras == "keras3"),
                "{name} in {keras}: {said:?}"
            );
            loads += 1;
        }
    }
    assert_eq!(loads, 40);
}

/// Keras reads the layers densely froze as frozen, from the `.h5` file and the archive.
#[test]
fn keras_reads_the_frozen_layers_densely_wrote() {
    let results = results();
    let mut read = 0;
    for file in ["transfer_adam.h5", "transfer_adam_archive.keras"] {
        for keras in ["keras3", "tf_keras"] {
            let result = &results[file][keras];
            if result.get("not_applicable").is_some() {
                continue;
            }
            assert_eq!(
                result["frozen"],
                json!(["base", "steadied"]),
                "{file} in {keras}"
            );
            read += 1;
        }
    }
    assert_eq!(read, 3);
}
