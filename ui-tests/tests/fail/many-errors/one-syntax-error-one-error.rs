//! A statement whose syntax is wrong is reported once and skipped: the rest of the
//! declaration is checked, and code using the model adds no error.

use densely::prelude::*;

model! {
    pub struct Net {
        input features: [8];
        hidden = Dense(30 relu);
        output value = Dense(1)(hidden), loss = mse;
    }
}

fn main() -> densely::Result<()> {
    let mut model = Net::new();
    model.compile(Adam::new(0.001), []);
    let x = Batch::<Shape1<8>>::zeros(2);
    let y = Batch::<Shape1<1>>::zeros(2);
    model.fit(&x, &y, FitOptions::default().epochs(1))?;
    let _ = &model.value;
    Ok(())
}
