"""Records what Keras 3 prints for `model.summary()` of each Keras fixture, as
`NAME.summary.txt` beside it (weights files skipped), which `tests/files_keras.rs` and
`tests/files_written.rs` compare with
`densely::load_model(...).summary()` in CI.

Usage (by hand, not in CI; needs keras 3 with tensorflow-cpu):

    ~/keras-env/bin/python tools/keras_fixture_summaries.py tests/fixtures/keras
    ~/keras-env/bin/python tools/keras_fixture_summaries.py tests/fixtures/densely_written
"""
import glob
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

folder = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/keras"
for path in sorted(glob.glob(os.path.join(folder, "*.h5"))):
    if "weights" in os.path.basename(path):
        continue
    model = keras.models.load_model(path, compile=False)
    pieces = []
    model.summary(print_fn=lambda text, line_break=True: pieces.append(text))
    text = "\n".join(pieces)
    if not text.endswith("\n"):
        text += "\n"
    out = path[: -len(".h5")] + ".summary.txt"
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{out}: Keras {keras.__version__}, {len(text.splitlines())} lines")
