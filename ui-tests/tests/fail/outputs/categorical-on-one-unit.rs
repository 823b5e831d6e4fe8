use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output probs = Dense(1, softmax), loss = categorical_crossentropy;
    }
}

fn main() {}
