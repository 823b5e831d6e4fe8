use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(30, relu, bias_regularizer = l1(-0.5));
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
