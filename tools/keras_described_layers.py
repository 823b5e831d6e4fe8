"""Writes Keras files of the `Toolbox` and `Noisy` models of `tests/common/toolbox.rs` (every
layer kind densely describes in `densely::spec`) with real Keras, and what Keras predicted
with them.

Usage (by hand, not in CI; needs tensorflow-cpu 2.21, keras 3.15 and tf_keras 2.21):

    ~/keras-env/bin/python tools/keras_described_layers.py tests/fixtures/keras [MODEL ...]
    ~/keras-env/bin/python tools/keras_fixture_summaries.py tests/fixtures/keras

For each Keras (Keras 3 and tf-keras 2) the same architecture is built with the same layer
names, its weights drawn from a fixed seed, compiled with Adam(1e-2) and mse, and trained two
epochs on 64 deterministic rows in batches of 16, so the files hold Adam's slots. It writes:
  - keras3_toolbox.keras (Keras 3's archive), keras3_toolbox.h5 (Keras 3's legacy HDF5) and
    keras2_toolbox.h5 (tf-keras), and the same three of `noisy` and of `transfer` (a frozen
    Dense layer and BatchNormalization under a head that trains), on the first 6 features,
    and of `preprocessed` (a Normalization adapted to raw features in front, and one given
    its mean and variance that inverts the output);
  - NAME.json beside each: {"inputs": {"features": rows}, "outputs": {"value": rows}} for 8
    probe rows, {"train": {"x": rows, "y": rows, "batch_size": 16}}, "keras_layers", the
    names of Keras's `model.layers` in order, and "frozen", those not trainable;
Each file is loaded back and must predict the same; the script exits non-zero otherwise.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras"
# Further arguments name the models to write (`preprocessed`); all of them without.
only = sys.argv[2:]


def toolbox(keras):
    L = keras.layers
    features = keras.Input(shape=(12,), name="features")
    scaled = L.Rescaling(0.5, offset=-0.25, name="scaled")(features)
    grid = L.Reshape((3, -1), name="grid")(scaled)
    sloped = L.PReLU(shared_axes=[1], name="sloped")(grid)
    normed = L.LayerNormalization(center=False, name="normed")(sloped)
    rows = L.Softmax(name="rows")(normed)
    flat = L.Flatten(name="flat")(rows)
    a = L.Dense(8, name="a")(scaled)
    steadied = L.BatchNormalization(momentum=0.9, name="steadied")(a)
    leaky = L.LeakyReLU(0.2, name="leaky")(steadied)
    b = L.Dense(8, name="b")(flat)
    capped = L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.05, name="capped")(b)
    c = L.Dense(8, name="c")(scaled)
    learned = L.PReLU(name="learned")(c)
    smooth = L.ELU(alpha=0.7, name="smooth")(learned)
    product = L.Multiply(name="product")([leaky, capped])
    difference = L.Subtract(name="difference")([smooth, capped])
    mean = L.Average(name="mean")([product, difference, leaky])
    high = L.Maximum(name="high")([mean, smooth])
    low = L.Minimum(name="low")([high, product, leaky])
    settled = L.LayerNormalization(epsilon=0.01, name="settled")(low)
    value = L.Dense(2, name="value")(settled)
    return keras.Model(features, value, name="toolbox")


def noisy(keras):
    L = keras.layers
    features = keras.Input(shape=(6,), name="features")
    hidden = L.Dense(16, activation="selu", name="hidden")(features)
    jittered = L.GaussianNoise(0.1, name="jittered")(hidden)
    scaled = L.GaussianDropout(0.2, name="scaled")(jittered)
    deep = L.Dense(16, activation="selu", name="deep")(scaled)
    dropped = L.AlphaDropout(0.1, name="dropped")(deep)
    value = L.Dense(2, name="value")(dropped)
    return keras.Model(features, value, name="noisy")


def transfer(keras):
    L = keras.layers
    features = keras.Input(shape=(6,), name="features")
    base = L.Dense(8, activation="relu", name="base", trainable=False)(features)
    steadied = L.BatchNormalization(name="steadied", trainable=False)(base)
    head = L.Dense(4, activation="relu", name="head")(steadied)
    value = L.Dense(2, name="value")(head)
    return keras.Model(features, value, name="transfer")


def preprocessed(keras):
    L = keras.layers
    features = keras.Input(shape=(6,), name="features")
    normalized = L.Normalization(name="normalized")(features)
    hidden = L.Dense(8, activation="relu", name="hidden")(normalized)
    raw = L.Dense(2, name="raw")(hidden)
    value = L.Normalization(
        mean=[1.0, -2.0], variance=[4.0, 0.25], invert=True, name="value"
    )(raw)
    return keras.Model(features, value, name="preprocessed")


def raw_features(x):
    """Features far from mean 0 and variance 1, for Normalization to adapt to."""
    return (x[:, :6] * np.array([1.0, 10.0, 0.1, 3.0, 1.0, 50.0]) + np.array(
        [5.0, -20.0, 0.0, 100.0, 1.0, 7.0]
    )).astype("float32")


def data():
    rng = np.random.default_rng(7)
    x = rng.uniform(-3.0, 3.0, size=(64, 12)).astype("float32")
    y = np.stack([x[:, :6].mean(axis=1), (x[:, 6:] ** 2).sum(axis=1) / 12.0], axis=1)
    return x, y.astype("float32")


def main():
    import keras
    import tf_keras

    x, y = data()
    written = []
    for tag, lib, stem, build in (
        ("keras3", keras, "toolbox", toolbox),
        ("keras2", tf_keras, "toolbox", toolbox),
        ("keras3", keras, "noisy", noisy),
        ("keras2", tf_keras, "noisy", noisy),
        ("keras3", keras, "transfer", transfer),
        ("keras2", tf_keras, "transfer", transfer),
        ("keras3", keras, "preprocessed", preprocessed),
        ("keras2", tf_keras, "preprocessed", preprocessed),
    ):
        if only and stem not in only:
            continue
        x_model = x if stem == "toolbox" else x[:, :6]
        if stem == "preprocessed":
            x_model = raw_features(x)
        probe = x_model[:8]
        lib.utils.set_random_seed(5)
        model = build(lib)
        if stem == "preprocessed":
            model.get_layer("normalized").adapt(x_model)
        model.compile(optimizer=lib.optimizers.Adam(1e-2), loss="mse")
        model.fit(x_model, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        # The archive first: Keras 3 drops the optimizer from the compile config it keeps
        # once it has saved a legacy .h5 file.
        names = ([f"{tag}_{stem}.keras"] if tag == "keras3" else []) + [f"{tag}_{stem}.h5"]
        for name in names:
            path = os.path.join(out, name)
            model.save(path)
            record = {
                "inputs": {"features": probe.tolist()},
                "outputs": {"value": model.predict(probe, verbose=0).tolist()},
                "train": {"x": x_model.tolist(), "y": y.tolist(), "batch_size": 16},
                # Keras's `model.layers` order, which pairs a file's weights with layers.
                "keras_layers": [layer.name for layer in model.layers],
                "frozen": [layer.name for layer in model.layers if not layer.trainable],
            }
            base = os.path.splitext(path)[0]
            with open(base + ".json", "w") as f:
                json.dump(record, f)
            written.append((path, record))
    failed = False
    for path, record in written:
        loaded = keras.models.load_model(path, compile=False)
        again = loaded.predict(np.asarray(record["inputs"]["features"]), verbose=0)
        gap = float(np.abs(again - np.asarray(record["outputs"]["value"])).max())
        print(f"{path}: reloaded by Keras {keras.__version__}, predictions {gap:.2e} apart")
        failed |= gap > 1e-5
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
