//! The book's models and the ones that exercise every layer, shared by the tests.

use densely::prelude::*;

model! {
    /// The Fashion-MNIST classifier of the book.
    pub struct FashionMlp {
        input image: [28, 28];
        flatten = Flatten;
        hidden1 = Dense(300, relu);
        hidden2 = Dense(100, relu);
        output probs = Dense(10, softmax), loss = sparse_categorical_crossentropy;
    }
}

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

model! {
    /// A residual block: `add` sums a skip connection with a transformed branch.
    pub struct Residual {
        input x: [8];
        stem = Dense(12, tanh);
        branch1 = Dense(12, elu)(stem);
        branch2 = Dense(12, swish)(branch1);
        sum = add(stem, branch2, branch1);
        activated = Activation(gelu)(sum);
        output y = Dense(3, sigmoid)(activated), loss = huber;
    }
}

model! {
    /// Several outputs with loss weights: fused and unfused losses, an output read by another
    /// layer, dropout (inactive here) and every remaining activation.
    pub struct MultiOutput {
        input features: [7];
        hidden = Dense(16, selu);
        leaky = Dense(16, leaky_relu, use_bias = false);
        soft = Dense(10, softplus)(leaky);
        dropped = Dropout(0.3)(soft);
        output classes = Dense(4, softmax)(dropped), loss = categorical_crossentropy, weight = 0.7;
        output score = Dense(1, sigmoid)(classes), loss = binary_crossentropy, weight = 0.5;
        logits = Dense(5)(hidden);
        output labels = Activation(softmax)(logits), loss = sparse_categorical_crossentropy, weight = 2.0;
        output value = Dense(2, linear)(hidden), loss = mae, weight = 0.25;
    }
}
