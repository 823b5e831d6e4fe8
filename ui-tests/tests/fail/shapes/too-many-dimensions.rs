use densely::prelude::*;

model! {
    pub struct Net {
        input volume: [2, 3, 4, 5, 6];
        flatten = Flatten;
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
