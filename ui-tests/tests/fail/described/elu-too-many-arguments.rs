use densely::prelude::*;

model! {
    pub struct Net {
        input features: [12];
        hidden = Dense(4);
        smooth = ELU(1.0, 2.0);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
