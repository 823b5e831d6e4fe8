use densely::prelude::*;

model! {
    /// No parameters at all: a softmax over the input, fused with its loss.
    pub struct NoParams {
        input features: [3];
        output probs = Activation(softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = NoParams::new();
    let x = Batch::<Shape1<3>>::from_vec(vec![1.0, 2.0, 3.0]).unwrap();
    let p = model.predict(&x).unwrap();
    assert_eq!(p.len(), 1);
    let labels = Labels::<3>::new(vec![2]).unwrap();
    assert!(model.loss_and_gradients(&x, &labels).unwrap().is_finite());
    assert_eq!(model.count_params(), 0);
}
