use densely::prelude::*;

model! {
    pub struct Net {
        input features: [None, 784];
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
