use densely::prelude::*;

model! {
    /// Every activation, in `Dense` and as a layer.
    pub struct Activations {
        input features: [4];
        linear = Dense(4, linear);
        relu = Dense(4, relu);
        sigmoid = Dense(4, sigmoid);
        tanh = Dense(4, tanh);
        softmax = Dense(4, softmax);
        elu = Dense(4, elu);
        selu = Dense(4, selu);
        leaky_relu = Dense(4, leaky_relu);
        gelu = Dense(4, gelu);
        swish = Dense(4, swish);
        softplus = Dense(4, softplus);
        as_layer = Activation(softplus);
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = Activations::new();
    let x = Batch::<Shape1<4>>::from_fn(3, |s, i| s as f32 - i as f32);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 3);
    assert!(y.as_slice().iter().all(|v| v.is_finite()));
    let targets = Batch::<Shape1<1>>::from_vec(vec![0.5; 3]).unwrap();
    assert!(model.loss_and_gradients(&x, &targets).unwrap().is_finite());
}
