"""One model shared between threads and callbacks: a running ``fit`` keeps its own losses,
metrics, random draws and module mode.

``predict``/``evaluate`` in another thread, or from a callback, must leave the History of a
``fit`` exactly as a run without them; ``predict`` from several threads gives the serial
results; a nested ``fit`` of the same model raises. The GIL switch interval is shortened so
that the threads interleave within single steps.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import torch

import ketorch as keras
from ketorch.utils import set_random_seed

SEED = 321


@pytest.fixture(autouse=True)
def _fast_thread_switches():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(previous)


def _data(n=256):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x[:, :2] @ np.array([[1.0], [-2.0]], dtype="float32")).astype("float32")
    return x, y


def _model():
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.ActivityRegularization(l1=1e-2, l2=1e-2),
            keras.layers.Dropout(0.3),  # unseeded: draws from torch's global generator
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.SGD(0.01), "mse", metrics=["mae"])
    return model


def _seeded_model():
    keras.clear_session()
    set_random_seed(SEED)
    return _model()


def _fit(model, callbacks=None, epochs=3):
    x, y = _data()
    set_random_seed(SEED)  # the same Dropout draws in every run
    return model.fit(
        x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks
    ).history


def _baseline(epochs=3):
    return _fit(_seeded_model(), epochs=epochs)


def _assert_same_history(got, expected):
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, atol=0, err_msg=key)


class _Background:
    """Runs ``work(model)`` in a loop in another thread until stopped; counts the calls made
    while the main thread's ``fit`` was running."""

    def __init__(self, model, work):
        self.model, self.work = model, work
        self.fitting = threading.Event()
        self.done = threading.Event()
        self.calls_during_fit = 0
        self.errors = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        try:
            while not self.done.is_set():
                self.work(self.model)
                if self.fitting.is_set():
                    self.calls_during_fit += 1
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(e)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


class _MarkFitting(keras.callbacks.Callback):
    def __init__(self, background):
        super().__init__()
        self.background = background

    def on_train_begin(self, logs=None):
        self.background.fitting.set()

    def on_train_end(self, logs=None):
        self.background.fitting.clear()
        self.final_loss = float(self.model.metrics[0].result())


@pytest.mark.parametrize("kind", ["predict", "evaluate", "call"])
def test_concurrent_inference_leaves_fit_history_unchanged(kind):
    expected = _baseline()
    xq, yq = _data(64)

    def work(model):
        if kind == "predict":
            out = model.predict(xq, batch_size=16, verbose=0)
            assert out.shape == (64, 1)
        elif kind == "call":  # a served model called directly
            with torch.no_grad():
                model(torch.from_numpy(xq[:16]), training=False)
        else:
            loss, mae = model.evaluate(xq, yq, batch_size=16, verbose=0)
            assert np.isfinite(loss) and np.isfinite(mae)

    model = _seeded_model()
    model.predict(xq, verbose=0)  # built before the thread starts, as a served model is
    with _Background(model, work) as background:
        mark = _MarkFitting(background)
        history = _fit(model, callbacks=[mark])
    assert not background.errors, background.errors
    assert background.calls_during_fit > 0
    _assert_same_history(history, expected)
    # The fit's loss tracker held the fit's last epoch at its end, not a concurrent evaluate's.
    np.testing.assert_allclose(mark.final_loss, history["loss"][-1], rtol=1e-6)


