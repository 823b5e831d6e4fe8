use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        dropped = Dropout;
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
