use densely::prelude::*;

model! {
    pub struct Regressor {
        input features: [8];
        hidden = Dense(30, relu);
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = Regressor::new();
    let x = Batch::<Shape1<8>>::zeros(2);
    let y = Labels::<1>::new(vec![0, 0]).unwrap();
    // An `mse` output is trained on values, a `Batch<Shape1<1>>`, not on class labels.
    let _ = model.loss(&x, &y);
}
