use densely::prelude::*;

model! {
    pub struct Net {
        input image: [28, 28];
        output dropped = Dropout(0.2), loss = mse;
    }
}

fn main() {}
