use densely::prelude::*;

model! {
    /// Every layer names its source, even where the shorthand would do.
    pub struct Explicit {
        input features: [8];
        hidden1 = Dense(16, relu)(features);
        hidden2 = Dense(16, relu)(hidden1);
        output value = Dense(1)(hidden2), loss = mse;
    }
}

fn main() {
    let mut model = Explicit::new();
    let x = Batch::<Shape1<8>>::zeros(2);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 2);
}
