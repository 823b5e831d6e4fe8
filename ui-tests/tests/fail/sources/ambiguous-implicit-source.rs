use densely::prelude::*;

model! {
    pub struct Net {
        input wide_input: [5];
        input deep_input: [6];
        hidden = Dense(30, relu);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
