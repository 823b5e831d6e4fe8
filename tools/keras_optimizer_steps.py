"""Writes what Keras's optimizers do to two weight tensors over three steps, the reference of
runtime/tests/optimizers.rs. Needs `pip install tensorflow-cpu==2.21.0`; run by hand, not by CI:

    python3 tools/keras_optimizer_steps.py > runtime/tests/fixtures/keras_optimizer_steps.json
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras

START = [[0.5, -1.0, 2.0, 0.0], [1.5, -0.5]]
GRADS = [
    [[0.1, -0.2, 0.3, 0.0], [0.4, 0.0]],
    [[1.0, 0.5, -0.25, 2.0], [-0.6, 0.2]],
    [[-0.3, 0.3, 0.1, -1.0], [0.05, -2.0]],
]

CASES = {
    "sgd": lambda: keras.optimizers.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "sgd_nesterov": lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(learning_rate=0.1),
    "adam_amsgrad": lambda: keras.optimizers.Adam(learning_rate=0.1, amsgrad=True),
    "adamw": lambda: keras.optimizers.AdamW(learning_rate=0.1),
    "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=0.1),
    "rmsprop_centered_momentum": lambda: keras.optimizers.RMSprop(learning_rate=0.1, momentum=0.5, centered=True),
    "adagrad": lambda: keras.optimizers.Adagrad(learning_rate=0.1),
    "nadam": lambda: keras.optimizers.Nadam(learning_rate=0.1),
    "sgd_clipnorm": lambda: keras.optimizers.SGD(learning_rate=0.1, clipnorm=0.5),
    "sgd_clipvalue": lambda: keras.optimizers.SGD(learning_rate=0.1, clipvalue=0.25),
    "sgd_global_clipnorm": lambda: keras.optimizers.SGD(learning_rate=0.1, global_clipnorm=0.5),
}

cases = {}
for name, make in CASES.items():
    optimizer = make()
    variables = [keras.Variable(np.array(start, dtype="float32")) for start in START]
    steps = []
    for grads in GRADS:
        optimizer.apply([np.array(g, dtype="float32") for g in grads], variables)
        steps.append([[float(v) for v in np.array(variable)] for variable in variables])
    cases[name] = steps
print(json.dumps({"keras": keras.__version__, "start": START, "grads": GRADS, "cases": cases}))
