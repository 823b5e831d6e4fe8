use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output logits = Dense(3), loss = categorical_crossentropy(true, 0.1, -1);
    }
}

fn main() {}
