use densely::prelude::*;

model! {
    /// One node read by three layers: their gradients are summed.
    pub struct FanOut {
        input features: [4];
        shared = Dense(8, relu);
        left = Dense(4, relu)(shared);
        middle = Dense(4, tanh)(shared);
        right = Dense(8, sigmoid)(shared);
        joined = concatenate(left, middle, right);
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = FanOut::new();
    let x = Batch::<Shape1<4>>::from_fn(2, |s, i| (s + i) as f32);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 2);
    let targets = Batch::<Shape1<1>>::from_vec(vec![1.0, 0.0]).unwrap();
    assert!(model.loss_and_gradients(&x, &targets).unwrap().is_finite());
}
