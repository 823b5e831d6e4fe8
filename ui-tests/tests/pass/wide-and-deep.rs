use densely::prelude::*;

model! {
    /// Wide & Deep: two inputs, a concatenation, a main and an auxiliary output.
    pub struct WideAndDeep {
        input wide_input: [5];
        input deep_input: [6];
        hidden1 = Dense(30, relu)(deep_input);
        hidden2 = Dense(30, relu)(hidden1);
        concat = concatenate(wide_input, hidden2);
        output main_output = Dense(1)(concat), loss = mse, weight = 0.9;
        output aux_output = Dense(1)(hidden2), loss = mse, weight = 0.1;
    }
}

fn main() {
    let mut model = WideAndDeep::new();
    let wide = Batch::<Shape1<5>>::from_fn(3, |s, i| (s + i) as f32 / 10.0);
    let deep = Batch::<Shape1<6>>::from_fn(3, |s, i| (s * i) as f32 / 10.0);
    // Inputs in declaration order, like Keras's `predict((X_new_A, X_new_B))`.
    let (main, aux): (Batch<Shape1<1>>, Batch<Shape1<1>>) = model.predict((&wide, &deep)).unwrap();
    assert_eq!((main.len(), aux.len()), (3, 3));
    let y = Batch::<Shape1<1>>::from_vec(vec![1.0, 2.0, 3.0]).unwrap();
    let loss = model.loss_and_gradients((&wide, &deep), (&y, &y)).unwrap();
    assert!(loss.is_finite() && loss > 0.0);
}
