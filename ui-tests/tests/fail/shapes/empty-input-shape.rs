use densely::prelude::*;

model! {
    pub struct Net {
        input features: [];
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
