use densely::prelude::*;

model! {
    pub struct Net<T> {
        input features: [8];
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
