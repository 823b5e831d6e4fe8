use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        a = Dense(4, relu)(b);
        b = Dense(4, relu)(a);
        output value = Dense(1)(b), loss = mse;
    }
}

fn main() {}
