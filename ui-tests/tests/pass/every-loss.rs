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
    }
}

fn main() {
    let mut model = Losses::new();
    let x = Batch::<Shape1<4>>::from_fn(2, |s, i| (s + i) as f32 / 4.0);
    let (classes, one_hot, binary, squared, absolute, robust): (
        Batch<Shape1<3>>,
        Batch<Shape1<3>>,
        Batch<Shape1<1>>,
        Batch<Shape1<2>>,
        Batch<Shape1<2>>,
        Batch<Shape1<2>>,
    ) = model.predict(&x).unwrap();
    for len in [classes.len(), one_hot.len(), binary.len()] {
        assert_eq!(len, 2);
    }
    for len in [squared.len(), absolute.len(), robust.len()] {
        assert_eq!(len, 2);
    }
    // Sparse targets are class labels; the others are values.
    let labels = Labels::<3>::new(vec![0, 2]).unwrap();
    let one_hot_targets = labels.one_hot();
    let binary_targets = Batch::<Shape1<1>>::from_vec(vec![0.0, 1.0]).unwrap();
    let values = Batch::<Shape1<2>>::from_vec(vec![0.5, -0.5, 1.0, 2.0]).unwrap();
    let targets = (
        &labels,
        &one_hot_targets,
        &binary_targets,
        &values,
        &values,
        &values,
    );
    let loss = model.loss(&x, targets).unwrap();
    assert!(loss.is_finite() && loss > 0.0);
    assert!(model.loss_and_gradients(&x, targets).unwrap().is_finite());
}
