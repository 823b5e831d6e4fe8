//! `sample_weight` and `class_weight` computed as Keras computes them: the models of
//! `tools/keras_sample_weights.py`, from Keras's starting weights, evaluate and train to
//! Keras's own figures (`tests/fixtures/keras/sample_weights.json`).

use densely::inspect::Array;
use densely::network::{InputsOf, TargetsOf};
use densely::prelude::*;
use serde_json::Value;

model! {
    struct SparseNet {
        input x: [4];
        hidden = Dense(6, relu);
        output y = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

model! {
    struct CategoricalNet {
        input x: [4];
        hidden = Dense(6, relu);
        output y = Dense(3, softmax), loss = categorical_crossentropy;
    }
}

model! {
    struct BinaryNet {
        input x: [4];
        hidden = Dense(6, relu);
        output y = Dense(1, sigmoid), loss = binary_crossentropy;
    }
}

model! {
    struct MseNet {
        input x: [4];
        output y = Dense(2), loss = mse;
    }
}

model! {
    struct MaeNet {
        input x: [4];
        output y = Dense(2), loss = mae;
    }
}

model! {
    struct HuberNet {
        input x: [4];
        hidden = Dense(6, relu);
        output y = Dense(2, tanh), loss = huber;
    }
}

model! {
    struct TwoOutputs {
        input wide: [3];
        input deep: [2];
        hidden = Dense(4, relu)(deep);
        concat = concatenate(wide, hidden);
        output main = Dense(1)(concat), loss = mse, weight = 0.9;
        output aux = Dense(1)(hidden), loss = mse, weight = 0.1;
    }
}

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/keras/sample_weights.json")).unwrap()
}

fn floats(value: &Value) -> Vec<f32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

fn batch<S: Shape>(value: &Value) -> Batch<S> {
    Batch::from_vec(floats(value)).unwrap()
}

/// Sets Keras's starting weights, in `get_weights` order.
fn start_from_keras<N: Network + Inspect>(model: &mut N, case: &Value) {
    let shapes: Vec<Vec<usize>> = model
        .get_weights()
        .iter()
        .map(|a| a.shape().to_vec())
        .collect();
    let arrays: Vec<Array> = case["start"]
        .as_array()
        .unwrap()
        .iter()
        .zip(shapes)
        .map(|(values, shape)| Array::new(shape, floats(values)).unwrap())
        .collect();
    model.set_weights(&arrays).unwrap();
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 2e-5 * expected.abs().max(1.0),
        "{what}: densely {actual}, Keras {expected}"
    );
}

/// Every value Keras logged, equal in densely's logs.
fn assert_logs(logs: &Logs, keras: &Value, case: &str) {
    let keras = keras.as_object().unwrap();
    assert_eq!(logs.names().len(), keras.len(), "{case}: {logs:?}");
    for (name, value) in keras {
        let ours = logs
            .get(name)
            .unwrap_or_else(|| panic!("{case}: no {name}"));
        assert_close(
            ours,
            value.as_f64().unwrap(),
            &format!("{case} evaluate {name}"),
        );
    }
}

/// History and final weights equal Keras's.
fn assert_trained<N: Network + Inspect>(model: &N, history: &History, case: &Value, name: &str) {
    let keras = case["history"].as_object().unwrap();
    assert_eq!(
        history.keys().len(),
        keras.len(),
        "{name}: {:?}",
        history.keys()
    );
    for (key, values) in keras {
        let ours = &history.history[key];
        for (epoch, (ours, theirs)) in ours.iter().zip(floats(values)).enumerate() {
            assert_close(
                *ours,
                f64::from(theirs),
                &format!("{name} {key} epoch {epoch}"),
            );
        }
    }
    for (k, (ours, theirs)) in model
        .get_weights()
        .iter()
        .zip(case["end"].as_array().unwrap())
        .enumerate()
    {
        for (a, b) in ours.values().iter().zip(floats(theirs)) {
            assert!(
                (a - b).abs() <= 2e-5,
                "{name}: weight {k} ends at {a}, Keras {b}"
            );
        }
    }
}

fn options<'a, N: Network>(case: &Value) -> FitOptions<'a, N> {
    FitOptions::default()
        .batch_size(case["batch_size"].as_u64().unwrap() as usize)
        .epochs(case["history"]["loss"].as_array().unwrap().len())
        .shuffle(false)
        .verbose(0)
}

