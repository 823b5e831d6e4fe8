use densely::prelude::*;

model! {
    /// A residual connection: `add` sums sources of one shape.
    pub struct Residual {
        input features: [8];
        hidden = Dense(8, relu);
        sum = add(features, hidden);
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = Residual::new();
    let x = Batch::<Shape1<8>>::from_fn(3, |s, i| (s + i) as f32);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 3);
    let targets = Batch::<Shape1<1>>::zeros(3);
    assert!(model.loss_and_gradients(&x, &targets).unwrap().is_finite());
}
