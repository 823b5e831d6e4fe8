use densely::prelude::*;

model! {
    pub struct Net {
        input features: [3];
        scaled = Normalization(mean = "zero", variance = 1.0);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
