//! Keras's metrics by name in `fit` and `evaluate`: History keys as Keras names them, per output
//! for several outputs, and values equal to the metric computed over the whole set at once.

use densely::prelude::*;

model! {
    /// A binary classifier and a regression head.
    pub struct TwoHeads {
        input x: [3];
        hidden = Dense(8, tanh);
        output flag = Dense(1, sigmoid)(hidden), loss = binary_crossentropy;
        output amount = Dense(2)(hidden), loss = mse;
    }
}

#[test]
fn history_keys_are_keras_names_per_output() {
    let mut model = TwoHeads::with_seed(3);
    model.compile(
        Sgd::new(0.05),
        [
            Metric::Precision,
            Metric::Recall,
            Metric::Auc,
            Metric::RootMeanSquaredError,
        ],
    );
    let x = Batch::<Shape1<3>>::from_fn(40, |s, i| ((s * 7 + i * 3) % 11) as f32 / 11.0 - 0.5);
    let flag = Batch::<Shape1<1>>::from_fn(40, |s, _| (s % 3 == 0) as u8 as f32);
    let amount = Batch::<Shape1<2>>::from_fn(40, |s, i| (s + i) as f32 / 40.0);
    let history = model
        .fit(
            &x,
            (&flag, &amount),
            FitOptions::default()
                .epochs(2)
                .batch_size(8)
                .validation_split(0.25)
                .verbose(0),
        )
        .unwrap();
    for key in [
        "flag_auc",
        "flag_precision",
        "flag_recall",
        "flag_root_mean_squared_error",
        "amount_root_mean_squared_error",
        "val_flag_auc",
        "val_amount_root_mean_squared_error",
    ] {
        let values = history
            .get(key)
            .unwrap_or_else(|| panic!("no `{key}` in {:?}", history.keys()));
        assert_eq!(values.len(), 2, "{key}");
        assert!(
            values.iter().all(|v| v.is_finite() && *v >= 0.0),
            "{key}: {values:?}"
        );
    }
    // Evaluated in batches of 32 or all at once, RMSE is the root of the whole set's mean.
    let whole = model.evaluate_batched(&x, (&flag, &amount), 40).unwrap();
    let batched = model.evaluate_batched(&x, (&flag, &amount), 7).unwrap();
    for key in [
        "amount_root_mean_squared_error",
        "flag_auc",
        "flag_precision",
    ] {
        let (a, b) = (whole.get(key).unwrap(), batched.get(key).unwrap());
        assert!((a - b).abs() < 1e-9, "{key}: {a} vs {b}");
    }
    let predictions = model.predict(&x).unwrap().1;
    let squared: f64 = predictions
        .as_slice()
        .iter()
        .zip(amount.as_slice())
        .map(|(&p, &t)| f64::from(p - t).powi(2))
        .sum();
    let rmse = (squared / 80.0).sqrt();
    let logged = whole.get("amount_root_mean_squared_error").unwrap();
    assert!((logged - rmse).abs() < 1e-6, "{logged} vs {rmse}");
}
