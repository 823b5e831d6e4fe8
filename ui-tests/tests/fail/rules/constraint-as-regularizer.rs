use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(30, relu, kernel_regularizer = max_norm(2.0));
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
