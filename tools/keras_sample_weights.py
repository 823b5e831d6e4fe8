"""Keras's own figures for weighted losses: `evaluate` and `fit` with `sample_weight`,
`class_weight` and weighted validation, on small models of each loss, into
`tests/fixtures/keras/sample_weights.json`; `tests/sample_weights.rs` declares the same models,
sets the same starting weights and compares.

    ~/keras-env/bin/python tools/keras_sample_weights.py
"""

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

rng = np.random.default_rng(11)
out = Path(__file__).resolve().parent.parent / "tests/fixtures/keras/sample_weights.json"
SAMPLES = 20


def dense_model(units, activation, loss, hidden=True):
    keras.utils.set_random_seed(5)
    inputs = keras.Input(shape=(4,), name="x")
    x = keras.layers.Dense(6, activation="relu", name="hidden")(inputs) if hidden else inputs
    outputs = keras.layers.Dense(units, activation=activation, name="y")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=["accuracy"] if "entropy" in loss else ["mae"])
    return model


def two_outputs():
    keras.utils.set_random_seed(7)
    wide = keras.Input(shape=(3,), name="wide")
    deep = keras.Input(shape=(2,), name="deep")
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(deep)
    concat = keras.layers.Concatenate(name="concat")([wide, hidden])
    main = keras.layers.Dense(1, name="main")(concat)
    aux = keras.layers.Dense(1, name="aux")(hidden)
    model = keras.Model([wide, deep], [main, aux])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=["mse", "mse"], loss_weights=[0.9, 0.1])
    return model


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def run(model, x, y, evaluate=None, fit=None, batch_size=8):
    """Evaluates and trains a copy of `model` from the same weights; `evaluate` and `fit` are
    the keyword arguments of each."""
    start = [w.copy() for w in model.get_weights()]
    record = {"start": [floats(w) for w in start], "batch_size": batch_size}
    if evaluate is not None:
        record["evaluate"] = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True, **evaluate)
    if fit is not None:
        model.set_weights(start)
        history = model.fit(x, y, batch_size=batch_size, shuffle=False, verbose=0, **fit)
        record["history"] = {k: [float(v) for v in vs] for k, vs in history.history.items()}
        record["end"] = [floats(w) for w in model.get_weights()]
    return record


x = rng.standard_normal((SAMPLES, 4)).astype(np.float32)
w = rng.uniform(0, 2, SAMPLES).astype(np.float32)
w[3] = 0.0
labels = rng.integers(0, 3, SAMPLES)
onehot = np.eye(3, dtype=np.float32)[labels]
binary = rng.integers(0, 2, (SAMPLES, 1)).astype(np.float32)
values = rng.standard_normal((SAMPLES, 2)).astype(np.float32)
class_weight = {0: 0.5, 1: 3.0}  # class 2 is missing and weighs 1

cases = {
    "sparse_sample_weight": (dense_model(3, "softmax", "sparse_categorical_crossentropy"), labels,
                             {"sample_weight": w}, {"sample_weight": w, "epochs": 2}),
    "sparse_class_weight": (dense_model(3, "softmax", "sparse_categorical_crossentropy"), labels,
                            None, {"class_weight": class_weight, "epochs": 2}),
    "sparse_validation_split": (dense_model(3, "softmax", "sparse_categorical_crossentropy"), labels,
                                None, {"sample_weight": w, "validation_split": 0.25, "epochs": 2}),
    "categorical_class_weight": (dense_model(3, "softmax", "categorical_crossentropy"), onehot,
                                 {"sample_weight": w}, {"class_weight": class_weight, "epochs": 2}),
    "binary_class_weight": (dense_model(1, "sigmoid", "binary_crossentropy"), binary,
                            {"sample_weight": w}, {"class_weight": {0: 0.25, 1: 4.0}, "epochs": 2}),
    "mse_sample_weight": (dense_model(2, None, "mse", hidden=False), values,
                          {"sample_weight": w}, {"sample_weight": w, "epochs": 2}),
    "mae_sample_weight": (dense_model(2, None, "mae", hidden=False), values,
                          {"sample_weight": w}, {"sample_weight": w, "epochs": 2}),
    "huber_sample_weight": (dense_model(2, "tanh", "huber"), values,
                            {"sample_weight": w}, {"sample_weight": w, "epochs": 2}),
}

record = {
    "keras": keras.__version__,
    "x": floats(x),
    "sample_weight": floats(w),
    "labels": [int(v) for v in labels],
    "binary": floats(binary),
    "values": floats(values),
    "cases": {},
}
for name, (model, y, evaluate, fit) in cases.items():
    record["cases"][name] = run(model, x, y, evaluate, fit)

# Two outputs: a weight array for each, and one array for both. Batches of 10, since Keras on
# TensorFlow logs each output's loss as the plain mean of its batches' (the batch size is
# unknown inside its compiled step), where densely weighs each batch by its size as Keras
# weighs the total loss; with equal batches the two agree.
wide = rng.standard_normal((SAMPLES, 3)).astype(np.float32)
deep = rng.standard_normal((SAMPLES, 2)).astype(np.float32)
main = rng.standard_normal((SAMPLES, 1)).astype(np.float32)
aux = rng.standard_normal((SAMPLES, 1)).astype(np.float32)
w_aux = rng.uniform(0, 3, SAMPLES).astype(np.float32)
record["two_outputs"] = {"wide": floats(wide), "deep": floats(deep), "main": floats(main),
                         "aux": floats(aux), "aux_weight": floats(w_aux)}
record["cases"]["two_outputs_per_output"] = run(
    two_outputs(), [wide, deep], [main, aux],
    {"sample_weight": [w, w_aux]}, {"sample_weight": [w, w_aux], "epochs": 2}, batch_size=10)
record["cases"]["two_outputs_one_array"] = run(
    two_outputs(), [wide, deep], [main, aux],
    {"sample_weight": w}, {"sample_weight": w, "epochs": 1,
                           "validation_data": ([wide, deep], [main, aux], w_aux)}, batch_size=10)

out.write_text(json.dumps(record, indent=1) + "\n")
print(f"wrote {out}")
