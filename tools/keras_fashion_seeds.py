"""Keras's spread on the book's recipe: val_accuracy after 1 and 3 epochs for several seeds, the
reference of tests/fashion_mnist_accuracy.rs. Run by hand, not by CI:

    ~/keras-env/bin/python tools/keras_fashion_seeds.py 5
"""
import gzip, json, os, sys
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
from tensorflow import keras

D = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
def idx(name):
    with gzip.open(os.path.join(D, name)) as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4*i: 8 + 4*i], "big") for i in range(nd)]
    return np.frombuffer(data, np.uint8, offset=4 + 4*nd).reshape(dims)

seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
X_full, y_full = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
X_valid, X_train = X_full[:5000] / 255.0, X_full[5000:] / 255.0
y_valid, y_train = y_full[:5000], y_full[5000:]
runs = []
for seed in range(seeds):
    keras.utils.set_random_seed(seed)
    model = keras.models.Sequential([
        keras.layers.Input(shape=[28, 28]),
        keras.layers.Flatten(),
        keras.layers.Dense(300, activation="relu"),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    h = model.fit(X_train, y_train, epochs=3, validation_data=(X_valid, y_valid), verbose=0)
    runs.append([round(v, 4) for v in h.history["val_accuracy"]])
    print(json.dumps({"seed": seed, "val_accuracy": runs[-1]}), flush=True)
mean = np.mean(runs, axis=0)
print(json.dumps({"keras": keras.__version__, "seeds": seeds, "mean_val_accuracy": [round(float(m), 4) for m in mean]}))
