use densely::prelude::*;

const UNITS: usize = 300;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(UNITS, relu);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
