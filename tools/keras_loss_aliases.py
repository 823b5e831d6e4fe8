"""Keras's table of loss names: every name `keras.losses.get` accepts and the function or
class it resolves to, one `name target` pair a line, into
`tests/fixtures/keras/loss_names.txt`. The macro's tests check that each name of a loss
densely implements is accepted and means the same loss.

    ~/keras-env/bin/python tools/keras_loss_aliases.py
"""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from keras.src import losses  # noqa: E402

out = Path(__file__).resolve().parent.parent / "tests/fixtures/keras/loss_names.txt"
lines = [f"# keras {keras.__version__}: keras.losses.get(name) -> its function or class"]
for name, target in sorted(losses.ALL_OBJECTS_DICT.items()):
    lines.append(f"{name} {target.__name__}")
out.write_text("\n".join(lines) + "\n")
print(f"{len(lines) - 1} names -> {out}")
