use densely::prelude::*;

model! {
    /// An output flattened into a second output: each has targets of its own.
    pub struct FlatOfOutput {
        input features: [2];
        output a = Dense(3), loss = mse;
        output b = Flatten()(a), loss = mse;
    }
}

fn main() {
    let mut model = FlatOfOutput::new();
    let x = Batch::<Shape1<2>>::from_vec(vec![1.0, 2.0]).unwrap();
    let (a, b): (Batch<Shape1<3>>, Batch<Shape1<3>>) = model.predict(&x).unwrap();
    assert_eq!(a.as_slice(), b.as_slice());
    // Targets: `a`'s own predictions for `a` (zero loss), zeros for `b`.
    let zeros = Batch::<Shape1<3>>::zeros(1);
    let expected = a.as_slice().iter().map(|v| f64::from(v * v)).sum::<f64>() / 3.0;
    let loss = model.loss(&x, (&a, &zeros)).unwrap();
    assert!(
        (loss - expected).abs() < 1e-5,
        "expected {expected}, got {loss}"
    );
}
