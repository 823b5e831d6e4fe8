use densely::prelude::*;

model! {
    pub struct Net {
        features = Input(shape = [8]);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
