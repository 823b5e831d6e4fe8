use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        base = Dense(8, relu), trainable = no;
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
