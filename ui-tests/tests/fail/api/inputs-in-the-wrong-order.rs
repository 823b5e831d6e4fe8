use densely::prelude::*;

model! {
    /// Wide & Deep: two inputs, a concatenation, a main and an auxiliary output.
    pub struct WideAndDeep {
        input wide_input: [5];
        input deep_input: [6];
        hidden1 = Dense(30, relu)(deep_input);
        hidden2 = Dense(30, relu)(hidden1);
        concat = concatenate(wide_input, hidden2);
        output main_output = Dense(1)(concat), loss = mse, weight = 0.9;
        output aux_output = Dense(1)(hidden2), loss = mse, weight = 0.1;
    }
}

fn main() {
    let mut model = WideAndDeep::new();
    let wide = Batch::<Shape1<5>>::zeros(2);
    let deep = Batch::<Shape1<6>>::zeros(2);
    // The inputs go in declaration order: wide first.
    let _ = model.predict((&deep, &wide));
}
