"""Writes Keras 3 native `.keras` archives plus expected predictions and optimizer state, with real Keras.

Usage (by hand, not in CI; needs tensorflow-cpu 2.21 and keras 3.15, e.g. ~/keras-env):

    TF_CPP_MIN_LOG_LEVEL=3 ~/keras-env/bin/python tools/make_keras_archive_fixtures.py tests/fixtures/keras

Each model M gives M.keras (written by `model.save("M.keras")` after 2 epochs of training on small
deterministic synthetic data, so the optimizer slots are non-zero) and M.json:

    {"inputs": {input layer name: rows}, "outputs": {output layer name: rows},
     "optimizer": {"class_name": ..., "iterations": int,
                   "variables": [[variable path, shape, sum of values], ...]}}

for 8 probe rows: feeding `inputs` to the model must give `outputs`. `optimizer.variables` lists
`model.optimizer.variables` in order (the order of `optimizer/vars/<i>` in model.weights.h5).
Afterwards every archive is reloaded with `keras.models.load_model` and checked against its record
(predictions, iteration count, slot sums); the script exits non-zero on a mismatch.
The layout is described in tests/fixtures/keras/KERAS_ARCHIVE.md.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras"
os.makedirs(out, exist_ok=True)
L = keras.layers


def layer_name(tensor):
    return tensor._keras_history.operation.name


def dump(name, model, probe):
    model.save(os.path.join(out, name + ".keras"))
    pred = model.predict(probe, verbose=0)
    if not isinstance(pred, (list, tuple)):
        pred = [pred]
    ins = probe if isinstance(probe, (list, tuple)) else [probe]
    opt = model.optimizer
    rec = {
        "inputs": {layer_name(t): np.asarray(v).tolist() for t, v in zip(model.inputs, ins)},
        "outputs": {layer_name(t): np.asarray(p).tolist() for t, p in zip(model.outputs, pred)},
        "optimizer": {
            "class_name": type(opt).__name__,
            "iterations": int(opt.iterations.numpy()),
            "variables": [[v.path, list(v.shape), float(np.asarray(v.numpy(), dtype="float64").sum())]
                          for v in opt.variables],
        },
    }
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(rec, f)
    print("wrote", name)


def small_mlp_sgd(rng):
    m = keras.Sequential([
        L.Input(shape=[4]),
        L.Dense(8, activation="relu", name="dense"),
        L.Dense(3, activation="softmax", name="dense_1"),
    ])
    m.compile(loss="sparse_categorical_crossentropy",
              optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), metrics=["accuracy"])
    x = rng.normal(size=(64, 4)).astype("float32")
    y = ((x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)).astype("int64")
    m.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    return m, x[:8]


def wide_deep_adam(rng):
    a = L.Input(shape=[5], name="wide_input")
    b = L.Input(shape=[6], name="deep_input")
    h1 = L.Dense(30, activation="relu", name="dense_2")(b)
    h2 = L.Dense(30, activation="relu", name="dense_3")(h1)
    c = L.concatenate([a, h2], name="concatenate")
    o = L.Dense(1, name="main_output")(c)
    aux = L.Dense(1, name="aux_output")(h2)
    m = keras.Model(inputs=[a, b], outputs=[o, aux])
    m.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1],
              optimizer=keras.optimizers.Adam(learning_rate=1e-3), metrics=["mae", "mae"])
    xa = rng.normal(size=(128, 5)).astype("float32")
    xb = rng.normal(size=(128, 6)).astype("float32")
    y = (xa.sum(1) - xb[:, :3].sum(1)).astype("float32")[:, None]
    m.fit([xa, xb], [y, y], epochs=2, batch_size=32, shuffle=False, verbose=0)
    return m, [xa[:8], xb[:8]]


def residual_rmsprop(rng):
    g = L.Input(shape=[2, 3], name="grid")
    flat = L.Flatten(name="flat")(g)
    stem = L.Dense(8, activation="tanh", name="stem")(flat)
    branch = L.Dense(8, activation="relu", name="branch")(stem)
    dropped = L.Dropout(0.3, name="dropped")(branch)
    s = L.Add(name="sum")([stem, dropped])
    act = L.Activation("relu", name="activated")(s)
    probs = L.Dense(3, activation="softmax", name="probs")(act)
    m = keras.Model(inputs=g, outputs=probs)
    m.compile(loss="sparse_categorical_crossentropy",
              optimizer=keras.optimizers.RMSprop(learning_rate=1e-2, momentum=0.5, centered=True))
    x = rng.normal(size=(96, 2, 3)).astype("float32")
    y = ((x[:, 0, :].sum(1) > 0).astype("int64") + (x[:, 1, 0] > 0.5)).astype("int64")
    m.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    return m, x[:8]


def verify(name):
    """Reloads NAME.keras and checks it against NAME.json; returns (max |pred diff|, iterations)."""
    with open(os.path.join(out, name + ".json")) as f:
        rec = json.load(f)
    m = keras.models.load_model(os.path.join(out, name + ".keras"))
    ins = [np.asarray(v, dtype="float32") for v in rec["inputs"].values()]
    pred = m.predict(ins if len(ins) > 1 else ins[0], verbose=0)
    if not isinstance(pred, (list, tuple)):
        pred = [pred]
    diff = max(float(np.max(np.abs(np.asarray(p) - np.asarray(o)))) for p, o in zip(pred, rec["outputs"].values()))
    its = int(m.optimizer.iterations.numpy())
    slot_diff = max(abs(float(np.asarray(v.numpy(), dtype="float64").sum()) - s)
                    for v, (_, _, s) in zip(m.optimizer.variables, rec["optimizer"]["variables"]))
    ok = (diff <= 1e-6 and its == rec["optimizer"]["iterations"] and slot_diff <= 1e-6
          and len(m.optimizer.variables) == len(rec["optimizer"]["variables"]))
    print(f"verified {name}: max|pred diff|={diff:.3g} iterations={its} (saved {rec['optimizer']['iterations']}) "
          f"optimizer vars={len(m.optimizer.variables)} max|slot sum diff|={slot_diff:.3g} {'OK' if ok else 'MISMATCH'}")
    return ok


names = []
for name, build in [("keras3_small_mlp_sgd", small_mlp_sgd),
                    ("keras3_wide_deep_adam", wide_deep_adam),
                    ("keras3_residual_rmsprop", residual_rmsprop)]:
    keras.utils.set_random_seed(11)
    model, probe = build(np.random.default_rng(7))
    dump(name, model, probe)
    names.append(name)

if not all([verify(name) for name in names]):
    sys.exit(1)
