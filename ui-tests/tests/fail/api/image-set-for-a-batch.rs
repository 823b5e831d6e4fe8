use densely::datasets::ImageSet;
use densely::prelude::*;

model! {
    pub struct FashionMlp {
        input image: [28, 28];
        flatten = Flatten;
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = FashionMlp::new();
    let images = ImageSet::from_pixels(vec![0; 784]).unwrap();
    // The bytes must become a `Batch` of scaled values first: `images.scaled()`.
    let _ = model.predict(&images);
}
