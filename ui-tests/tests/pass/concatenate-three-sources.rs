use densely::prelude::*;

model! {
    pub struct ThreeWay {
        input a: [2];
        input b: [3];
        input c: [4];
        joined = concatenate(a, b, c);
        hidden = Dense(8, relu);
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = ThreeWay::new();
    assert_eq!(model.joined_width(), 9);
    let a = Batch::<Shape1<2>>::zeros(2);
    let b = Batch::<Shape1<3>>::zeros(2);
    let c = Batch::<Shape1<4>>::zeros(2);
    let y: Batch<Shape1<1>> = model.predict((&a, &b, &c)).unwrap();
    assert_eq!(y.len(), 2);
    let targets = Batch::<Shape1<1>>::from_vec(vec![1.0, -1.0]).unwrap();
    let loss = model.loss_and_gradients((&a, &b, &c), &targets).unwrap();
    assert!(loss.is_finite());
}

impl ThreeWay {
    /// `hidden` is a `Dense<9, 8, _>`: its kernel has one row per joined value.
    fn joined_width(&self) -> usize {
        self.hidden.kernel().nrows()
    }
}
