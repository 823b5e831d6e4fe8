use densely::prelude::*;

model! {
    /// A short clip of small images, flattened before its first `Dense`.
    pub struct Clip {
        input frames: [2, 4, 4, 3];
        flatten = Flatten;
        hidden = Dense(16, relu);
        output probs = Dense(4, softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = Clip::new();
    let x = Batch::<Shape4<2, 4, 4, 3>>::zeros(2);
    let probs: Batch<Shape1<4>> = model.predict(&x).unwrap();
    assert_eq!(probs.len(), 2);
    assert_eq!(model.hidden.kernel().nrows(), 2 * 4 * 4 * 3);
}
