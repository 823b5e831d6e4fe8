"""Where Keras 3 splits `validation_split` off the training data, for many sizes and fractions.

Calls Keras's own `train_validation_split` (what `fit(validation_split=...)` uses) and records,
for each pair, the number of samples that train, or that Keras refuses the split.

    ~/keras-env/bin/python tools/keras_validation_split.py > tests/fixtures/keras_validation_split.json
"""

import json

import keras
import numpy as np
from keras.src.trainers.data_adapters.array_slicing import train_validation_split

SIZES = list(range(1, 21)) + [30, 33, 50, 99, 100, 101, 999, 1000, 55000, 60000]
FRACTIONS = [0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 1 / 3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9,
             0.95, 0.99, 0.999]

cases = []
for size in SIZES:
    for fraction in FRACTIONS:
        try:
            train, _ = train_validation_split((np.arange(size),), validation_split=fraction)
            cases.append({"samples": size, "validation_split": fraction, "train": len(train[0])})
        except ValueError:
            cases.append({"samples": size, "validation_split": fraction, "train": None})
lines = ",\n".join("  " + json.dumps(case) for case in cases)
print(f'{{"keras": "{keras.__version__}", "cases": [\n{lines}\n]}}')
