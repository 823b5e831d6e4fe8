use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output probs = Dense(10, softmax), loss = sparse_categorical_crosentropy;
    }
}

fn main() {}
