use densely::prelude::*;

model! {
    pub struct Net {
        input pixels: [12];
        scaled = Rescaling(offset = 1.0);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
