"""Loads the .h5 files and .keras archives densely wrote in real Keras 3 and tf-keras 2 and
records what Keras did with them, as fixtures that `tests/files_written.rs` checks in CI.

Usage (by hand, not in CI; needs tensorflow-cpu 2.21, keras 3, tf_keras 2.21 and h5py):

    DENSELY_WRITE_FIXTURES=1 cargo test --test files_written
    ~/keras-env/bin/python tools/keras_files.py tests/fixtures/densely_written

For every `NAME.h5` or `NAME.keras` with a `NAME.json` record beside it (what densely predicted
for probe inputs and, optionally, the data densely trains on), and for each Keras:
  - a whole-model file is loaded with `keras.models.load_model` (compiled from the file's
    training config), a weights file (`"weights_of"` in the record) with `load_weights` into a
    freshly initialized copy of that model;
  - Keras predicts the probe inputs (compared with densely's predictions: at most 1e-5 apart);
  - the optimizer's class, learning rate, iteration count and the norm of every slot variable
    are recorded, with any warning Keras printed about the optimizer state, and apart from
    those anything else it printed while loading (`other_warnings`);
  - when the record has training data, Keras trains one more epoch on it (batch size from the
    record, no shuffling) and predicts the probe inputs again: equal to what densely computes
    the same way only if the optimizer's state (slots and iteration count) carried over.
tf-keras 2 reads no Keras 3 `.keras` archive: for an archive it only tries `load_model` and,
when that fails as expected, records `{"not_applicable": ..., "tf_keras_said": the error}`
instead of results (and if it ever loads one, the full results as for any file). Keras 3
restores the optimizer of an archive itself, so the workaround below for legacy `.h5` files
is not applied to archives.
Everything is written to `keras_results.json` in the same folder. Exits non-zero when a
prediction differs by more than 1e-5.
"""
import io
import json
import logging
import os
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

folder = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/densely_written"


def kerases():
    import keras
    import tf_keras

    return [("keras3", keras, keras.__version__), ("tf_keras", tf_keras, tf_keras.__version__)]


def ordered(model, values_by_name, names):
    """Values in the order of `names`, matched by name (or by position for one value)."""
    if len(values_by_name) == 1:
        return [np.asarray(next(iter(values_by_name.values())))]
    return [np.asarray(values_by_name[n]) for n in names]


def input_names(model):
    return [t.name.split(":")[0] for t in model.inputs] if len(model.inputs) > 1 else ["x"]


def layer_of(tensor_name):
    return tensor_name.split("/")[0].split(":")[0]


def output_names(model):
    names = getattr(model, "output_names", None)
    if names:
        return list(names)
    return [layer_of(t.name) for t in model.outputs]


def as_list(prediction):
    return list(prediction) if isinstance(prediction, (list, tuple)) else [prediction]


def feed(model, by_name):
    if len(by_name) == 1:
        return np.asarray(next(iter(by_name.values())), dtype="float32")
    names = [layer_of(t.name) for t in model.inputs]
    return [np.asarray(by_name[n], dtype="float32") for n in names]


def optimizer_report(optimizer):
    variables = optimizer.variables() if callable(optimizer.variables) else optimizer.variables
    slots = []
    for v in variables:
        value = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
        if value.ndim > 0:
            name = getattr(v, "path", None) or v.name
            slots.append({"name": name, "norm": float(np.linalg.norm(value.astype("float64")))})
    lr = optimizer.learning_rate
    lr = float(lr.numpy() if hasattr(lr, "numpy") else lr)
    return {
        "class_name": type(optimizer).__name__,
        "learning_rate": lr,
        "iterations": int(np.asarray(optimizer.iterations.numpy() if hasattr(optimizer.iterations, "numpy") else optimizer.iterations)),
        "slots": slots,
    }


def rebuild_optimizer(K, model, path):
    import h5py
    from keras.src.legacy.saving import saving_utils

    with h5py.File(path, "r") as f:
        training_config = json.loads(f.attrs["training_config"])
        names = [n.decode() if hasattr(n, "decode") else n for n in f["optimizer_weights"].attrs["weight_names"]]
        values = [np.asarray(f["optimizer_weights"][n]) for n in names]
    args = saving_utils.compile_args_from_training_config(training_config)
    optimizer = args["optimizer"]
    optimizer.build(model.trainable_variables)
    try:
        optimizer.set_weights(values)
        restored = True
    except ValueError as error:
        restored = f"not restored: {error}"
        optimizer = saving_utils.compile_args_from_training_config(training_config)["optimizer"]
        optimizer.build(model.trainable_variables)
        optimizer.iterations.assign(int(values[0]))
    args["optimizer"] = optimizer
    model.compile(**args)
    return {"slots_restored": restored, "optimizer": optimizer_report(optimizer)}