/// Case `name` of the fixture: model `N` from Keras's starting weights, compiled with SGD at
/// `learning_rate` and `metrics`, evaluates (when Keras did) with `evaluate` and trains with
/// `fit`'s options to Keras's logs, History and weights.
fn keras_case<'d, N, X, Y>(
    name: &str,
    (x, y): (X, Y),
    (learning_rate, metrics): (f32, &[Metric]),
    evaluate: EvaluateOptions<'d>,
    fit: impl FnOnce(FitOptions<'d, N>) -> FitOptions<'d, N>,
) where
    N: Declared + Inspect,
    X: InputsOf<'d, N>,
    Y: TargetsOf<'d, N>,
{
    let f = fixture();
    let case = &f["cases"][name];
    let mut model = N::with_seed(1);
    model.compile(Sgd::new(learning_rate), metrics.iter().copied());
    start_from_keras(&mut model, case);
    let (x, y) = (x.into_inputs(), y.into_targets());
    if !case["evaluate"].is_null() {
        let batch_size = case["batch_size"].as_u64().unwrap() as usize;
        let logs = model
            .evaluate_with(x, y, evaluate.batch_size(batch_size))
            .unwrap();
        assert_logs(&logs, &case["evaluate"], name);
    }
    let history = model.fit(x, y, fit(options(case))).unwrap();
    assert_trained(&model, &history, case, name);
}

#[test]
fn sparse_categorical_sample_and_class_weights_are_keras() {
    let f = fixture();
    let x: Batch<Shape1<4>> = batch(&f["x"]);
    let labels: Vec<u32> = f["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let y = Labels::<3>::new(labels).unwrap();
    let w = floats(&f["sample_weight"]);
    let accuracy = (0.1, &[Metric::Accuracy][..]);
    let weighted = || EvaluateOptions::default().sample_weight(&w);
    keras_case::<SparseNet, _, _>(
        "sparse_sample_weight",
        (&x, &y),
        accuracy,
        weighted(),
        |o| o.sample_weight(&w),
    );
    keras_case::<SparseNet, _, _>("sparse_class_weight", (&x, &y), accuracy, weighted(), |o| {
        o.class_weight([(0, 0.5), (1, 3.0)])
    });
    // The held-out quarter keeps its sample weights.
    keras_case::<SparseNet, _, _>(
        "sparse_validation_split",
        (&x, &y),
        accuracy,
        weighted(),
        |o| o.sample_weight(&w).validation_split(0.25),
    );
}

#[test]
fn class_weights_read_one_hot_and_binary_targets_as_keras_does() {
    let f = fixture();
    let x: Batch<Shape1<4>> = batch(&f["x"]);
    let w = floats(&f["sample_weight"]);
    let onehot = Batch::<Shape1<3>>::from_fn(20, |s, k| {
        (f["labels"][s].as_u64().unwrap() as usize == k) as u8 as f32
    });
    let binary: Batch<Shape1<1>> = batch(&f["binary"]);
    let accuracy = (0.1, &[Metric::Accuracy][..]);
    let weighted = || EvaluateOptions::default().sample_weight(&w);
    keras_case::<CategoricalNet, _, _>(
        "categorical_class_weight",
        (&x, &onehot),
        accuracy,
        weighted(),
        |o| o.class_weight([(0, 0.5), (1, 3.0)]),
    );
    keras_case::<BinaryNet, _, _>(
        "binary_class_weight",
        (&x, &binary),
        accuracy,
        weighted(),
        |o| o.class_weight([(0, 0.25), (1, 4.0)]),
    );
}

#[test]
fn regression_losses_weigh_samples_as_keras_does() {
    let f = fixture();
    let x: Batch<Shape1<4>> = batch(&f["x"]);
    let y: Batch<Shape1<2>> = batch(&f["values"]);
    let w = floats(&f["sample_weight"]);
    let mae = (0.1, &[Metric::Mae][..]);
    let weighted = || EvaluateOptions::default().sample_weight(&w);
    keras_case::<MseNet, _, _>("mse_sample_weight", (&x, &y), mae, weighted(), |o| {
        o.sample_weight(&w)
    });
    keras_case::<MaeNet, _, _>("mae_sample_weight", (&x, &y), mae, weighted(), |o| {
        o.sample_weight(&w)
    });
    keras_case::<HuberNet, _, _>("huber_sample_weight", (&x, &y), mae, weighted(), |o| {
        o.sample_weight(&w)
    });
}

#[test]
fn each_output_takes_its_own_weights_or_one_array_for_all() {
    let f = fixture();
    let data = &f["two_outputs"];
    let wide: Batch<Shape1<3>> = batch(&data["wide"]);
    let deep: Batch<Shape1<2>> = batch(&data["deep"]);
    let main: Batch<Shape1<1>> = batch(&data["main"]);
    let aux: Batch<Shape1<1>> = batch(&data["aux"]);
    let w = floats(&f["sample_weight"]);
    let w_aux = floats(&data["aux_weight"]);
    let data = ((&wide, &deep), (&main, &aux));
    let sgd = (0.05, &[][..]);

    let per_output = SampleWeight::default()
        .output("main", &w)
        .output("aux", &w_aux);
    let evaluate = EvaluateOptions::default().sample_weight(per_output.clone());
    keras_case::<TwoOutputs, _, _>("two_outputs_per_output", data, sgd, evaluate, |o| {
        o.sample_weight(per_output)
    });
    // One array weighs both outputs; validation data brings weights of its own.
    let evaluate = EvaluateOptions::default().sample_weight(&w);
    keras_case::<TwoOutputs, _, _>("two_outputs_one_array", data, sgd, evaluate, |o| {
        o.sample_weight(&w)
            .validation_data((&wide, &deep), (&main, &aux))
            .validation_sample_weight(&w_aux)
    });
}

#[test]
fn weights_that_do_not_fit_the_data_are_refused_by_name() {
    let x = Batch::<Shape1<2>>::zeros(4);
    let deep = Batch::<Shape1<2>>::zeros(4);
    let wide = Batch::<Shape1<3>>::zeros(4);
    let y = Batch::<Shape1<1>>::zeros(4);
    let mut model = TwoOutputs::new();
    model.compile(Sgd::new(0.1), []);
    let fit = |model: &mut TwoOutputs, options: FitOptions<'_, TwoOutputs>| {
        model
            .fit((&wide, &deep), (&y, &y), options.verbose(0))
            .unwrap_err()
            .to_string()
    };
    let short = [1.0; 3];
    let error = fit(&mut model, FitOptions::default().sample_weight(&short));
    assert!(
        error.contains("sample_weight") && error.contains("3 weights for 4 samples"),
        "{error}"
    );
    let error = fit(
        &mut model,
        FitOptions::default().sample_weight(SampleWeight::default().output("mian", &[1.0; 4])),
    );
    assert!(
        error.contains("`mian` is no output of TwoOutputs")
            && error.contains("Did you mean `main`?"),
        "{error}"
    );
    let error = fit(
        &mut model,
        FitOptions::default().sample_weight(SampleWeight::default().output("aux", &[1.0; 5])),
    );
    assert!(
        error.contains("5 weights of output `aux` for 4 samples"),
        "{error}"
    );
    let error = fit(
        &mut model,
        FitOptions::default().sample_weight(&[1.0, f32::NAN, 1.0, 1.0]),
    );
    assert!(error.contains("weight 1 is NaN"), "{error}");
    let error = fit(&mut model, FitOptions::default().class_weight([(0, 2.0)]));
    assert!(
        error.contains("class_weight") && error.contains("2 outputs"),
        "{error}"
    );
    let error = fit(
        &mut model,
        FitOptions::default().validation_sample_weight(&[1.0; 4]),
    );
    assert!(
        error.contains("validation_sample_weight") && error.contains("validation_data"),
        "{error}"
    );
    let _ = x;

    let mut model = BinaryNet::new();
    model.compile(Sgd::new(0.1), []);
    let x = Batch::<Shape1<4>>::zeros(4);
    let mut fit = |options: FitOptions<'_, BinaryNet>| {
        model
            .fit(&x, &y, options.verbose(0))
            .unwrap_err()
            .to_string()
    };
    let error = fit(FitOptions::default()
        .class_weight([(0, 2.0)])
        .sample_weight(&[1.0; 4]));
    assert!(
        error.contains("class_weight") && error.contains("together with sample_weight"),
        "{error}"
    );
    let error = fit(FitOptions::default().class_weight([(0, 2.0), (0, 3.0)]));
    assert!(error.contains("class 0 is given twice"), "{error}");
    let error = fit(FitOptions::default().class_weight([(1, f32::INFINITY)]));
    assert!(error.contains("class 1 is inf"), "{error}");
}

