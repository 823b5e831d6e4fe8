use densely::prelude::*;

model! {
    pub struct Net {
        input wide: [5];
        input deep: [6];
        joined = concatenate([wide, deep]);
        output value = Dense(1)(joined), loss = mse;
    }
}

fn main() {}
