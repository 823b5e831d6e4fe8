use densely::prelude::*;

model! {
    /// A frozen base, written both ways Keras writes it: among the layer's arguments and
    /// after the statement.
    pub struct Transfer {
        input features: [4];
        base = Dense(8, relu, trainable = false);
        steadied = BatchNormalization(), trainable = false;
        output value = Dense(1), loss = mse;
    }
}

fn main() {
    let model = Transfer::new();
    assert_eq!(model.training_state().frozen(), ["base", "steadied"]);
    // base's 40 and value's 9, and the BatchNormalization's 32 of which 16 would train.
    assert_eq!(model.count_params(), 40 + 32 + 9);
    assert_eq!(model.trainable_count_params(), 9);
}
