use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        dropped = Dropout(1.5);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
