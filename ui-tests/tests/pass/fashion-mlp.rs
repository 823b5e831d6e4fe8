use densely::prelude::*;

model! {
    /// The Fashion-MNIST classifier of the book.
    pub struct FashionMlp {
        input image: [28, 28];
        flatten = Flatten;
        hidden1 = Dense(300, relu);
        hidden2 = Dense(100, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = FashionMlp::new();
    let x = Batch::<Shape2<28, 28>>::zeros(3);
    let probs: Batch<Shape1<10>> = model.predict(&x).unwrap();
    assert_eq!(probs.len(), 3);
    assert!((probs.sample(0).iter().sum::<f32>() - 1.0).abs() < 1e-5);
}
