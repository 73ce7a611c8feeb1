"""Seeded runs repeat bit for bit on CPU: weights and History, with shuffle, Dropout and loaders.

Each test trains the same model twice after ``set_random_seed`` +
``enable_determinism`` and compares every weight with ``np.array_equal`` (not a
tolerance) and every History value with ``==``.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

import ketorch as keras
from ketorch.utils import PyDataset, set_random_seed

SEED = 1234


@pytest.fixture(autouse=True)
def _restore_torch_flags():
    prev = torch.are_deterministic_algorithms_enabled()
    prev_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    yield
    torch.use_deterministic_algorithms(prev, warn_only=prev_warn)


def _data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(96, 8)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("int64")
    return x, y


def _model():
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def _run(fit):
    """Seed, build, train with ``fit(model)``; return (weights, history dict)."""
    keras.clear_session()
    set_random_seed(SEED)
    keras.config.enable_determinism()
    model = _model()
    history = fit(model)
    return [w.copy() for w in model.get_weights()], history.history


def _assert_identical(a, b):
    (wa, ha), (wb, hb) = a, b
    assert len(wa) == len(wb)
    for i, (p, q) in enumerate(zip(wa, wb)):
        assert np.array_equal(p, q), f"weight {i} differs (max {np.abs(p - q).max()})"
    assert ha == hb


def _assert_training_moved(run):
    weights, history = run
    assert len(history["loss"]) >= 2
    assert history["loss"][0] != history["loss"][-1]


def test_enable_determinism_sets_torch_flags():
    keras.config.enable_determinism()
    assert torch.are_deterministic_algorithms_enabled()
    assert not torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    import os

    assert os.environ.get("CUBLAS_WORKSPACE_CONFIG") in (":4096:8", ":16:8")
    keras.config.enable_determinism(warn_only=True)
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    with pytest.raises(TypeError, match="warn_only"):
        keras.config.enable_determinism(warn_only="yes")


def test_arrays_shuffle_dropout_validation_split_are_bit_identical():
    x, y = _data()

    def fit(model):
        return model.fit(
            x, y, batch_size=16, epochs=4, shuffle=True, validation_split=0.25, verbose=0
        )

    first = _run(fit)
    _assert_identical(first, _run(fit))
    _assert_training_moved(first)


def test_different_seeds_give_different_runs():
    """Guards the test above against passing because nothing was random."""
    x, y = _data()
    a = _run(lambda m: m.fit(x, y, batch_size=16, epochs=2, verbose=0))
    global SEED
    old, SEED = SEED, SEED + 1
    try:
        b = _run(lambda m: m.fit(x, y, batch_size=16, epochs=2, verbose=0))
    finally:
        SEED = old
    assert not all(np.array_equal(p, q) for p, q in zip(a[0], b[0]))


class _Batches(PyDataset):
    """Eight batches by index, loaded in two threads; each one sleeps a little at random."""

    def __init__(self, x, y, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.jitter = np.random.default_rng(0).random(len(self)) * 0.004

    def __len__(self):
        return 8

    def __getitem__(self, i):
        time.sleep(self.jitter[i])  # lets the two loader threads finish out of order
        s = slice(i * 12, (i + 1) * 12)
        return self.x[s], self.y[s]


def test_pydataset_with_two_workers_and_shuffle_is_bit_identical():
    x, y = _data()

    def fit(model):
        data = _Batches(x, y, workers=2, max_queue_size=4)
        return model.fit(data, epochs=4, shuffle=True, verbose=0)

    first = _run(fit)
    _assert_identical(first, _run(fit))
    _assert_training_moved(first)


def _generator(x, y, batch=12):
    while True:
        for i in range(0, len(x), batch):
            yield x[i : i + batch], y[i : i + batch]


def test_generator_with_one_worker_is_bit_identical():
    x, y = _data()

    def fit(model):
        return model.fit(_generator(x, y), steps_per_epoch=8, epochs=3, verbose=0)

    first = _run(fit)
    _assert_identical(first, _run(fit))
    _assert_training_moved(first)


class _SlowFirst:
    """An array-like whose conversion to numpy is slow the first time (batch 0 only)."""

    def __init__(self, array, delay):
        self.array, self.delay = array, delay

    def __array__(self, dtype=None, copy=None):
        time.sleep(self.delay)
        return self.array if dtype is None else self.array.astype(dtype)


class _RecordingModel(keras.Sequential):
    seen: list

    def train_step(self, x, y, sample_weight=None):
        self.seen.append(int(y[0][0]))
        return super().train_step(x, y, sample_weight)


def test_generator_with_two_workers_keeps_batch_order():
    xs = np.zeros((4, 8), "float32")

    def gen():
        for i in range(4):
            x = _SlowFirst(xs, 0.3) if i == 0 else xs
            yield x, np.full((4,), i, "int64")

    model = _RecordingModel([keras.Input((8,)), keras.layers.Dense(4, activation="softmax")])
    model.seen = []
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(gen(), steps_per_epoch=4, epochs=1, verbose=0, workers=2)
    assert model.seen == [0, 1, 2, 3]


def test_generator_with_two_workers_is_bit_identical():
    x, y = _data()

    def fit(model):
        return model.fit(_generator(x, y), steps_per_epoch=8, epochs=3, verbose=0, workers=2)

    first = _run(fit)
    _assert_identical(first, _run(fit))


def test_prediction_is_bit_identical_across_thread_counts():
    """Inference gives the same bits whatever the intra-op thread count (deterministic mode)."""
    x, _ = _data()
    set_random_seed(SEED)
    keras.config.enable_determinism()
    model = _model()
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = model.predict(x, verbose=0)
        torch.set_num_threads(max(2, old))
        b = model.predict(x, verbose=0)
    finally:
        torch.set_num_threads(old)
    assert np.array_equal(a, b)
    assert threading.active_count() >= 1
