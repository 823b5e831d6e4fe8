use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output probs = Dense(3, sigmoid), loss = binary_crossentropy;
    }
}

fn main() {}
