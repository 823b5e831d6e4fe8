"""What Keras's callbacks do with scripted logs: the reference answers of tests/callbacks_keras.rs.

Every scenario drives a real Keras callback object by hand, as `fit` would: `set_model`,
`on_train_begin`, then for each epoch the weights are set to a marker (every weight equal to the
epoch number), `on_epoch_begin`, `on_epoch_end(epoch, scripted logs)` until `model.stop_training`,
then `on_train_end`. What is recorded: the epoch at which training was asked to stop, the
callback's own counters, the marker of the weights left in the model (which epoch's weights were
restored), the checkpoint files written (and the marker inside a single best file), the learning
rate per epoch, the messages printed at verbose=1, the warnings, and CSV files byte for byte.

Needs Keras 3 (tested with Keras 3.15 on tensorflow 2.21); run by hand, not by CI:

    ~/keras-env/bin/python tools/keras_callbacks.py

It prints Rust literals, grouped by test; tests/callbacks_keras.rs holds them, with the
scripted sequences below copied as they are.
"""
import contextlib
import io
import math
import os
import shutil
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402

# The scripted sequences (the same constants are in tests/callbacks_keras.rs).
VAL_LOSS = [1.0, 0.8, 0.85, 0.79, 0.795, 0.80, 0.81, 0.7, 0.9, 0.95, 0.99, 1.0]
VAL_ACCURACY = [0.5, 0.6, 0.58, 0.61, 0.605, 0.6, 0.59, 0.7, 0.65, 0.66, 0.64, 0.6]
PLATEAU = [1.0, 0.99995, 0.9999, 0.98, 0.98, 0.98, 0.97, 0.97, 0.97, 0.97, 0.5, 0.5, 0.5, 0.5]
LOSS = [2.0, 1.5, 1.2, 1.1, 1.05, 1.0, 0.98, 0.97, 0.96, 0.955, 0.95, 0.949, 0.948, 0.947]


def epoch_logs(epoch, sequence=None):
    """The logs of one epoch: `loss` and `accuracy` always, `val_*` from the scripted lists."""
    logs = {
        "loss": LOSS[epoch],
        "accuracy": 0.5,
        "val_loss": VAL_LOSS[epoch],
        "val_accuracy": VAL_ACCURACY[epoch],
    }
    if sequence is not None:
        logs["val_loss"] = sequence[epoch]
    return logs


