use densely::prelude::*;

model! {
    /// A colour image, flattened before its first `Dense`.
    pub struct Colour {
        input image: [8, 8, 3];
        flatten = Flatten;
        hidden = Dense(16, relu);
        output probs = Dense(4, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = Colour::new();
    let x = Batch::<Shape3<8, 8, 3>>::zeros(2);
    let probs: Batch<Shape1<4>> = model.predict(&x).unwrap();
    assert_eq!(probs.len(), 2);
    assert_eq!(model.hidden.kernel().nrows(), 8 * 8 * 3);
}
