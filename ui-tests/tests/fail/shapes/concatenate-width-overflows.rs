use densely::prelude::*;

model! {
    pub struct Net {
        input wide: [18446744073709551615];
        input deep: [4];
        joined = concatenate(wide, deep);
        output value = Dense(1)(joined), loss = mse;
    }
}

fn main() {}
