use densely::prelude::*;

model! {
    /// An activation as a layer of its own, after a linear `Dense`.
    pub struct Squashed {
        input features: [4];
        hidden = Dense(8);
        squashed = Activation(tanh);
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = Squashed::new();
    let x = Batch::<Shape1<4>>::from_fn(2, |s, i| (s + i) as f32);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 2);
}
