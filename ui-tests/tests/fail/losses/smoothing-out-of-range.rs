use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output probs = Dense(1, sigmoid), loss = binary_crossentropy(label_smoothing = 1.5);
    }
}

fn main() {}
