use densely::prelude::*;

model! {
    pub struct Net {
        input deep: [6];
        hidden = Dense(deep)(30, relu);
        output value = Dense(1)(hidden), loss = mse;
    }
}

fn main() {}
