use densely::prelude::*;

model! {
    pub struct TwoInputs {
        input wide: [5];
        input deep: [5];
        joined = concatenate(wide, deep);
        output value = Dense(1)(joined), loss = mse;
    }
}

fn main() {
    let mut model = TwoInputs::new();
    let wide = Batch::<Shape1<5>>::zeros(2);
    let deep = Batch::<Shape1<5>>::zeros(2);
    // Keras takes a list; a Rust model takes its inputs as a tuple.
    let _ = model.predict([&wide, &deep]);
}
