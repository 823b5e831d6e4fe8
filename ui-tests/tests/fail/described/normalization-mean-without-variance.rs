use densely::prelude::*;

model! {
    pub struct Net {
        input features: [3];
        scaled = Normalization(mean = 0.5);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
