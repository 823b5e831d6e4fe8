#![deny(missing_docs)]
//! Doc comments and attributes on the struct reach the generated struct.

use densely::prelude::*;

model! {
    /// A documented model.
    ///
    /// Cloned below: every layer type implements `Clone`.
    #[allow(dead_code)]
    #[derive(Clone)]
    pub struct Documented {
        input image: [4, 4];
        flatten = Flatten;
        hidden = Dense(8, relu);
        dropped = Dropout(0.1);
        squashed = Activation(tanh);
        a = Dense(4)(squashed);
        b = Dense(4)(squashed);
        sum = add(a, b);
        joined = concatenate(sum, hidden);
        output probs = Dense(3, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = Documented::new();
    let mut copy = model.clone();
    let x = Batch::<Shape2<4, 4>>::from_fn(2, |s, i| (s + i) as f32 / 16.0);
    let ours: Batch<Shape1<3>> = model.predict(&x).unwrap();
    let theirs = copy.predict(&x).unwrap();
    assert_eq!(ours.len(), 2);
    assert_eq!(ours.as_slice(), theirs.as_slice());
}
