use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8], dtype = "float32";
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
