"""A Keras model of every layer, merge, rule and loss argument densely reads, at once, for
`tests/everything.rs` and the files densely writes back (`tests/files_written.rs`).

Usage (by hand, not in CI; needs tensorflow-cpu 2.21, keras 3.15 and tf_keras 2.21):

    ~/keras-env/bin/python tools/keras_everything.py tests/fixtures/keras
    ~/keras-env/bin/python tools/keras_fixture_summaries.py tests/fixtures/keras

For each Keras (Keras 3 and tf-keras 2), the model `everything` is built from a fixed seed,
its Normalization adapted to the raw features, compiled with Adam and two losses with
arguments, trained one epoch, and saved (keras3_everything.keras, keras3_everything.h5,
keras2_everything.h5), with NAME.json beside each: probe rows and what Keras predicted, and
the training data.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras"


def everything(keras):
    L, R, C = keras.layers, keras.regularizers, keras.constraints
    features = keras.Input(shape=(12,), name="features")
    normalized = L.Normalization(name="normalized")(features)
    scaled = L.Rescaling(0.5, offset=0.1, name="scaled")(normalized)
    grid = L.Reshape((3, 4), name="grid")(scaled)
    sloped = L.PReLU(shared_axes=[1], name="sloped")(grid)
    normed = L.LayerNormalization(name="normed")(sloped)
    rows = L.Softmax(name="rows")(normed)
    flat = L.Flatten(name="flat")(rows)
    base = L.Dense(
        16,
        activation="relu",
        kernel_regularizer=R.L2(0.001),
        kernel_constraint=C.MaxNorm(2.0),
        name="base",
        trainable=False,
    )(scaled)
    steadied = L.BatchNormalization(momentum=0.9, name="steadied")(base)
    leaky = L.LeakyReLU(0.2, name="leaky")(steadied)
    jittered = L.GaussianNoise(0.05, name="jittered")(leaky)
    side = L.Dense(
        16,
        activation="selu",
        bias_regularizer=R.L1(0.001),
        bias_constraint=C.NonNeg(),
        name="side",
    )(flat)
    dropped = L.AlphaDropout(0.1, name="dropped")(side)
    mixed = L.GaussianDropout(0.1, name="mixed")(jittered)
    capped = L.ReLU(max_value=3.0, name="capped")(mixed)
    smooth = L.ELU(alpha=0.5, name="smooth")(dropped)
    product = L.Multiply(name="product")([capped, smooth])
    difference = L.Subtract(name="difference")([capped, smooth])
    mean = L.Average(name="mean")([product, difference])
    high = L.Maximum(name="high")([mean, capped])
    low = L.Minimum(name="low")([high, smooth])
    summed = L.Add(name="summed")([low, mean])
    joined = L.Concatenate(name="joined")([summed, flat])
    thinned = L.Dropout(0.2, name="thinned")(joined)
    squashed = L.Activation("tanh", name="squashed")(thinned)
    head = L.Dense(
        8,
        activation="relu",
        kernel_regularizer=R.L1L2(l1=0.0005, l2=0.001),
        kernel_constraint=C.UnitNorm(),
        name="head",
    )(squashed)
    logits = L.Dense(
        3, kernel_constraint=C.MinMaxNorm(0.2, 1.5, rate=0.5), name="logits"
    )(head)
    raw = L.Dense(2, name="raw")(head)
    value = L.Normalization(
        mean=[1.0, -1.0], variance=[4.0, 1.0], invert=True, name="value"
    )(raw)
    model = keras.Model(features, [logits, value], name="everything")
    losses = keras.losses
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=[
            losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
            "log_cosh",
        ],
        loss_weights=[1.0, 0.5],
    )
    return model


def data():
    rng = np.random.default_rng(31)
    x = rng.uniform(-1.0, 1.0, size=(64, 12)).astype("float32")
    raw = (x * np.linspace(1.0, 30.0, 12) + np.linspace(-5.0, 50.0, 12)).astype("float32")
    classes = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.3).astype(int)
    onehot = np.eye(3, dtype="float32")[classes]
    value = np.stack([2.0 * x[:, 2] + 1.0, x[:, 3] - 1.0], axis=1).astype("float32")
    return raw, [onehot, value]


def main():
    import keras
    import tf_keras

    x, ys = data()
    probe = x[:8]
    written = []
    for tag, lib in (("keras3", keras), ("keras2", tf_keras)):
        lib.utils.set_random_seed(5)
        model = everything(lib)
        model.get_layer("normalized").adapt(x)
        model.fit(x, ys, batch_size=16, epochs=1, shuffle=False, verbose=0)
        names = ([f"{tag}_everything.keras"] if tag == "keras3" else []) + [
            f"{tag}_everything.h5"
        ]
        predicted = model.predict(probe, verbose=0)
        for name in names:
            path = os.path.join(out, name)
            model.save(path)
            record = {
                "inputs": {"features": probe.tolist()},
                "outputs": {"logits": predicted[0].tolist(), "value": predicted[1].tolist()},
                "train": {
                    "x": {"features": x.tolist()},
                    "y": {"logits": ys[0].tolist(), "value": ys[1].tolist()},
                    "batch_size": 16,
                },
            }
            with open(os.path.splitext(path)[0] + ".json", "w") as f:
                json.dump(record, f)
            written.append((path, predicted))
    failed = False
    for path, predicted in written:
        loaded = keras.models.load_model(path, compile=False)
        again = loaded.predict(probe, verbose=0)
        gap = max(float(np.abs(a - b).max()) for a, b in zip(again, predicted))
        print(f"{path}: reloaded by Keras {keras.__version__}, predictions {gap:.2e} apart")
        failed |= gap > 1e-5
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