#[test]
fn a_zero_weight_takes_a_sample_out_of_training() {
    // Training on four samples, two of them weighted zero, moves the weights exactly as
    // training on the other two with doubled weights over a batch of four does.
    let x = Batch::<Shape1<4>>::from_fn(4, |s, i| (s * 4 + i) as f32 / 8.0 - 1.0);
    let y = Batch::<Shape1<2>>::from_fn(4, |s, i| (s + i) as f32 / 3.0);
    let mut weighted = MseNet::with_seed(9);
    weighted.compile(Sgd::new(0.1), []);
    let options = || {
        FitOptions::default()
            .batch_size(4)
            .shuffle(false)
            .verbose(0)
    };
    weighted
        .fit(&x, &y, options().sample_weight(&[0.0, 1.0, 0.0, 1.0]))
        .unwrap();

    let mut poisoned = MseNet::with_seed(9);
    poisoned.compile(Sgd::new(0.1), []);
    let mut y_bad = y.clone();
    // Whatever the zero-weighted targets hold, finite, nothing changes.
    y_bad.as_mut_slice()[0] = 1e6;
    poisoned
        .fit(&x, &y_bad, options().sample_weight(&[0.0, 1.0, 0.0, 1.0]))
        .unwrap();
    assert_eq!(weighted.get_weights(), poisoned.get_weights());

    let mut unweighted = MseNet::with_seed(9);
    unweighted.compile(Sgd::new(0.1), []);
    unweighted.fit(&x, &y, options()).unwrap();
    assert_ne!(weighted.get_weights(), unweighted.get_weights());
}
