model! {
    /// The Functional model `everything` of `keras2_everything.h5` (Keras 2.21.0).
    pub struct Everything {
        input features: [12];
        normalized = Normalization()(features);
        scaled = Rescaling(scale = 0.5, offset = 0.1)(normalized);
        grid = Reshape(target_shape = (3, 4))(scaled);
        sloped = PReLU(shared_axes = (1,))(grid);
        base = Dense(16, relu, kernel_regularizer = l2(l2 = 0.001), kernel_constraint = max_norm())(scaled), trainable = false;
        normed = LayerNormalization()(sloped);
        steadied = BatchNormalization(momentum = 0.9)(base);
        rows = Softmax()(normed);
        leaky = LeakyReLU(negative_slope = 0.2)(steadied);
        flat = Flatten()(rows);
        jittered = GaussianNoise(stddev = 0.05)(leaky);
        side = Dense(16, selu, bias_regularizer = l1(l1 = 0.001), bias_constraint = non_neg())(flat);
        mixed = GaussianDropout(rate = 0.1)(jittered);
        dropped = AlphaDropout(rate = 0.1)(side);
        capped = ReLU(max_value = 3.0)(mixed);
        smooth = ELU(alpha = 0.5)(dropped);
        product = multiply(capped, smooth);
        difference = subtract(capped, smooth);
        mean = average(product, difference);
        high = maximum(mean, capped);
        low = minimum(high, smooth);
        summed = add(low, mean);
        joined = concatenate(summed, flat);
        thinned = Dropout(0.2)(joined);
        squashed = Activation(tanh)(thinned);
        head = Dense(8, relu, kernel_regularizer = l1_l2(l1 = 0.0005, l2 = 0.001), kernel_constraint = unit_norm())(squashed);
        raw = Dense(2)(head);
        output logits = Dense(3, kernel_constraint = min_max_norm(min_value = 0.2, max_value = 1.5, rate = 0.5))(head), loss = categorical_crossentropy(from_logits = true, label_smoothing = 0.1);
        output value = Normalization(mean = [1.0, -1.0], variance = [4.0, 1.0], invert = true)(raw), loss = log_cosh, weight = 0.5;
    }
}
