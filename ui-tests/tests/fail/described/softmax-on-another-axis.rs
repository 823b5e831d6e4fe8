use densely::prelude::*;

model! {
    pub struct Net {
        input features: [12];
        hidden = Dense(4);
        probs = Softmax(axis = 1);
        output value = Dense(1), loss = mse;
    }
}

fn main() {}
