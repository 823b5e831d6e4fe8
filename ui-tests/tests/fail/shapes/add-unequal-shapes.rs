use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        a = Dense(30, relu)(features);
        b = Dense(20, relu)(features);
        sum = add(a, b);
        output value = Dense(1)(sum), loss = mse;
    }
}

fn main() {}
