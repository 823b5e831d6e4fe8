use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(30, relu)(features);
        unused = Dense(30, relu)(hidden);
        output value = Dense(1)(hidden), loss = mse;
    }
}

fn main() {}
