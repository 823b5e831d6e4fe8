use densely::prelude::*;

model! {
    /// Unscaled pixels straight into a model: Rescaling, then normalization, the parametrized
    /// activations, noise and the merges, in the Sequential shorthand where a layer reads the
    /// one above.
    pub struct Described {
        input pixels: [2, 6];
        scaled = Rescaling(1.0 / 255.0);
        grid = Reshape((3, 4));
        sloped = PReLU(shared_axes = [1]);
        normed = LayerNormalization(axis = -1, epsilon = 1e-5);
        rows = Softmax;
        flat = Flatten;
        hidden = Dense(6);
        steadied = BatchNormalization(momentum = 0.9, center = false);
        jittered = GaussianNoise(0.05);
        leaky = LeakyReLU;
        capped = ReLU(6.0);
        smooth = ELU(alpha = 0.5)(hidden);
        product = multiply(capped, smooth);
        low = minimum(product, leaky);
        standard = Normalization();
        output value = Dense(1)(standard), loss = mse;
    }
}

fn main() {
    let mut model = Described::new();
    let x = Batch::<Shape2<2, 6>>::from_fn(3, |s, i| (40 * s + 7 * i) as f32);
    let y: Batch<Shape1<1>> = model.predict(&x).unwrap();
    assert_eq!(y.len(), 3);
    assert!(y.as_slice().iter().all(|v| v.is_finite()));
    // PReLU's 4 slopes, LayerNormalization's gamma and beta, `hidden`, BatchNormalization's
    // gamma (no beta) and moving statistics, Normalization's mean, variance and count, and
    // `value`.
    assert_eq!(model.count_params(), 4 + 2 * 4 + (12 * 6 + 6) + 3 * 6 + (2 * 6 + 1) + 7);
    model.adapt("standard", &[1.0; 12]).unwrap();
}
