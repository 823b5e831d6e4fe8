use densely::prelude::*;

model! {
    pub struct Net {
        input a: [4];
        input b: [4];
        input c: [4];
        difference = subtract(a, b, c);
        output value = Dense(1)(difference), loss = mse;
    }
}

fn main() {}
