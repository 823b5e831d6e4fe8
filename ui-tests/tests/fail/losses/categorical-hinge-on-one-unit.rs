use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output score = Dense(1), loss = categorical_hinge;
    }
}

fn main() {}
