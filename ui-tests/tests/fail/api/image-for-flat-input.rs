use densely::prelude::*;

model! {
    pub struct FlatMlp {
        input pixels: [784];
        hidden = Dense(100, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = FlatMlp::new();
    let images = Batch::<Shape2<28, 28>>::zeros(2);
    // The model reads flat rows of 784 values; the images must be flattened first.
    let _ = model.predict(&images);
}
