"""Optimizer options shared by every optimizer, end to end through model.fit, against Keras."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest

import ketorch


def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(48, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1)) * 3).astype("float32")
    return x, y


@pytest.mark.parametrize(
    "name,options",
    [
        ("SGD", dict(learning_rate=0.05, clipnorm=0.5)),
        ("SGD", dict(learning_rate=0.05, clipvalue=0.1)),
        ("Adam", dict(learning_rate=0.01, global_clipnorm=1.0)),
        ("AdamW", dict(learning_rate=0.01, weight_decay=0.1)),
        ("SGD", dict(learning_rate=0.01, momentum=0.9, weight_decay=0.01)),
        ("Adam", dict(learning_rate=0.01, use_ema=True, ema_overwrite_frequency=3)),
        ("SGD", dict(learning_rate=0.05, gradient_accumulation_steps=2)),
        # Keras's fit ends by copying the moving average into the weights
        # (`optimizer.finalize_variable_values`) when `use_ema` is on.
        ("Adam", dict(learning_rate=0.01, use_ema=True, ema_momentum=0.9)),
        # Keras's train step back-propagates `optimizer.scale_loss(loss)`; the optimizer then
        # divides the gradients by the factor.
        ("RMSprop", dict(learning_rate=0.01, loss_scale_factor=128.0)),
    ],
)
def test_fit_with_option_matches_keras(name, options):
    x, y = _data()
    keras.utils.set_random_seed(0)
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    ours = ketorch.Sequential(
        [ketorch.Input((5,)), ketorch.layers.Dense(4), ketorch.layers.Dense(1)]
    )
    ours.set_weights(theirs.get_weights())
    ours.compile(getattr(ketorch.optimizers, name)(**options), "mse")
    theirs.compile(getattr(keras.optimizers, name)(**options), "mse")
    h1 = ours.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h2 = theirs.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-4, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
