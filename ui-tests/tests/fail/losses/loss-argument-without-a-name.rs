use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        output value = Dense(2), loss = huber(delta.0 = 2.0);
    }
}

fn main() {}
