//! The book's Fashion-MNIST classifier, for the examples that train it without showing it.

use densely::prelude::*;

model! {
    /// The Fashion-MNIST classifier of the book: 784-300-100-10, relu, relu, softmax.
    pub struct FashionMlp {
        input image: [28, 28];
        flatten = Flatten;
        hidden1 = Dense(300, relu);
        hidden2 = Dense(100, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}
