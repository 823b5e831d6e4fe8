"""The yardstick: the book's Fashion-MNIST MLP in Keras (TensorFlow CPU), timed per epoch.
Usage: python keras_mlp.py [epochs] [batch_size]
Prints one JSON line per epoch and a summary line."""
import gzip, json, os, sys, time
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf
from tensorflow import keras

D = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
def idx(name):
    with gzip.open(os.path.join(D, name)) as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4*i: 8 + 4*i], "big") for i in range(nd)]
    return np.frombuffer(data, np.uint8, offset=4 + 4*nd).reshape(dims)

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
bs = int(sys.argv[2]) if len(sys.argv) > 2 else 32
X_full, y_full = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
X_test, y_test = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")
X_valid, X_train = X_full[:5000] / 255.0, X_full[5000:] / 255.0
y_valid, y_train = y_full[:5000], y_full[5000:]
X_test = X_test / 255.0
tf.random.set_seed(42)
model = keras.models.Sequential([
    keras.layers.Input(shape=[28, 28]),
    keras.layers.Flatten(),
    keras.layers.Dense(300, activation="relu"),
    keras.layers.Dense(100, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, e, logs=None):
        print(json.dumps({"epoch": e, "seconds": round(time.perf_counter() - self.t, 3), **{k: round(float(v), 4) for k, v in logs.items()}}), flush=True)
t0 = time.perf_counter()
h = model.fit(X_train, y_train, epochs=epochs, batch_size=bs, validation_data=(X_valid, y_valid), verbose=0, callbacks=[T()])
fit_s = time.perf_counter() - t0
loss, acc = model.evaluate(X_test, y_test, verbose=0)
t1 = time.perf_counter(); model.predict(X_test, batch_size=1000, verbose=0); pred_s = time.perf_counter() - t1
print(json.dumps({"summary": True, "tf": tf.__version__, "keras": keras.__version__, "epochs": epochs, "batch_size": bs, "fit_seconds": round(fit_s, 3), "test_accuracy": round(acc, 4), "predict_10k_seconds": round(pred_s, 4)}))
