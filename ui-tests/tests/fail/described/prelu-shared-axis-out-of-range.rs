use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(8);
        slopes = PReLU(shared_axes = (2,));
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
