use densely::prelude::*;

model! {
    /// A `Flatten` as an output: it shares its source's buffers.
    pub struct FlatOutput {
        input features: [4];
        hidden = Dense(6, relu);
        output flat = Flatten, loss = mse;
    }
}

fn main() {
    let mut model = FlatOutput::new();
    let x = Batch::<Shape1<4>>::from_fn(2, |s, i| (s + i) as f32);
    let y: Batch<Shape1<6>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 2);
    let targets = Batch::<Shape1<6>>::zeros(2);
    assert!(model.loss_and_gradients(&x, &targets).unwrap().is_finite());
}
