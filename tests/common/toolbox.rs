//! A model with every layer kind described in `densely::spec`, declared with `model!` and
//! built at run time, layer for layer: what the tests of those kinds train, check and save.

use densely::dynamic::{dense, flatten, layer, Functional};
use densely::model;

model! {
    /// Rescaling, Reshape, PReLU with shared and unshared slopes, LayerNormalization with and
    /// without `beta`, BatchNormalization, Softmax, LeakyReLU, ReLU with its three arguments, ELU, and the five
    /// merges, on 12 features, regressing 2 values.
    pub struct Toolbox {
        input features: [12];
        scaled = Rescaling(0.5, offset = -0.25);
        grid = Reshape((3, -1))(scaled);
        sloped = PReLU(shared_axes = (1,))(grid);
        normed = LayerNormalization(center = false)(sloped);
        rows = Softmax()(normed);
        flat = Flatten()(rows);
        a = Dense(8)(scaled);
        steadied = BatchNormalization(momentum = 0.9)(a);
        leaky = LeakyReLU(0.2)(steadied);
        b = Dense(8)(flat);
        capped = ReLU(max_value = 1.5, negative_slope = 0.1, threshold = 0.05)(b);
        c = Dense(8)(scaled);
        learned = PReLU()(c);
        smooth = ELU(alpha = 0.7)(learned);
        product = multiply(leaky, capped);
        difference = subtract(smooth, capped);
        mean = average(product, difference, leaky);
        high = maximum(mean, smooth);
        low = minimum(high, product, leaky);
        settled = LayerNormalization(epsilon = 0.01)(low);
        output value = Dense(2)(settled), loss = mse;
    }
}

/// [`Toolbox`], built at run time.
pub fn built() -> Functional {
    let mut f = Functional::new("Toolbox");
    let features = f.input("features", &[12]);
    let scaled = f.apply(
        layer("Rescaling")
            .with("scale", 0.5)
            .with("offset", -0.25)
            .named("scaled"),
        &[features],
    );
    let grid = f.apply(
        layer("Reshape").with("target_shape", [3, -1]).named("grid"),
        &[scaled],
    );
    let sloped = f.apply(
        layer("PReLU").with("shared_axes", [1]).named("sloped"),
        &[grid],
    );
    let normed = f.apply(
        layer("LayerNormalization")
            .with("center", false)
            .named("normed"),
        &[sloped],
    );
    let rows = f.apply(layer("Softmax").named("rows"), &[normed]);
    let flat = f.apply(flatten().named("flat"), &[rows]);
    let a = f.apply(dense(8).named("a"), &[scaled]);
    let steadied = f.apply(
        layer("BatchNormalization")
            .with("momentum", 0.9)
            .named("steadied"),
        &[a],
    );
    let leaky = f.apply(
        layer("LeakyReLU")
            .with("negative_slope", 0.2)
            .named("leaky"),
        &[steadied],
    );
    let b = f.apply(dense(8).named("b"), &[flat]);
    let capped = f.apply(
        layer("ReLU")
            .with("max_value", 1.5)
            .with("negative_slope", 0.1)
            .with("threshold", 0.05)
            .named("capped"),
        &[b],
    );
    let c = f.apply(dense(8).named("c"), &[scaled]);
    let learned = f.apply(layer("PReLU").named("learned"), &[c]);
    let smooth = f.apply(layer("ELU").with("alpha", 0.7).named("smooth"), &[learned]);
    let product = f.apply(layer("Multiply").named("product"), &[leaky, capped]);
    let difference = f.apply(layer("Subtract").named("difference"), &[smooth, capped]);
    let mean = f.apply(
        layer("Average").named("mean"),
        &[product, difference, leaky],
    );
    let high = f.apply(layer("Maximum").named("high"), &[mean, smooth]);
    let low = f.apply(layer("Minimum").named("low"), &[high, product, leaky]);
    let settled = f.apply(
        layer("LayerNormalization")
            .with("epsilon", 0.01)
            .named("settled"),
        &[low],
    );
    let value = f.apply(dense(2).named("value"), &[settled]);
    f.output(value, "mse", 1.0);
    f
}

model! {
    /// The noise layers, active while training only: GaussianNoise, GaussianDropout and
    /// AlphaDropout in a SELU network.
    pub struct Noisy {
        input features: [6];
        hidden = Dense(16, selu);
        jittered = GaussianNoise(0.1);
        scaled = GaussianDropout(0.2);
        deep = Dense(16, selu);
        dropped = AlphaDropout(0.1);
        output value = Dense(2), loss = mse;
    }
}

/// [`Noisy`], built at run time.
pub fn noisy() -> densely::dynamic::Sequential {
    densely::dynamic::Sequential::new("Noisy")
        .input("features", &[6])
        .add(dense(16).activation("selu").named("hidden"))
        .add(layer("GaussianNoise").with("stddev", 0.1).named("jittered"))
        .add(layer("GaussianDropout").with("rate", 0.2).named("scaled"))
        .add(dense(16).activation("selu").named("deep"))
        .add(layer("AlphaDropout").with("rate", 0.1).named("dropped"))
        .add(dense(2).named("value"))
        .loss("mse")
}

model! {
    /// A frozen base (a Dense layer and a BatchNormalization) under a head that trains.
    pub struct Transfer {
        input features: [6];
        base = Dense(8, relu), trainable = false;
        steadied = BatchNormalization(trainable = false);
        head = Dense(4, relu);
        output value = Dense(2), loss = mse;
    }
}

/// [`Transfer`], built at run time.
pub fn transfer() -> densely::dynamic::Sequential {
    densely::dynamic::Sequential::new("Transfer")
        .input("features", &[6])
        .add(dense(8).activation("relu").named("base").trainable(false))
        .add(
            layer("BatchNormalization")
                .named("steadied")
                .trainable(false),
        )
        .add(dense(4).activation("relu").named("head"))
        .add(dense(2).named("value"))
        .loss("mse")
}

model! {
    /// Raw features into a Normalization that `adapt` fits to them, and an output that a
    /// Normalization given its moments maps back to the targets' scale.
    pub struct Preprocessed {
        input features: [6];
        normalized = Normalization();
        hidden = Dense(8, relu);
        raw = Dense(2);
        output value = Normalization(mean = [1.0, -2.0], variance = [4.0, 0.25], invert = true),
            loss = mse;
    }
}

/// [`Preprocessed`], built at run time.
pub fn preprocessed() -> densely::dynamic::Sequential {
    densely::dynamic::Sequential::new("Preprocessed")
        .input("features", &[6])
        .add(layer("Normalization").named("normalized"))
        .add(dense(8).activation("relu").named("hidden"))
        .add(dense(2).named("raw"))
        .add(
            layer("Normalization")
                .with("mean", [1.0, -2.0])
                .with("variance", [4.0, 0.25])
                .with("invert", true)
                .named("value"),
        )
        .loss("mse")
}
