use densely::prelude::*;

model! {
    pub struct Net {
        input image: [28, 28];
        input extra: [5];
        joined = concatenate(extra, image);
        output value = Dense(1)(joined), loss = mse;
    }
}

fn main() {}
