use densely::prelude::*;

model! {
    pub struct Net {
        input grid: [3, 4];
        steadied = BatchNormalization(axis = 1);
        flat = Flatten;
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
