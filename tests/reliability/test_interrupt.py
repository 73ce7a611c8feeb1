"""Ctrl-C during fit: the step in progress finishes, fit returns the History so far.

The first SIGINT (or a ``KeyboardInterrupt`` raised by a callback) stops training
after the current step with a warning; the model stays usable and savable and the
data loaders are closed. A second Ctrl-C aborts at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import ketorch as keras
from ketorch.callbacks import Callback


class _InterruptAt(Callback):
    """Raises KeyboardInterrupt at the end of a given (epoch, batch), as Ctrl-C would."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = 0
        self.train_end_called = False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt

    def on_train_end(self, logs=None):
        self.train_end_called = True


def _data():
    rng = np.random.default_rng(0)
    return rng.random((64, 4), dtype=np.float32), rng.random((64, 1), dtype=np.float32)


def _model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    return model


def _generator(x, y):
    while True:
        for i in range(0, len(x), 16):
            yield x[i : i + 16], y[i : i + 16]


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name.startswith("ketorch-prefetch")]


def _fit_interrupted(model, *args, **kwargs):
    """Run fit and swallow the KeyboardInterrupt, whether fit re-raises it (today) or not."""
    try:
        model.fit(*args, **kwargs)
    except KeyboardInterrupt:
        return True
    return False


def test_keyboard_interrupt_from_callback_leaves_model_usable_and_savable(tmp_path):
    x, y = _data()
    model = _model()
    _fit_interrupted(
        model, x, y, batch_size=16, epochs=5, verbose=0, callbacks=[_InterruptAt(1, 2)]
    )
    weights = model.get_weights()
    assert all(np.isfinite(w).all() for w in weights)
    assert int(model.optimizer.iterations) == 4 + 3  # epoch 0 whole, epoch 1 up to batch 2
    assert model.predict(x, verbose=0).shape == (64, 1)
    path = tmp_path / "after_interrupt.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)  # training can go on
    assert len(history.history["loss"]) == 2


def test_keyboard_interrupt_with_generator_stops_loader_threads():
    x, y = _data()
    model = _model()
    _fit_interrupted(
        model,
        _generator(x, y),
        steps_per_epoch=4,
        epochs=5,
        verbose=0,
        workers=2,
        callbacks=[_InterruptAt(0, 1)],
    )
    deadline = time.monotonic() + 5
    while _prefetch_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _prefetch_threads()


# The child trains for a long time, says READY once training runs, and reports what it
# saw after the SIGINT: whether fit returned (and with how many epochs) or raised, and
# whether the model is still finite, usable and savable.
_CHILD = textwrap.dedent(
    """
    import json, math, sys, warnings
    import numpy as np
    import ketorch as keras

    class Ready(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2 and not getattr(self, "said", False):
                self.said = True
                print("READY", flush=True)

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse")
    x = np.random.rand(20000, 8).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    result = {"returned": False, "interrupted": False, "epochs": 0}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            history = model.fit(x, y, batch_size=8, epochs=50, verbose=0, callbacks=[Ready()])
        result["returned"] = True
        result["epochs"] = len(history.epoch)
    except KeyboardInterrupt:
        result["interrupted"] = True
    weights = model.get_weights()
    result["finite"] = all(np.isfinite(w).all() for w in weights)
    result["predict_ok"] = model.predict(x[:4], verbose=0).shape == (4, 1)
    model.save(sys.argv[1])
    result["saved"] = True
    print("RESULT " + json.dumps(result), flush=True)
    """
)


def _sigint_child(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = dict(os.environ, KETORCH_DEVICE="cpu", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "m.keras")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "READY", line + proc.stderr.read()
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)  # a hang fails here
    finally:
        if proc.poll() is None:
            proc.kill()
    results = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    assert results, f"child died: rc={proc.returncode}\n{err[-2000:]}"
    return proc.returncode, json.loads(results[-1][len("RESULT ") :])


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_real_sigint_stops_fit_and_model_stays_usable_and_savable(tmp_path):
    rc, result = _sigint_child(tmp_path)
    assert rc == 0
    assert result["interrupted"] or result["returned"]
    assert result["finite"] and result["predict_ok"] and result["saved"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_real_sigint_returns_history(tmp_path):
    rc, result = _sigint_child(tmp_path)
    assert result["returned"] and not result["interrupted"]
    assert result["epochs"] >= 1
