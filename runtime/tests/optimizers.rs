//! Every optimizer against the numbers real Keras (3.15) produced for the same three steps on
//! two tensors (`tools/keras_optimizer_steps.py` wrote `fixtures/keras_optimizer_steps.json`).

use densely::layers::ParamMut;
use densely::optimizers::{Adagrad, Adam, AdamW, Nadam, Optimizer, RmsProp, Sgd};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/keras_optimizer_steps.json")).unwrap()
}

fn tensors(value: &Value) -> Vec<Vec<f32>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect()
        })
        .collect()
}

/// Runs `optimizer` over the fixture's gradients and compares each step with Keras's.
fn check(name: &str, mut optimizer: impl Optimizer) {
    let fixture = fixture();
    let mut values = tensors(&fixture["start"]);
    let steps = fixture["cases"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no case {name}"));
    for (step, grads) in fixture["grads"].as_array().unwrap().iter().enumerate() {
        let mut grads = tensors(grads);
        optimizer
            .apply(&mut |visit| {
                for (value, grad) in values.iter_mut().zip(grads.iter_mut()) {
                    visit(ParamMut {
                        name: "kernel",
                        shape: &[],
                        value,
                        grad,
                        grad_is_calm: false,
                        trainable: true,
                    });
                }
            })
            .unwrap_or_else(|refused| panic!("{name} step {step}: {refused}"));
        let expected = tensors(&steps[step]);
        for (tensor, (got, want)) in values.iter().zip(&expected).enumerate() {
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                    "{name} step {}: tensor {tensor}[{i}] is {g}, Keras has {w}",
                    step + 1
                );
            }
        }
    }
    assert_eq!(optimizer.iterations(), 3);
}

#[test]
fn sgd() {
    check("sgd", Sgd::new(0.1));
    check("sgd_momentum", Sgd::new(0.1).momentum(0.9));
    check("sgd_nesterov", Sgd::new(0.1).momentum(0.9).nesterov(true));
}

#[test]
fn adam() {
    check("adam", Adam::new(0.1));
    check("adam_amsgrad", Adam::new(0.1).amsgrad(true));
}

#[test]
fn adamw() {
    check("adamw", AdamW::new(0.1));
}

#[test]
fn rmsprop() {
    check("rmsprop", RmsProp::new(0.1));
    check(
        "rmsprop_centered_momentum",
        RmsProp::new(0.1).momentum(0.5).centered(true),
    );
}

#[test]
fn adagrad() {
    check("adagrad", Adagrad::new(0.1));
}

#[test]
fn nadam() {
    check("nadam", Nadam::new(0.1));
}

#[test]
fn clipping() {
    check("sgd_clipnorm", Sgd::new(0.1).clipnorm(0.5));
    check("sgd_clipvalue", Sgd::new(0.1).clipvalue(0.25));
    check("sgd_global_clipnorm", Sgd::new(0.1).global_clipnorm(0.5));
}

#[test]
fn defaults_are_keras_defaults() {
    assert_eq!(Sgd::default().learning_rate(), 0.01);
    assert_eq!(Adam::default().learning_rate(), 0.001);
    assert_eq!(Adam::default().rule().epsilon, 1e-7);
    assert_eq!(
        AdamW::default().config()["weight_decay"],
        serde_json::json!(0.004f32)
    );
    assert_eq!(RmsProp::default().rule().rho, 0.9);
    assert_eq!(Adagrad::default().rule().initial_accumulator_value, 0.1);
    assert_eq!(Sgd::default().config()["momentum"], serde_json::json!(0.0));
}

#[test]
fn reset_forgets_state_and_slots_round_trip() {
    let mut adam = Adam::new(0.1);
    let mut value = vec![1.0, 2.0];
    let mut grad = vec![0.5, -0.5];
    let step = |adam: &mut Adam, value: &mut Vec<f32>, grad: &mut Vec<f32>| {
        adam.apply(&mut |visit| {
            visit(ParamMut {
                name: "kernel",
                shape: &[2],
                value,
                grad,
                grad_is_calm: false,
                trainable: true,
            })
        })
        .expect("a finite step")
    };
    step(&mut adam, &mut value, &mut grad);
    let slots: Vec<Vec<f32>> = adam.slots().iter().map(|(_, _, v)| v.to_vec()).collect();
    assert_eq!(
        adam.slots().iter().map(|(_, n, _)| *n).collect::<Vec<_>>(),
        ["momentum", "velocity"]
    );
    let mut restored = Adam::new(0.1);
    restored.set_slots(1, vec![slots]).unwrap();
    let (mut a, mut b) = (value.clone(), value.clone());
    step(&mut adam, &mut a, &mut grad.clone());
    step(&mut restored, &mut b, &mut grad);
    assert_eq!(a, b, "restored slots continue exactly");
    adam.reset();
    assert_eq!(adam.iterations(), 0);
    assert!(adam.slots().is_empty());
    assert!(restored.set_slots(0, vec![vec![vec![0.0; 2]]]).is_err());
}
