use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output value = Dense(2), loss = mse(from_logits = true);
    }
}

fn main() {}
