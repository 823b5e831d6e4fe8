use densely::prelude::*;

model! {
    pub struct Net {
        input image: [28, -1];
        flat = Flatten;
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
