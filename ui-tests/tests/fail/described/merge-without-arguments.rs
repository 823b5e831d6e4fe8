use densely::prelude::*;

model! {
    pub struct Net {
        input a: [4];
        input b: [4];
        high = maximum(a, b, scale = 2.0);
        output value = Dense(1)(high), loss = mse;
    }
}

fn main() {}
