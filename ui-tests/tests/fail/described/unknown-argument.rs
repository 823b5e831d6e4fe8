use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(8);
        capped = ReLU(max_valu = 6.0);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
