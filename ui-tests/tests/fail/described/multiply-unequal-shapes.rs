use densely::prelude::*;

model! {
    pub struct Net {
        input a: [4];
        input b: [3];
        product = multiply(a, b);
        output value = Dense(1)(product), loss = mse;
    }
}

fn main() {}
