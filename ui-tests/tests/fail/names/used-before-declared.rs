use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden1 = Dense(30, relu)(features);
        output value = Dense(1)(hidden2), loss = mse;
        hidden2 = Dense(30, relu)(hidden1);
    }
}

fn main() {}
