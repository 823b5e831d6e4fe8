use densely::prelude::*;

model! {
    /// Each layer reads the node declared just before it.
    pub struct Sequential {
        input features: [8];
        hidden1 = Dense(16, relu);
        hidden2 = Dense(16, relu);
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = Sequential::new();
    let x = Batch::<Shape1<8>>::from_fn(4, |s, i| (s * 8 + i) as f32 / 32.0);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 4);
}
