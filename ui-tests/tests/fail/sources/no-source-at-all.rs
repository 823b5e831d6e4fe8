use densely::prelude::*;

model! {
    pub struct Net {
        hidden = Dense(30, relu);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
