use densely::prelude::*;

model! {
    pub struct WideAndDeep {
        input wide_input: [5];
        input deep_input: [6];
        hidden = Dense(30, relu)(deep_input);
        joined = concatenate(wide_input, hidden);
        output value = Dense(1)(joined), loss = mse;
    }
}

fn main() {
    let wide = Batch::<Shape1<5>>::zeros(2);
    let deep = Batch::<Shape1<6>>::zeros(2);
    let y = Labels::<2>::new(vec![0, 1]).unwrap();
    // Validation data is a whole set of inputs and of targets: both inputs, and values for mse.
    let _ = FitOptions::<WideAndDeep>::default().validation_data(&deep, &y);
}
