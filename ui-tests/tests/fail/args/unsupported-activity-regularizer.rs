use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(30, relu, activity_regularizer = l2);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