def tiny_model():
    """A 1 -> 1 dense model, compiled with accuracy so that `auto` can resolve it."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate=0.1), "mse", metrics=["accuracy"])
    x = np.zeros((4, 1), dtype="float32")
    model.fit(x, x, epochs=1, verbose=0)  # builds the compiled metrics
    return model


def set_marker(model, value):
    model.set_weights([np.full(w.shape, value, dtype="float32") for w in model.get_weights()])


def marker(model):
    values = {float(v) for w in model.get_weights() for v in np.ravel(w)}
    assert len(values) == 1, values
    return int(values.pop())


def rust_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def rust_opt(value, fmt=str):
    return "None" if value is None else f"Some({fmt(value)})"


def rust_list(items, fmt=str):
    return "&[" + ", ".join(fmt(i) for i in items) + "]"


def rust_f64(value):
    if math.isnan(value):
        return "f64::NAN"
    if math.isinf(value):
        return "f64::INFINITY" if value > 0 else "f64::NEG_INFINITY"
    text = repr(float(value))
    return text if ("." in text or "e" in text) else text + ".0"


def rust_warnings(caught):
    """`warnings: N, warning: Some("text")`: how many were issued, all with the same text."""
    assert len(set(caught)) <= 1, caught
    return f"warnings: {len(caught)}, warning: {rust_opt(caught[0] if caught else None, rust_str)}"


def drive(callback, model, epochs, logs_of, before_end=None):
    """Runs the epoch hooks as `fit` does; returns (stop epoch, printed text, warnings), and
    keeps the logs it handed over in `drive.passed`."""
    out = io.StringIO()
    stop = None
    drive.passed = []
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        model.stop_training = False
        callback.set_model(model)
        callback.on_train_begin()
        for epoch in range(epochs):
            set_marker(model, epoch)
            callback.on_epoch_begin(epoch)
            if before_end is not None:
                before_end(epoch)
            # `fit` hands callbacks the logs sorted by name (keras.src.utils.python_utils
            # .pythonify_logs); so do we.
            logs = dict(sorted(logs_of(epoch).items()))
            drive.passed.append(logs)
            callback.on_epoch_end(epoch, logs)
            if model.stop_training:
                stop = epoch
                break
        callback.on_train_end()
    # Only the callbacks' own warnings, not numpy's.
    caught = [w for w in caught if "__array__" not in str(w.message)]
    return stop, out.getvalue(), [str(w.message) for w in caught]


def early_stopping():
    cases = [
        # name, monitor, mode, min_delta, patience, baseline, restore, start_from_epoch
        ("min_patience_0", "val_loss", "min", 0.0, 0, None, False, 0),
        ("min_patience_2", "val_loss", "min", 0.0, 2, None, False, 0),
        ("auto_loss_patience_3", "val_loss", "auto", 0.0, 3, None, False, 0),
        ("min_delta", "val_loss", "min", 0.02, 2, None, False, 0),
        ("min_delta_negative", "val_loss", "min", -0.02, 2, None, False, 0),
        ("max_patience_2", "val_accuracy", "max", 0.0, 2, None, False, 0),
        ("auto_accuracy_patience_1", "val_accuracy", "auto", 0.0, 1, None, False, 0),
        ("max_min_delta", "val_accuracy", "max", 0.015, 3, None, False, 0),
        ("min_on_accuracy", "val_accuracy", "min", 0.0, 1, None, False, 0),
        ("baseline", "val_loss", "min", 0.0, 3, 0.75, False, 0),
        ("baseline_restore", "val_loss", "min", 0.0, 3, 0.75, True, 0),
        ("baseline_met", "val_loss", "min", 0.0, 3, 0.95, True, 0),
        ("max_baseline", "val_accuracy", "max", 0.0, 2, 0.65, True, 0),
        ("start_from_epoch", "val_loss", "min", 0.0, 1, None, False, 3),
        ("start_from_epoch_restore", "val_loss", "min", 0.0, 1, None, True, 5),
        ("restore", "val_loss", "min", 0.0, 2, None, True, 0),
        ("restore_without_stopping", "val_loss", "min", 0.0, 20, None, True, 0),
        ("restore_min_delta", "val_loss", "min", 0.05, 3, None, True, 0),
        ("missing_monitor", "val_los", "min", 0.0, 0, None, True, 0),
    ]
    model = tiny_model()
    print("// EarlyStopping: name, then (stop epoch, stopped_epoch, best_epoch, best, wait, "
          "weights marker after on_train_end, messages, warnings)")
    for name, monitor, mode, min_delta, patience, baseline, restore, start in cases:
        callback = keras.callbacks.EarlyStopping(
            monitor=monitor, mode=mode, min_delta=min_delta, patience=patience,
            baseline=baseline, restore_best_weights=restore, start_from_epoch=start, verbose=1)
        stop, printed, caught = drive(callback, model, len(VAL_LOSS), epoch_logs)
        print(
            f"EsCase {{ name: {rust_str(name)}, monitor: {rust_str(monitor)}, mode: {rust_str(mode)}, "
            f"min_delta: {rust_f64(min_delta)}, patience: {patience}, "
            f"baseline: {rust_opt(baseline, rust_f64)}, restore: {str(restore).lower()}, "
            f"start_from_epoch: {start}, stop: {rust_opt(stop)}, "
            f"stopped_epoch: {callback.stopped_epoch}, best_epoch: {callback.best_epoch}, "
            f"best: {rust_opt(callback.best, rust_f64)}, wait: {callback.wait}, "
            f"marker: {marker(model)}, printed: {rust_str(printed)}, "
            f"{rust_warnings(caught)} }},"
        )


def model_checkpoint():
    cases = [
        # name, filepath, monitor, mode, save_best_only, initial_value_threshold, epochs
        ("best_min", "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5", "val_loss", "auto", True, None, 12),
        ("every_epoch", "e{epoch:03d}.weights.h5", "val_loss", "auto", False, None, 4),
        ("best_max", "acc-{epoch:02d}-{val_accuracy:.3f}.weights.h5", "val_accuracy", "max", True, None, 12),
        ("best_auto_accuracy", "acc-{epoch}.weights.h5", "val_accuracy", "auto", True, None, 12),
        ("threshold", "t-{epoch:02d}.weights.h5", "val_loss", "min", True, 0.8, 12),
        ("threshold_max", "t-{epoch:02d}.weights.h5", "val_accuracy", "max", True, 0.6, 12),
        ("single_best_file", "best.weights.h5", "val_loss", "min", True, None, 12),
        ("single_file_every_epoch", "last.weights.h5", "val_loss", "min", False, None, 5),
        ("missing_monitor", "m-{epoch}.weights.h5", "val_los", "min", True, None, 3),
    ]
    model = tiny_model()
    print("// ModelCheckpoint: name, then (files left, marker in the single file, messages, "
          "warnings); paths in messages are relative to the checkpoint folder")
    for name, filepath, monitor, mode, best_only, threshold, epochs in cases:
        folder = tempfile.mkdtemp()
        callback = keras.callbacks.ModelCheckpoint(
            os.path.join(folder, filepath), monitor=monitor, mode=mode, save_best_only=best_only,
            save_weights_only=True, initial_value_threshold=threshold, verbose=1)
        _, printed, caught = drive(callback, model, epochs, epoch_logs)
        files = sorted(os.listdir(folder))
        inside = None
        if len(files) == 1 and "{" not in filepath:
            model.load_weights(os.path.join(folder, files[0]))
            inside = marker(model)
        printed = printed.replace(folder + os.sep, "")
        shutil.rmtree(folder)
        print(
            f"McCase {{ name: {rust_str(name)}, filepath: {rust_str(filepath)}, "
            f"monitor: {rust_str(monitor)}, mode: {rust_str(mode)}, "
            f"save_best_only: {str(best_only).lower()}, "
            f"initial_value_threshold: {rust_opt(threshold, rust_f64)}, epochs: {epochs}, "
            f"files: {rust_list(files, rust_str)}, marker: {rust_opt(inside)}, "
            f"printed: {rust_str(printed)}, {rust_warnings(caught)} }},"
        )

    # Saving every 3 batches over 2 epochs of 5 batches, with `{batch}` in the name.
    folder = tempfile.mkdtemp()
    callback = keras.callbacks.ModelCheckpoint(
        os.path.join(folder, "b-{epoch:02d}-{batch:03d}-{loss:.3f}.weights.h5"),
        monitor="loss", save_weights_only=True, save_freq=3, verbose=1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        callback.set_model(model)
        callback.on_train_begin()
        for epoch in range(2):
            callback.on_epoch_begin(epoch)
            for batch in range(5):
                callback.on_train_batch_begin(batch)
                callback.on_train_batch_end(batch, {"loss": 1.0 / (1 + epoch * 5 + batch)})
            callback.on_epoch_end(epoch, epoch_logs(epoch))
        callback.on_train_end()
    files = sorted(os.listdir(folder))
    printed = out.getvalue().replace(folder + os.sep, "")
    shutil.rmtree(folder)
    print(f"// save_freq=3, 2 epochs of 5 batches: files {rust_list(files, rust_str)}")
    print(f"// printed {rust_str(printed)}")


def reduce_lr():
    cases = [
        # name, monitor, mode, factor, patience, min_delta, cooldown, min_lr, sequence
        ("plateau_patience_2", "val_loss", "auto", 0.5, 2, 1e-4, 0, 0.0, "PLATEAU"),
        ("cooldown_min_lr", "val_loss", "min", 0.5, 1, 1e-4, 2, 0.02, "PLATEAU"),
        ("min_delta_0", "val_loss", "min", 0.1, 2, 0.0, 0, 0.0, "PLATEAU"),
        ("defaults_on_val_loss", "val_loss", "auto", 0.1, 10, 1e-4, 0, 0.0, "VAL_LOSS"),
        ("max_accuracy", "val_accuracy", "max", 0.2, 1, 1e-4, 1, 0.0, "VAL_LOSS"),
        ("missing_monitor", "val_los", "min", 0.5, 0, 1e-4, 0, 0.0, "VAL_LOSS"),
    ]
    model = tiny_model()
    print("// ReduceLROnPlateau with SGD(0.1): name, then (learning_rate logged per epoch, "
          "rate after the last epoch, messages, warnings)")
    for name, monitor, mode, factor, patience, min_delta, cooldown, min_lr, seq in cases:
        model.optimizer.learning_rate = 0.1
        sequence = {"PLATEAU": PLATEAU, "VAL_LOSS": VAL_LOSS}[seq]
        callback = keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, mode=mode, factor=factor, patience=patience, min_delta=min_delta,
            cooldown=cooldown, min_lr=min_lr, verbose=1)

        def logs_of(epoch, sequence=sequence):
            return epoch_logs(min(epoch, len(VAL_LOSS) - 1), sequence)

        _, printed, caught = drive(callback, model, len(sequence), logs_of)
        rates = [logs["learning_rate"] for logs in drive.passed]
        final = float(np.asarray(model.optimizer.learning_rate))
        print(
            f"RlrCase {{ name: {rust_str(name)}, monitor: {rust_str(monitor)}, mode: {rust_str(mode)}, "
            f"factor: {rust_f64(factor)}, patience: {patience}, min_delta: {rust_f64(min_delta)}, "
            f"cooldown: {cooldown}, min_lr: {rust_f64(min_lr)}, sequence: {seq}, "
            f"logged: {rust_list(rates, rust_f64)}, final: {rust_f64(final)}, "
            f"printed: {rust_str(printed)}, {rust_warnings(caught)} }},"
        )


def learning_rate_scheduler():
    model = tiny_model()
    model.optimizer.learning_rate = 0.1
    callback = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: lr if epoch < 2 else lr * 0.5, verbose=1)
    _, printed, _ = drive(callback, model, 4, epoch_logs)
    rates = [logs["learning_rate"] for logs in drive.passed]
    print("// LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5), SGD(0.1)")
    print(f"// logged {rust_list(rates, rust_f64)}")
    print(f"// printed {rust_str(printed)}")


def csv_logger():
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "log.csv")

    def run(logger, rows):
        logger.on_train_begin()
        for epoch, logs in enumerate(rows):
            logger.on_epoch_end(epoch, dict(logs))
        logger.on_train_end()

    with_val = [
        {"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 1e-05},
        {"loss": 0.1 + 0.2, "accuracy": 1e16, "val_loss": 123456.789, "val_accuracy": -0.0},
    ]
    without_val = [{"loss": 0.5, "accuracy": 0.125}, {"loss": float("nan"), "accuracy": float("inf")}]
    print("// CSVLogger files, byte for byte")
    run(keras.callbacks.CSVLogger(path), with_val)
    print(f"// with validation: {rust_str(open(path, newline='').read())}")
    run(keras.callbacks.CSVLogger(path, append=True), with_val[:1])
    print(f"// appended: {rust_str(open(path, newline='').read())}")
    os.remove(path)
    run(keras.callbacks.CSVLogger(path, append=True), without_val)
    print(f"// append to a missing file, no validation: {rust_str(open(path, newline='').read())}")
    run(keras.callbacks.CSVLogger(path, separator=";"), with_val[:1])
    print(f"// separator ';': {rust_str(open(path, newline='').read())}")
    shutil.rmtree(folder)


def terminate_on_nan():
    model = tiny_model()
    callback = keras.callbacks.TerminateOnNaN()
    callback.set_model(model)
    model.stop_training = False
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for batch, loss in enumerate([0.5, 0.4, float("nan")]):
            callback.on_train_batch_end(batch, {"loss": loss})
    print(f"// TerminateOnNaN: stop_training {model.stop_training}, printed {rust_str(out.getvalue())}")
    callback = keras.callbacks.TerminateOnNaN(raise_error=True)
    callback.set_model(model)
    try:
        callback.on_train_batch_end(4, {"loss": float("inf")})
    except RuntimeError as error:
        print(f"// TerminateOnNaN(raise_error=True): {rust_str(str(error))}")


def fit_history():
    """A real fit: which keys History gets when ReduceLROnPlateau runs."""
    model = tiny_model()
    x = np.linspace(0, 1, 8, dtype="float32").reshape(8, 1)
    history = model.fit(x, 2 * x, epochs=2, verbose=0, validation_split=0.25,
                        callbacks=[keras.callbacks.ReduceLROnPlateau()])
    print(f"// fit with ReduceLROnPlateau: history keys {rust_list(sorted(history.history), rust_str)}")


def filepath_formats():
    cases = [
        ("{epoch:02d}", {"epoch": 3}),
        ("{epoch}", {"epoch": 12}),
        ("{epoch:03}", {"epoch": 7}),
        ("{epoch:>4d}", {"epoch": 7}),
        ("{epoch:<4d}|", {"epoch": 7}),
        ("{epoch:^5d}|", {"epoch": 7}),
        ("{epoch:x<4}", {"epoch": 7}),
        ("{epoch:+d}", {"epoch": 7}),
        ("{epoch:.2f}", {"epoch": 7}),
        ("{epoch:,d}", {"epoch": 1234567}),
        ("{val_loss:.2f}", {"val_loss": 0.3456}),
        ("{val_loss:.2f}", {"val_loss": 0.125}),
        ("{val_loss:.2f}", {"val_loss": 0.375}),
        ("{val_loss:.0f}", {"val_loss": 2.5}),
        ("{val_loss:08.3f}", {"val_loss": -1.23456}),
        ("{val_loss}", {"val_loss": 0.1 + 0.2}),
        ("{val_loss}", {"val_loss": 1e-05}),
        ("{val_loss}", {"val_loss": 1e16}),
        ("{val_loss}", {"val_loss": 2.0}),
        ("{val_loss:.3}", {"val_loss": 2.0}),
        ("{val_loss:.3}", {"val_loss": 0.000123456}),
        ("{val_loss:.3g}", {"val_loss": 2.0}),
        ("{val_loss:g}", {"val_loss": 123456789.0}),
        ("{val_loss:g}", {"val_loss": 0.0001}),
        ("{val_loss:g}", {"val_loss": 0.00001}),
        ("{val_loss:#.3g}", {"val_loss": 2.0}),
        ("{val_loss:.4e}", {"val_loss": 0.000123456}),
        ("{val_loss:E}", {"val_loss": 12345.678}),
        ("{val_loss:.1%}", {"val_loss": 0.8765}),
        ("{val_loss:10.4f}|", {"val_loss": 3.14159265}),
        ("{val_loss:*^12.2f}", {"val_loss": 3.14159265}),
        ("{val_loss:=+10.2f}", {"val_loss": 3.14159265}),
        ("{val_loss: .2f}", {"val_loss": 3.14159265}),
        ("{val_loss:.2f}", {"val_loss": float("nan")}),
        ("{val_loss:.2f}", {"val_loss": float("inf")}),
        ("{val_loss:F}", {"val_loss": float("inf")}),
        ("{{literal}}-{epoch:02d}", {"epoch": 1}),
        ("{val_loss:,.2f}", {"val_loss": 1234567.891}),
    ]
    print("// str.format: (pattern, (name, value), Python's answer)")
    for pattern, values in cases:
        (key, value), = values.items()
        literal = f"Value::Int({value})" if isinstance(value, int) else f"Value::Float({rust_f64(value)})"
        print(f"({rust_str(pattern)}, {rust_str(key)}, {literal}, {rust_str(pattern.format(**values))}),")
    for pattern, values in [("{val_loss:02d}", {"val_loss": 0.5}), ("{missing}", {"epoch": 1}),
                            ("{epoch:s}", {"epoch": 1})]:
        try:
            pattern.format(**values)
        except (ValueError, KeyError) as error:
            print(f"// {pattern}: {type(error).__name__}: {error}")


def main():
    early_stopping()
    print()
    model_checkpoint()
    print()
    reduce_lr()
    print()
    learning_rate_scheduler()
    print()
    csv_logger()
    print()
    terminate_on_nan()
    print()
    fit_history()
    print()
    filepath_formats()


if __name__ == "__main__":
    main()
