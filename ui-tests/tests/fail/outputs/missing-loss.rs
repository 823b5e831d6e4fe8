use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output value = Dense(1);
    }
}

fn main() {}
