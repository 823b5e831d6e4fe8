//! Losses take every name Keras's `keras.losses.get` knows them by (checked against Keras by
//! `tools/keras_loss_aliases.py`); the model records the canonical name.

use densely::prelude::*;

model! {
    pub struct Aliases {
        input x: [4];
        hidden = Dense(8, relu);
        output a = Dense(2)(hidden), loss = mean_squared_error;
        output b = Dense(2)(hidden), loss = MSE;
        output c = Dense(2)(hidden), loss = MeanAbsoluteError;
        output d = Dense(2)(hidden), loss = "MAE";
        output e = Dense(1, sigmoid)(hidden), loss = bce;
        output f = Dense(3, softmax)(hidden), loss = SparseCategoricalCrossentropy;
        output g = Dense(3, softmax)(hidden), loss = CategoricalCrossentropy;
        output h = Dense(2)(hidden), loss = Huber;
        output i = Dense(3, softmax)(hidden), loss = kld;
        output j = Dense(2)(hidden), loss = MAPE;
        output k = Dense(2)(hidden), loss = mean_squared_logarithmic_error;
        output l = Dense(2)(hidden), loss = LogCosh;
        output m = Dense(2)(hidden), loss = CosineSimilarity;
    }
}

fn main() {
    let losses: Vec<&str> = Aliases::GRAPH
        .outputs
        .iter()
        .map(|o| o.loss.as_ref().map_or("none", |loss| loss.name()))
        .collect();
    assert_eq!(
        losses,
        [
            "mse",
            "mse",
            "mae",
            "mae",
            "binary_crossentropy",
            "sparse_categorical_crossentropy",
            "categorical_crossentropy",
            "huber",
            "kl_divergence",
            "mape",
            "msle",
            "log_cosh",
            "cosine_similarity"
        ]
    );
}
