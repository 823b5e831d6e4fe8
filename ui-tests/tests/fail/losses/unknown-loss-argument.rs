use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output logits = Dense(3), loss = categorical_crossentropy(from_logit = true);
    }
}

fn main() {}
