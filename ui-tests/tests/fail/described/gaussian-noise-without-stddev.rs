use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(8);
        noisy = GaussianNoise();
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
