use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(30, relu);
        value = Dense(1);
    }
}

fn main() {}
