use densely::prelude::*;

model! {
    /// Dropout's rate, positional or named.
    pub struct Dropped {
        input features: [8];
        drop1 = Dropout(0.5);
        hidden = Dense(16, relu);
        drop2 = Dropout(rate = 0.2);
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = Dropped::new();
    assert_eq!(model.drop1.rate(), 0.5);
    assert_eq!(model.drop2.rate(), 0.2);
    let x = Batch::<Shape1<8>>::from_fn(4, |s, i| (s + i) as f32);
    // No dropout when predicting: the same inputs give the same outputs.
    let first: Batch<Shape1<1>> = model.predict(&x).unwrap();
    let second = model.predict(&x).unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(first.as_slice(), second.as_slice());
}
