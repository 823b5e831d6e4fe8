use densely::prelude::*;

model! {
    pub struct Net {
        input features: [4294967296];
        hidden = Dense(4294967296, relu);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
