//! A model whose outputs train on losses with Keras's arguments, as
//! `tools/keras_losses.py` builds it in Keras.

use densely::model;

model! {
    /// Three outputs, each with its own loss: categorical cross-entropy from logits with
    /// label smoothing, the squared hinge and the Poisson loss.
    pub struct Objectives {
        input features: [6];
        hidden = Dense(12, tanh);
        output logits = Dense(3)(hidden),
            loss = categorical_crossentropy(from_logits = true, label_smoothing = 0.1);
        output margin = Dense(2)(hidden), loss = squared_hinge, weight = 0.5;
        output rate = Dense(2, softplus)(hidden), loss = poisson, weight = 0.25;
    }
}
