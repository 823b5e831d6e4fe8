use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(8);
        normed = LayerNormalization(center = 0);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
