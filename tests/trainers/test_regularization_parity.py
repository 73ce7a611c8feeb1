"""Regularizers join the training loss and constraints apply after each step, as in Keras."""

import numpy as np
from parity import keras

import ketorch


def _model(lib):
    return lib.Sequential(
        [
            lib.Input((6,)),
            lib.layers.Dense(
                8,
                activation="relu",
                kernel_regularizer=lib.regularizers.L1L2(l1=0.01, l2=0.02),
                bias_regularizer="l2",
                activity_regularizer=lib.regularizers.L2(0.001),
                kernel_constraint=lib.constraints.MaxNorm(0.5),
            ),
            lib.layers.Dense(1, bias_constraint=lib.constraints.NonNeg()),
        ]
    )


def test_regularized_constrained_training_matches_keras(rng):
    ours, theirs = _model(ketorch), _model(keras)
    theirs.set_weights(ours.get_weights())
    x = rng.random((64, 6)).astype("float32")
    y = rng.random((64, 1)).astype("float32")
    ours.compile("sgd", "mse")
    theirs.compile("sgd", "mse")
    h1 = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    h2 = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-4, atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)
    norms = np.sqrt((ours.get_weights()[0] ** 2).sum(axis=0))
    assert norms.max() <= 0.5 + 1e-5
    np.testing.assert_allclose(
        ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-4
    )
