"""Records what Keras 3 prints for `model.summary()` of each model file in a folder (`.h5`
and `.keras`; weights files skipped) as `NAME.summary.txt` beside it, which
`tests/files_keras.rs`, `tests/files_keras_archive.rs` and `tests/files_written.rs` compare
with `densely::load_model(...).summary()` in CI.

Usage (by hand, not in CI; needs keras 3 with tensorflow-cpu):

    ~/keras-env/bin/python tools/keras_fixture_summaries.py tests/fixtures/keras
    ~/keras-env/bin/python tools/keras_fixture_summaries.py tests/fixtures/densely_written
"""
import glob
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Keras narrows the table to the terminal's width less 4; densely prints Keras's default width,
# which a terminal this wide leaves alone.
os.environ["COLUMNS"] = "200"
import keras  # noqa: E402

folder = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras"
paths = glob.glob(os.path.join(folder, "*.h5")) + glob.glob(os.path.join(folder, "*.keras"))
for path in sorted(paths):
    if "weights" in os.path.basename(path):
        continue
    model = keras.models.load_model(path, compile=False)
    pieces = []
    model.summary(print_fn=lambda text, line_break=True: pieces.append(text))
    text = "\n".join(pieces)
    if not text.endswith("\n"):
        text += "\n"
    out = os.path.splitext(path)[0] + ".summary.txt"
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{out}: Keras {keras.__version__}, {len(text.splitlines())} lines")
