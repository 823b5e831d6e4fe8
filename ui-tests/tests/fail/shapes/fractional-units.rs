use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(300.0, relu);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
