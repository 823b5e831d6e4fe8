use densely::prelude::*;

model! {
    pub struct Net {
        input features: [784];
        hidden = Dense(300, activation = "relu", input_shape = [784]);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
