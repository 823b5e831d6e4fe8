use densely::prelude::*;

model! {
    pub struct Net {
        input image: [28, 28];
        flatten = Flatten(image);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {}
