use densely::prelude::*;

model! {
    pub struct Net {
        input grid: [18446744073709551615, 2];
        flat = Flatten;
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
