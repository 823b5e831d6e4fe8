//! The book's models and the ones that exercise every layer, shared by the tests, with
//! their twins built at run time (`built`).

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

/// The same architectures built at run time, layer for layer and name for name: from one seed
/// they draw the declared models' weights.
pub mod built {
    use densely::dynamic::{
        activation, add, concatenate, dense, dropout, flatten, Functional, Sequential,
    };

    /// [`FashionMlp`](super::FashionMlp).
    pub fn fashion_mlp() -> Sequential {
        Sequential::new("FashionMlp")
            .input("image", &[28, 28])
            .add(flatten().named("flatten"))
            .add(dense(300).activation("relu").named("hidden1"))
            .add(dense(100).activation("relu").named("hidden2"))
            .add(dense(10).activation("softmax").named("probs"))
            .loss("sparse_categorical_crossentropy")
    }

    /// [`WideAndDeep`](super::WideAndDeep).
    pub fn wide_and_deep() -> Functional {
        let mut f = Functional::new("WideAndDeep");
        let wide = f.input("wide_input", &[5]);
        let deep = f.input("deep_input", &[6]);
        let hidden1 = f.apply(dense(30).activation("relu").named("hidden1"), &[deep]);
        let hidden2 = f.apply(dense(30).activation("relu").named("hidden2"), &[hidden1]);
        let concat = f.apply(concatenate().named("concat"), &[wide, hidden2]);
        let main = f.apply(dense(1).named("main_output"), &[concat]);
        let aux = f.apply(dense(1).named("aux_output"), &[hidden2]);
        f.output(main, "mse", 0.9).output(aux, "mse", 0.1);
        f
    }

    /// [`Residual`](super::Residual).
    pub fn residual() -> Functional {
        let mut f = Functional::new("Residual");
        let x = f.input("x", &[8]);
        let stem = f.apply(dense(12).activation("tanh").named("stem"), &[x]);
        let branch1 = f.apply(dense(12).activation("elu").named("branch1"), &[stem]);
        let branch2 = f.apply(dense(12).activation("swish").named("branch2"), &[branch1]);
        let sum = f.apply(add().named("sum"), &[stem, branch2, branch1]);
        let activated = f.apply(activation("gelu").named("activated"), &[sum]);
        let y = f.apply(dense(3).activation("sigmoid").named("y"), &[activated]);
        f.output(y, "huber", 1.0);
        f
    }

    /// [`MultiOutput`](super::MultiOutput).
    pub fn multi_output() -> Functional {
        let mut f = Functional::new("MultiOutput");
        let features = f.input("features", &[7]);
        let hidden = f.apply(dense(16).activation("selu").named("hidden"), &[features]);
        let leaky = f.apply(
            dense(16)
                .activation("leaky_relu")
                .use_bias(false)
                .named("leaky"),
            &[hidden],
        );
        let soft = f.apply(dense(10).activation("softplus").named("soft"), &[leaky]);
        let dropped = f.apply(dropout(0.3).named("dropped"), &[soft]);
        let classes = f.apply(dense(4).activation("softmax").named("classes"), &[dropped]);
        let score = f.apply(dense(1).activation("sigmoid").named("score"), &[classes]);
        let logits = f.apply(dense(5).named("logits"), &[hidden]);
        let labels = f.apply(activation("softmax").named("labels"), &[logits]);
        let value = f.apply(dense(2).activation("linear").named("value"), &[hidden]);
        f.output(classes, "categorical_crossentropy", 0.7)
            .output(score, "binary_crossentropy", 0.5)
            .output(labels, "sparse_categorical_crossentropy", 2.0)
            .output(value, "mae", 0.25);
        f
    }
}
