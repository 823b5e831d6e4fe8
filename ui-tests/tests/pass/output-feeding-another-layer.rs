use densely::prelude::*;

model! {
    /// An output that is also the source of another output.
    pub struct Chained {
        input features: [4];
        h = Dense(8, relu);
        output a = Dense(3)(h), loss = mse;
        output b = Dense(2, softmax)(a), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = Chained::new();
    let x = Batch::<Shape1<4>>::from_fn(2, |s, i| (s + i) as f32);
    let (a, b): (Batch<Shape1<3>>, Batch<Shape1<2>>) = model.predict(&x).unwrap();
    assert_eq!((a.len(), b.len()), (2, 2));
    let values = Batch::<Shape1<3>>::zeros(2);
    let labels = Labels::<2>::new(vec![1, 0]).unwrap();
    let loss = model.loss_and_gradients(&x, (&values, &labels)).unwrap();
    assert!(loss.is_finite());
}
