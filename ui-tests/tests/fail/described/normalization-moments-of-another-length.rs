use densely::prelude::*;

model! {
    pub struct Net {
        input features: [3];
        scaled = Normalization(mean = [1.0, 2.0], variance = [1.0, 1.0]);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
