use densely::prelude::*;

model! {
    pub struct Net {
        input image: [28, 28];
        flatten = Flaten;
        hidden = Dense(300, rleu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy, weight = -1.0;
    }
}

fn main() {}
