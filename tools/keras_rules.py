"""Keras files of a model whose Dense layers have regularizers and constraints, and how Keras
trained it, for `tests/rules.rs`.

Usage (by hand, not in CI; needs tensorflow-cpu 2.21, keras 3.15 and tf_keras 2.21):

    ~/keras-env/bin/python tools/keras_rules.py tests/fixtures/keras
    ~/keras-env/bin/python tools/keras_fixture_summaries.py tests/fixtures/keras

For each Keras (Keras 3 and tf-keras 2) the `ruled` model is built with weights from a fixed
seed and compiled with SGD(0.05) and mse, then saved untrained (TAG_ruled_start.keras for
Keras 3, TAG_ruled_start.h5 for both), then trained two epochs on 64 rows in batches of 16
without shuffling. TAG_ruled_start.json records the data, the loss of each epoch (the
regularizers' penalty included) and the predictions after training for 8 probe rows.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras"


def ruled(keras):
    L, R, C = keras.layers, keras.regularizers, keras.constraints
    features = keras.Input(shape=(6,), name="features")
    first = L.Dense(
        8,
        activation="relu",
        kernel_regularizer=R.L2(0.01),
        bias_regularizer=R.L1(0.02),
        kernel_constraint=C.MaxNorm(1.5),
        name="first",
    )(features)
    second = L.Dense(
        8,
        activation="tanh",
        kernel_regularizer=R.L1L2(l1=0.001, l2=0.005),
        kernel_constraint=C.UnitNorm(),
        bias_constraint=C.NonNeg(),
        name="second",
    )(first)
    value = L.Dense(
        2,
        kernel_constraint=C.MinMaxNorm(min_value=0.5, max_value=1.0, rate=0.8),
        name="value",
    )(second)
    return keras.Model(features, value, name="ruled")


def main():
    import keras
    import tf_keras

    rng = np.random.default_rng(21)
    x = rng.uniform(-2.0, 2.0, size=(64, 6)).astype("float32")
    y = np.stack([x[:, 0] - x[:, 1], x[:, 2] * x[:, 3]], axis=1).astype("float32")
    probe = x[:8]
    failed = False
    for tag, lib in (("keras3", keras), ("keras2", tf_keras)):
        lib.utils.set_random_seed(5)
        model = ruled(lib)
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        names = ([f"{tag}_ruled_start.keras"] if tag == "keras3" else []) + [
            f"{tag}_ruled_start.h5"
        ]
        for name in names:
            model.save(os.path.join(out, name))
        start = model.predict(probe, verbose=0)
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        record = {
            "inputs": {"features": probe.tolist()},
            "start": {"value": start.tolist()},
            "train": {"x": x.tolist(), "y": y.tolist(), "batch_size": 16, "epochs": 2},
            "loss": [float(v) for v in history.history["loss"]],
            "outputs": {"value": model.predict(probe, verbose=0).tolist()},
        }
        for name in names:
            with open(os.path.join(out, os.path.splitext(name)[0] + ".json"), "w") as f:
                json.dump(record, f)
        for name in names:
            loaded = keras.models.load_model(os.path.join(out, name), compile=False)
            gap = float(np.abs(loaded.predict(probe, verbose=0) - start).max())
            print(f"{name}: reloaded by Keras {keras.__version__}, {gap:.2e} apart")
            failed |= gap > 1e-5
        print(f"{tag}: losses {record['loss']}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
