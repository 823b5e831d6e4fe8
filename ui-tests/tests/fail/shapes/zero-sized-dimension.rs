use densely::prelude::*;

model! {
    pub struct Net {
        input image: [28, 0];
        flatten = Flatten;
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
