use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(30, relu, kernel_regularizer = l3(0.01));
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
