use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output value = Dense(1), loss = mse, weight = 1e39;
    }
}

fn main() {}
