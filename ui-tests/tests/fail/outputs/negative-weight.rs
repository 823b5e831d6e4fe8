use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output value = Dense(1), loss = mse, weight = -0.5;
    }
}

fn main() {}
