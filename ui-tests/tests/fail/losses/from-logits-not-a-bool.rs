use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output logits = Dense(3), loss = sparse_categorical_crossentropy(from_logits = 1);
    }
}

fn main() {}
