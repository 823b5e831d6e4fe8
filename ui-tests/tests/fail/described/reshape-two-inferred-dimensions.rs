use densely::prelude::*;

model! {
    pub struct Net {
        input features: [12];
        grid = Reshape((-1, -1));
        flat = Flatten;
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
