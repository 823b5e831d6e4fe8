"""A Keras 3 model whose layer names are not Rust identifiers (`input-1`, `t-anh`,
`dense.2`, `probs-out`), saved as `tests/fixtures/keras/keras3_named_layers.h5` with what
it predicts for probe inputs in `keras3_named_layers.json`; `tests/keras_names.rs` loads it
into a struct that declares those names with `name = "..."`.

    ~/keras-env/bin/python tools/keras_named_layers.py
"""

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

keras.utils.set_random_seed(11)
folder = Path(__file__).resolve().parent.parent / "tests/fixtures/keras"
inputs = keras.Input(shape=(4,), name="input-1")
x = keras.layers.Dense(6, activation="tanh", name="t-anh")(inputs)
x = keras.layers.Dense(5, activation="relu", name="dense.2")(x)
outputs = keras.layers.Dense(3, activation="softmax", name="probs-out")(x)
model = keras.Model(inputs, outputs, name="named_layers")
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
model.save(folder / "keras3_named_layers.h5")
probe = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(3, 4)
record = {
    "inputs": {"input-1": probe.tolist()},
    "outputs": {"probs-out": model.predict(probe, verbose=0).tolist()},
}
(folder / "keras3_named_layers.json").write_text(json.dumps(record, indent=1) + "\n")
print([layer.name for layer in model.layers])
