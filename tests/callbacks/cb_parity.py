"""Twin models for callback parity tests: the same network, weights and data in ketorch and Keras."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import ketorch  # noqa: E402


def regression_data(n_train=48, n_val=32, noise=0.5, seed=0):
    """A small noisy regression problem on which a wide net starts overfitting quickly."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(6, 1))
    x = rng.normal(size=(n_train + n_val, 6)).astype("float32")
    y = (np.tanh(x @ w) + noise * rng.normal(size=(n_train + n_val, 1))).astype("float32")
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def classification_data(n=64, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, :1] + 0.8 * rng.normal(size=(n, 1)) > 0).astype("float32")
    return x, y


def twin_models(units=32, inputs=6, activation="tanh", out_activation=None, seed=0):
    """A ketorch model and a Keras model with identical weights."""
    keras.utils.set_random_seed(seed)
    theirs = keras.Sequential(
        [
            keras.Input((inputs,)),
            keras.layers.Dense(units, activation=activation),
            keras.layers.Dense(1, activation=out_activation),
        ]
    )
    ours = ketorch.Sequential(
        [
            ketorch.Input((inputs,)),
            ketorch.layers.Dense(units, activation=activation),
            ketorch.layers.Dense(1, activation=out_activation),
        ]
    )
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def assert_histories_close(ours, theirs, rtol=1e-4, atol=1e-5):
    assert sorted(ours.history) == sorted(theirs.history)
    assert ours.epoch == theirs.epoch
    for key in theirs.history:
        np.testing.assert_allclose(
            ours.history[key], theirs.history[key], rtol=rtol, atol=atol, err_msg=key
        )
