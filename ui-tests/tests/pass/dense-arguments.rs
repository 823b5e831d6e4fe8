use densely::prelude::*;

model! {
    /// Every argument `Dense` takes, positional and named.
    pub struct Arguments {
        input features: [4];
        no_bias = Dense(8, relu, use_bias = false);
        he = Dense(8, relu, kernel_initializer = he_normal);
        ones = Dense(8, relu, bias_initializer = ones);
        named = Dense(units = 8, activation = relu);
        quoted = Dense(8, "relu");
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let mut model = Arguments::new();
    assert!(!model.no_bias.use_bias());
    assert!(model.no_bias.bias().is_none());
    assert!(model.he.use_bias());
    assert!(model.ones.bias().unwrap().iter().all(|&b| b == 1.0));
    let mut tensors = Vec::new();
    model.visit_params(&mut |layer, param| tensors.push((layer.to_owned(), param.name)));
    assert_eq!(tensors[0], ("no_bias".to_owned(), "kernel"));
    assert_eq!(tensors[1], ("he".to_owned(), "kernel"));
    let x = Batch::<Shape1<4>>::from_fn(2, |s, i| (s + i) as f32);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 2);
}