class _InferenceInCallback(keras.callbacks.Callback):
    """Calls evaluate/predict (and the per-batch forms) mid-epoch and at epoch end, and records
    what evaluate/predict returned."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y
        self.records = []  # (weights, evaluate() result)
        self.modes = []

    def _check(self):
        self.modes.append(self.model.training)
        weights = [w.copy() for w in self.model.get_weights()]
        result = self.model.evaluate(self.x, self.y, batch_size=16, verbose=0)
        out = self.model.predict(self.x, batch_size=16, verbose=0)
        self.model.test_on_batch(self.x[:8], self.y[:8])
        self.model.predict_on_batch(self.x[:8])
        self.records.append((weights, result, out))
        self.modes.append(self.model.training)

    def on_train_batch_end(self, batch, logs=None):
        if batch in (3, 17):
            self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()


def test_evaluate_and_predict_from_callbacks_leave_history_unchanged():
    expected = _baseline()
    xq, yq = _data(48)
    model = _seeded_model()
    callback = _InferenceInCallback(xq, yq)
    history = _fit(model, callbacks=[callback])
    _assert_same_history(history, expected)
    assert callback.modes and all(callback.modes)  # fit's module mode is back after each call
    assert model.training
    # What evaluate/predict returned inside the callbacks is what they return on those
    # weights outside any fit: fresh metrics, inference mode, no training-step state.
    check = _seeded_model()
    check.predict(xq, verbose=0)
    for weights, result, out in callback.records:
        check.set_weights(weights)
        np.testing.assert_allclose(
            check.evaluate(xq, yq, batch_size=16, verbose=0), result, rtol=1e-6
        )
        np.testing.assert_array_equal(check.predict(xq, batch_size=16, verbose=0), out)


def test_validation_and_callback_evaluate_together():
    x, y = _data()
    xv, yv = _data(40)

    def run(callbacks):
        model = _seeded_model()
        set_random_seed(SEED)
        return model.fit(
            x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
            validation_data=(xv, yv), callbacks=callbacks,
        ).history  # fmt: skip

    expected = run(None)
    _assert_same_history(run([_InferenceInCallback(xv, yv)]), expected)


def test_nested_fit_from_a_callback_raises_and_names_the_model():
    x, y = _data(64)

    class NestedFit(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.fit(x, y, epochs=1, verbose=0)

    model = _seeded_model()
    model.name = "served_regressor"
    with pytest.raises(RuntimeError, match=r"fit\(\) of model 'served_regressor' .* already "):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[NestedFit()])
    # The failed nested call left nothing behind: the model trains again.
    history = model.fit(x, y, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])


def test_second_fit_in_another_thread_raises():
    x, y = _data(64)
    model = _seeded_model()
    started, release = threading.Event(), threading.Event()
    errors = []

    class Hold(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            started.set()
            release.wait(30)

    def other():
        started.wait(30)
        try:
            model.fit(x, y, epochs=1, verbose=0)
        except RuntimeError as e:
            errors.append(e)
        finally:
            release.set()

    thread = threading.Thread(target=other)
    thread.start()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[Hold()])
    thread.join(30)
    assert len(errors) == 1
    assert "already running in thread 'MainThread'" in str(errors[0])


def test_predict_from_four_threads_equals_serial():
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.ActivityRegularization(l2=1e-2),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(11)
    inputs = [rng.normal(size=(100 + 7 * i, 8)).astype("float32") for i in range(4)]
    labels = [rng.integers(0, 3, size=(len(x),)) for x in inputs]
    model.fit(inputs[0], labels[0], epochs=1, verbose=0)  # moving statistics != init
    expected = [model.predict(x, batch_size=16, verbose=0) for x in inputs]
    expected_eval = [model.evaluate(x, t, batch_size=16, verbose=0) for x, t in zip(inputs, labels)]
    assert model.training
    barrier = threading.Barrier(4)
    results, errors = {}, []

    def worker(i):
        try:
            barrier.wait(30)
            for rep in range(5):
                results[i, rep] = (
                    model.predict(inputs[i], batch_size=16, verbose=0),
                    model.evaluate(inputs[i], labels[i], batch_size=16, verbose=0),
                )
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    for (i, _), (out, ev) in results.items():
        np.testing.assert_array_equal(out, expected[i])
        np.testing.assert_allclose(ev, expected_eval[i], rtol=1e-6)
    assert len(results) == 20
    assert model.training  # the last inference run out restored the mode


def test_add_loss_values_are_per_thread():
    layer = keras.layers.ActivityRegularization(l1=1.0)
    mine, theirs = torch.ones(2, 3), torch.full((2, 3), 5.0)
    stop = threading.Event()

    def other():
        while not stop.is_set():
            layer(theirs)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        for _ in range(200):
            layer(mine)
            (penalty,) = layer.losses
            assert float(penalty) == 3.0  # sum(|1|) / batch 2, never the other thread's 15
    finally:
        stop.set()
        thread.join(30)


def test_concurrent_predict_leaves_torch_submodule_mode_to_fit():
    class WithTorchDropout(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(4)
            self.drop = torch.nn.Dropout(0.5)  # reads nn.Module.training, not `training=`
            self.out = keras.layers.Dense(1)

        def call(self, x, training=None):
            return self.out(self.drop(self.dense(x)))

    x, y = _data(128)
    model = WithTorchDropout()
    model.compile("sgd", "mse")
    model.predict(x[:4], verbose=0)
    modes = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            modes.append(model.drop.training)
            threading.Event().wait(1e-4)

    with _Background(model, lambda m: m.predict(x[:32], verbose=0)) as background:
        background.fitting.set()
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[Record()])
    assert not background.errors, background.errors
    assert background.calls_during_fit > 0
    assert modes and all(modes)
    assert model.drop.training


def test_jit_compiled_fit_keeps_its_history_beside_callbacks_and_threads():
    x, y = _data(128)
    xq, yq = _data(32)

    def run(concurrent):
        model = _seeded_model()
        model.compile(keras.optimizers.SGD(0.01), "mse", metrics=["mae"], jit_compile=True)
        model.predict(xq, verbose=0)

        def work(m):
            if background.fitting.is_set():  # evaluate() only once the fit holds its metrics
                m.evaluate(xq, yq, verbose=0)
            else:
                threading.Event().wait(1e-4)

        background = _Background(model, work if concurrent else lambda m: None)
        with background:
            callbacks = [_MarkFitting(background)]
            if concurrent:
                callbacks.append(_InferenceInCallback(xq, yq))
            set_random_seed(SEED)
            history = model.fit(
                x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=callbacks
            ).history
        assert not background.errors, background.errors
        assert model._compiled_step is not None and model._compiled_step.failed is None
        return history, background.calls_during_fit

    expected, _ = run(concurrent=False)
    history, calls = run(concurrent=True)
    assert calls > 0
    _assert_same_history(history, expected)


def test_models_copy_and_pickle_after_use_from_threads():
    import copy
    import pickle

    x, y = _data(64)
    model = _seeded_model()
    with _Background(model, lambda m: m.evaluate(x, y, verbose=0)):
        model.fit(x, y, epochs=1, verbose=0)
    model(torch.from_numpy(x[:4]))  # leaves add_loss values from a direct call
    expected = model.predict(x, verbose=0)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(clone.predict(x, verbose=0), expected)
        assert np.isfinite(clone.fit(x, y, epochs=1, verbose=0).history["loss"][0])
