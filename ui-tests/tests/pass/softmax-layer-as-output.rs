use densely::prelude::*;

model! {
    /// Softmax as a layer of its own at the output, fused with its loss like Keras does.
    pub struct SoftmaxLayer {
        input features: [4];
        logits = Dense(3);
        output probs = Activation(softmax), loss = sparse_categorical_crossentropy;
    }
}

fn main() {
    let mut model = SoftmaxLayer::new();
    let x = Batch::<Shape1<4>>::from_fn(2, |s, i| (s + i) as f32);
    let probs: Batch<Shape1<3>> = model.predict(&x).unwrap();
    assert_eq!(probs.len(), 2);
    assert!((probs.sample(0).iter().sum::<f32>() - 1.0).abs() < 1e-5);
    let labels = Labels::<3>::new(vec![2, 0]).unwrap();
    assert!(model.loss_and_gradients(&x, &labels).unwrap().is_finite());
}
