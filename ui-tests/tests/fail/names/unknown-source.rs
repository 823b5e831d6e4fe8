use densely::prelude::*;

model! {
    pub struct Net {
        input image: [784];
        hidden = Dense(30, relu)(imag);
        output probs = Dense(10, softmax)(hidden), loss = sparse_categorical_crossentropy;
    }
}

fn main() {}