def tf_keras_refuses(K, path):
    """The error tf-keras gives loading a Keras 3 archive, or None if it loads it."""
    try:
        with redirect_stderr(io.StringIO()), redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            K.models.load_model(path)
    except Exception as error:
        # Without the config dump some of tf-keras's errors end with.
        return f"{type(error).__name__}: {error}".split(" Full object config:")[0]
    return None


def run(K, path, record, folder):
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    logging.getLogger().addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught, redirect_stderr(captured), redirect_stdout(captured):
            warnings.simplefilter("always")
            if "weights_of" in record:
                base = K.models.load_model(os.path.join(folder, record["weights_of"]), compile=False)
                model = K.models.clone_model(base)
                model.load_weights(path)
            else:
                model = K.models.load_model(path)
            messages = [str(w.message) for w in caught]
    finally:
        logging.getLogger().removeHandler(handler)
    messages += [line for line in captured.getvalue().splitlines() if line.strip()]
    result = {
        "warnings": [m for m in messages if "optimizer" in m.lower()],
        # Anything else Keras said while loading (densely's checksum attributes must not
        # draw a word): expected empty.
        "other_warnings": [m for m in messages if "optimizer" not in m.lower()],
        "predictions": {},
        # The layers Keras reads as frozen (`trainable` false).
        "frozen": [layer.name for layer in model.layers if not layer.trainable],
    }
    prediction = as_list(model.predict(feed(model, record["inputs"]), verbose=0))
    worst = 0.0
    for name, values in zip(output_names(model), prediction):
        result["predictions"][name] = np.asarray(values).tolist()
    names = output_names(model)
    for name, values in zip(names, prediction):
        expected = record["outputs"][name] if len(record["outputs"]) > 1 else next(iter(record["outputs"].values()))
        worst = max(worst, float(np.max(np.abs(np.asarray(values) - np.asarray(expected)))))
    result["max_abs_difference"] = worst
    if getattr(model, "optimizer", None) is not None and "weights_of" not in record:
        result["optimizer"] = optimizer_report(model.optimizer)
    if "train" in record and "weights_of" not in record:
        train = record["train"]
        x = feed(model, train["x"])
        ys = [np.asarray(train["y"][n]) for n in names] if len(names) > 1 else [np.asarray(next(iter(train["y"].values())))]
        y = ys[0] if len(ys) == 1 else ys
        if K.__name__ == "keras" and path.endswith(".h5"):
            # Keras 3.15 builds the optimizer of a legacy .h5 file on `model._trainable_variables`,
            # which is empty for Sequential and Functional models: it restores only `iteration` and
            # `learning_rate` (also from files Keras 3 wrote itself) and then cannot train
            # ("Unknown variable"). Do what it means to do: build the optimizer on the model's
            # trainable variables and set the file's optimizer weights by position, as
            # `load_model` does; this fails when the file lays them out for the other Keras.
            result["keras3_workaround"] = rebuild_optimizer(K, model, path)
        with redirect_stderr(io.StringIO()), redirect_stdout(io.StringIO()):
            model.fit(x, y, epochs=1, batch_size=train["batch_size"], shuffle=False, verbose=0)
        after = as_list(model.predict(feed(model, record["inputs"]), verbose=0))
        result["after_one_more_epoch"] = {
            name: np.asarray(values).tolist() for name, values in zip(names, after)
        }
        result["optimizer_after_training"] = optimizer_report(model.optimizer)
    return result


def main():
    results = {"versions": {}}
    failures = []
    for flavour, K, version in kerases():
        results["versions"][flavour] = version
    for file in sorted(os.listdir(folder)):
        stem, extension = os.path.splitext(file)
        if extension not in (".h5", ".keras"):
            continue
        record_path = os.path.join(folder, stem + ".json")
        if not os.path.exists(record_path):
            continue
        with open(record_path) as f:
            record = json.load(f)
        results[file] = {}
        for flavour, K, version in kerases():
            K.utils.set_random_seed(1)
            if extension == ".keras" and flavour == "tf_keras":
                said = tf_keras_refuses(K, os.path.join(folder, file))
                if said is not None:
                    results[file][flavour] = {
                        "not_applicable": "tf-keras 2 reads no Keras 3 .keras archive",
                        "tf_keras_said": said,
                    }
                    print(f"{file:32} {flavour:8} not applicable: {said[:100]}")
                    continue
            try:
                result = run(K, os.path.join(folder, file), record, folder)
            except Exception as error:  # recorded, and a failure
                result = {"error": f"{type(error).__name__}: {error}"}
                failures.append(f"{file} in {flavour}: {result['error']}")
            else:
                if result["max_abs_difference"] > 1e-5:
                    failures.append(f"{file} in {flavour}: predictions differ by {result['max_abs_difference']}")
            results[file][flavour] = result
            print(f"{file:32} {flavour:8} {json.dumps({k: v for k, v in result.items() if k in ('max_abs_difference', 'error', 'warnings')})}")
    with open(os.path.join(folder, "keras_results.json"), "w") as f:
        json.dump(results, f, indent=1)
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
