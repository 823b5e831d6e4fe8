use densely::prelude::*;

model! {
    /// Every loss, each on an output it fits.
    pub struct Losses {
        input features: [4];
        hidden = Dense(8, relu);
        output classes = Dense(3, softmax)(hidden), loss = sparse_categorical_crossentropy;
        output one_hot = Dense(3, softmax)(hidden), loss = categorical_crossentropy;
        output binary = Dense(1, sigmoid)(hidden), loss = binary_crossentropy;
        output squared = Dense(2)(hidden), loss = mse;
        output absolute = Dense(2)(hidden), loss = mae;
        output robust = Dense(2)(hidden), loss = huber;
        output hinged = Dense(2, tanh)(hidden), loss = hinge;
        output squared_hinged = Dense(2, tanh)(hidden), loss = squared_hinge;
        output ranked = Dense(3)(hidden), loss = categorical_hinge;
        output smooth = Dense(2)(hidden), loss = log_cosh;
        output divergent = Dense(3, softmax)(hidden), loss = kl_divergence;
        output counts = Dense(2, softplus)(hidden), loss = poisson;
        output percent = Dense(2)(hidden), loss = mape;
        output logarithmic = Dense(2, relu)(hidden), loss = msle;
        output direction = Dense(2)(hidden), loss = cosine_similarity;
        // Losses with Keras's arguments, by name or by position.
        output logits = Dense(3)(hidden),
            loss = categorical_crossentropy(from_logits = true, label_smoothing = 0.1);
        output label_logits = Dense(3)(hidden),
            loss = SparseCategoricalCrossentropy(from_logits = true);
        output smoothed = Dense(1, sigmoid)(hidden), loss = bce(false, 0.2);
        output narrow = Dense(2)(hidden), loss = Huber(delta = 0.5);
    }
}

fn main() {
    let mut model = Losses::new();
    let x = Batch::<Shape1<4>>::from_fn(2, |s, i| (s + i) as f32 / 4.0);
    let predicted = model.predict(&x).unwrap();
    let (classes, binary, values): (&Batch<Shape1<3>>, &Batch<Shape1<1>>, &Batch<Shape1<2>>) =
        (&predicted.0, &predicted.2, &predicted.3);
    assert_eq!((classes.len(), binary.len(), values.len()), (2, 2, 2));
    // Sparse targets are class labels; the others are values.
    let labels = Labels::<3>::new(vec![0, 2]).unwrap();
    let one_hot = labels.one_hot();
    let binary = Batch::<Shape1<1>>::from_vec(vec![0.0, 1.0]).unwrap();
    let values = Batch::<Shape1<2>>::from_vec(vec![0.5, 0.5, 1.0, 2.0]).unwrap();
    let targets = (
        &labels, &one_hot, &binary, &values, &values, &values, &values, &values, &one_hot,
        &values, &one_hot, &values, &values, &values, &values, &one_hot, &labels, &binary,
        &values,
    );
    let loss = model.loss(&x, targets).unwrap();
    assert!(loss.is_finite() && loss > 0.0);
    assert!(model.loss_and_gradients(&x, targets).unwrap().is_finite());
}
