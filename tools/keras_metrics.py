"""Keras's own values of every metric densely implements, on fixed data fed in two batches
(`update_state` twice, as `fit` does), into `tests/fixtures/keras/metrics.json`; the unit
tests of `runtime/src/metrics.rs` compute the same and compare.

    ~/keras-env/bin/python tools/keras_metrics.py
"""

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

rng = np.random.default_rng(3)
out = Path(__file__).resolve().parent.parent / "tests/fixtures/keras/metrics.json"


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


samples = 12
binary_pred = rng.uniform(0, 1, (samples, 1)).astype(np.float32)
binary_true = rng.integers(0, 2, (samples, 1)).astype(np.float32)
probs = softmax(rng.standard_normal((samples, 7))).astype(np.float32)
labels = rng.integers(0, 7, (samples,))
onehot = np.eye(7, dtype=np.float32)[labels]
values_pred = rng.uniform(-1, 3, (samples, 2)).astype(np.float32)
values_true = rng.uniform(0, 3, (samples, 2)).astype(np.float32)
# Several labels a sample, each unit a yes or no: where F1 and the PR curve have the most to say.
multi_pred = rng.uniform(0, 1, (samples, 4)).astype(np.float32)
multi_true = (rng.uniform(0, 1, (samples, 4)) < 0.3 + 0.4 * multi_pred).astype(np.float32)

# The metrics densely names that Keras builds from arguments rather than a name.
CONFIGURED = {
    "pr_auc": lambda: keras.metrics.AUC(curve="PR", name="pr_auc"),
    "f1_score": lambda: keras.metrics.F1Score(average="macro", threshold=0.5),
}

cases = {
    "binary": (binary_true, binary_pred, [
        "binary_accuracy", "precision", "recall", "auc", "mse", "mae",
        "root_mean_squared_error", "msle", "mape", "cosine_similarity", "pr_auc", "f1_score",
    ]),
    "categorical": (onehot, probs, [
        "categorical_accuracy", "top_k_categorical_accuracy", "precision", "recall", "auc",
        "cosine_similarity", "mse", "pr_auc", "f1_score",
    ]),
    "sparse": (labels, probs, [
        "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    ]),
    "multilabel": (multi_true, multi_pred, [
        "binary_accuracy", "precision", "recall", "auc", "pr_auc", "f1_score",
    ]),
    "values": (values_true, values_pred, [
        "mse", "mae", "mape", "msle", "root_mean_squared_error", "cosine_similarity",
    ]),
}
record = {"keras": keras.__version__}
for case, (y_true, y_pred, names) in cases.items():
    results = {}
    for name in names:
        metric = CONFIGURED[name]() if name in CONFIGURED else keras.metrics.get(name)
        half = samples // 2
        metric.update_state(y_true[:half], y_pred[:half])
        metric.update_state(y_true[half:], y_pred[half:])
        results[name] = float(metric.result())
    record[case] = {
        "y_true": np.asarray(y_true).tolist(),
        "y_pred": y_pred.tolist(),
        "results": results,
    }
out.write_text(json.dumps(record, indent=1) + "\n")
print(json.dumps({case: record[case]["results"] for case in cases}, indent=1))
