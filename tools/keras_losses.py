"""Keras's losses on fixed data, and Keras files of a model trained with losses that take
arguments, for the tests of `densely::loss`.

Usage (by hand, not in CI; needs tensorflow-cpu 2.21, keras 3.15 and tf_keras 2.21):

    ~/keras-env/bin/python tools/keras_losses.py tests/fixtures/keras
    ~/keras-env/bin/python tools/keras_fixture_summaries.py tests/fixtures/keras

It writes:
  - losses.json: a list of cases, each {"class", "config", "y_true", "y_pred",
    "sample_weight", "keras3", "keras2", "gradient"}: the loss Keras 3 and tf-keras compute
    with `keras.losses.CLASS(**config)(y_true, y_pred, sample_weight)`, and Keras 3's
    gradient of that loss with respect to `y_pred`;
  - keras3_objectives.keras, keras3_objectives.h5 and keras2_objectives.h5: a model with
    three outputs trained one epoch with Adam, its losses given as Keras objects
    (`CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)`, `SquaredHinge()`)
    and by name (`"poisson"`), and
    NAME.json beside each: the probe rows and Keras's predictions, and "evaluate": the data
    and the total and per-output losses `model.evaluate` reports on it.
Each file is loaded back and must evaluate the same; the script exits non-zero otherwise.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras"


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cases():
    """(class, config, y_true, y_pred, sample_weight), 4 samples each."""
    rng = np.random.default_rng(11)
    logits = rng.normal(0.0, 2.0, size=(4, 3)).astype("float32")
    probs = softmax(logits).astype("float32")
    onehot = np.eye(3, dtype="float32")[[2, 0, 1, 1]]
    soft = softmax(rng.normal(size=(4, 3))).astype("float32")
    labels = np.array([2, 0, 1, 1], dtype="float32")
    binary = np.array([[1.0], [0.0], [1.0], [0.0]], dtype="float32")
    bin_logits = rng.normal(0.0, 2.0, size=(4, 1)).astype("float32")
    bin_probs = (1.0 / (1.0 + np.exp(-bin_logits))).astype("float32")
    values = rng.normal(0.0, 1.5, size=(4, 3)).astype("float32")
    preds = (values + rng.normal(0.0, 0.8, size=(4, 3))).astype("float32")
    signs = rng.choice([-1.0, 1.0], size=(4, 3)).astype("float32")
    zero_one = (signs > 0).astype("float32")
    counts = rng.poisson(2.0, size=(4, 3)).astype("float32")
    rates = rng.uniform(0.2, 4.0, size=(4, 3)).astype("float32")
    with_zero = values.copy()
    with_zero[1, 2] = 0.0
    weights = np.array([0.5, 2.0, 0.0, 1.0], dtype="float32")
    return [
        ("SparseCategoricalCrossentropy", {}, labels, probs, None),
        ("SparseCategoricalCrossentropy", {"from_logits": True}, labels, logits, weights),
        ("CategoricalCrossentropy", {}, soft, probs, None),
        ("CategoricalCrossentropy", {"label_smoothing": 0.2}, onehot, probs, weights),
        ("CategoricalCrossentropy", {"from_logits": True}, soft, logits, None),
        (
            "CategoricalCrossentropy",
            {"from_logits": True, "label_smoothing": 0.1},
            onehot,
            logits,
            weights,
        ),
        ("BinaryCrossentropy", {}, binary, bin_probs, None),
        ("BinaryCrossentropy", {"label_smoothing": 0.3}, binary, bin_probs, weights),
        ("BinaryCrossentropy", {"from_logits": True}, binary, bin_logits, None),
        (
            "BinaryCrossentropy",
            {"from_logits": True, "label_smoothing": 0.1},
            binary,
            bin_logits,
            weights,
        ),
        ("MeanSquaredError", {}, values, preds, weights),
        ("MeanAbsoluteError", {}, values, preds, None),
        ("Huber", {}, values, preds, None),
        ("Huber", {"delta": 0.5}, values, preds, weights),
        ("Hinge", {}, zero_one, preds, None),
        ("Hinge", {}, signs, preds, weights),
        ("Hinge", {}, values, preds, None),
        ("SquaredHinge", {}, zero_one, preds, None),
        ("SquaredHinge", {}, signs, preds, weights),
        ("CategoricalHinge", {}, onehot, preds, None),
        ("CategoricalHinge", {}, onehot, preds * 0.1, weights),
        ("LogCosh", {}, values, preds, None),
        ("LogCosh", {}, values * 20.0, preds, weights),
        ("KLDivergence", {}, soft, probs, None),
        ("KLDivergence", {}, onehot, probs, weights),
        ("Poisson", {}, counts, rates, None),
        ("Poisson", {}, counts, rates, weights),
        ("MeanAbsolutePercentageError", {}, with_zero, preds, None),
        ("MeanAbsolutePercentageError", {}, values, preds, weights),
        ("MeanSquaredLogarithmicError", {}, np.abs(values), preds, None),
        ("MeanSquaredLogarithmicError", {}, rates, rates * 1.3, weights),
        ("CosineSimilarity", {}, values, preds, None),
        ("CosineSimilarity", {}, signs, preds, weights),
    ]


def loss_values():
    import keras
    import tensorflow as tf
    import tf_keras

    records = []
    for cls, config, y_true, y_pred, weights in cases():
        k3 = getattr(keras.losses, cls)(**config)
        k2 = getattr(tf_keras.losses, cls)(**config)
        pred = tf.Variable(y_pred)
        with tf.GradientTape() as tape:
            value = k3(y_true, pred, sample_weight=weights)
        gradient = tape.gradient(value, pred).numpy()
        records.append(
            {
                "class": cls,
                "config": config,
                "y_true": y_true.tolist(),
                "y_pred": y_pred.tolist(),
                "sample_weight": None if weights is None else weights.tolist(),
                "keras3": float(value),
                "keras2": float(k2(y_true, y_pred, sample_weight=weights)),
                "gradient": gradient.tolist(),
            }
        )
    path = os.path.join(out, "losses.json")
    with open(path, "w") as f:
        json.dump(records, f, indent=1)
    print(f"{len(records)} cases -> {path}")


def objectives(keras):
    L = keras.layers
    features = keras.Input(shape=(6,), name="features")
    hidden = L.Dense(12, activation="tanh", name="hidden")(features)
    logits = L.Dense(3, name="logits")(hidden)
    margin = L.Dense(2, name="margin")(hidden)
    rate = L.Dense(2, activation="softplus", name="rate")(hidden)
    model = keras.Model(features, [logits, margin, rate], name="objectives")
    losses = keras.losses
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=[
            losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
            losses.SquaredHinge(),
            "poisson",
        ],
        loss_weights=[1.0, 0.5, 0.25],
    )
    return model


def objective_data():
    rng = np.random.default_rng(12)
    x = rng.uniform(-2.0, 2.0, size=(64, 6)).astype("float32")
    classes = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)
    onehot = np.eye(3, dtype="float32")[classes]
    margin = np.sign(np.stack([x[:, 2] - x[:, 3], x[:, 4] * x[:, 5]], axis=1)).astype("float32")
    counts = np.floor(np.abs(x[:, :2]) * 2.0).astype("float32")
    return x, [onehot, margin, counts]


def objective_files():
    import keras
    import tf_keras

    x, ys = objective_data()
    written = []
    for tag, lib in (("keras3", keras), ("keras2", tf_keras)):
        lib.utils.set_random_seed(5)
        model = objectives(lib)
        model.fit(x, ys, batch_size=16, epochs=1, shuffle=False, verbose=0)
        names = ([f"{tag}_objectives.keras"] if tag == "keras3" else []) + [
            f"{tag}_objectives.h5"
        ]
        evaluated = model.evaluate(x, ys, batch_size=64, verbose=0, return_dict=True)
        for name in names:
            path = os.path.join(out, name)
            model.save(path)
            record = {
                "inputs": {"features": x[:8].tolist()},
                "outputs": dict(
                    zip(
                        ["logits", "margin", "rate"],
                        [p.tolist() for p in model.predict(x[:8], verbose=0)],
                    )
                ),
                "evaluate": {
                    "x": x.tolist(),
                    "y": [y.tolist() for y in ys],
                    "losses": {k: float(v) for k, v in evaluated.items()},
                },
            }
            with open(os.path.splitext(path)[0] + ".json", "w") as f:
                json.dump(record, f)
            written.append((path, record))
    failed = False
    for path, record in written:
        # Keras 3 can't read the `fn` key tf-keras writes into a loss's config.
        lib = tf_keras if "keras2" in path else keras
        loaded = lib.models.load_model(path)
        again = loaded.evaluate(x, ys, batch_size=64, verbose=0, return_dict=True)
        gap = abs(again["loss"] - record["evaluate"]["losses"]["loss"])
        print(f"{path}: reloaded by Keras {lib.__version__}, loss {gap:.2e} apart")
        failed |= gap > 1e-5
    return failed


def main():
    loss_values()
    sys.exit(1 if objective_files() else 0)


if __name__ == "__main__":
    main()
