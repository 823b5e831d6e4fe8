use densely::prelude::*;

model! {
    pub struct Net {
        input wide: [3];
        input deep: [2, 3];
        flat = Flatten(deep);
        joined = concatenate(wide, flat);
        output y = Dense(1)(joined), loss = mse;
    }
}

fn main() {}
