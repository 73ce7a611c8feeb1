import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras

import ketorch
from ketorch.layers.regularization import ActivityRegularization


def test_contract():
    run_layer_contract(
        ActivityRegularization,
        {"l1": 0.1, "l2": 0.2},
        (2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )


def test_penalty_matches_keras(rng):
    x = rng.standard_normal((4, 5)).astype("float32")
    ours = ActivityRegularization(l1=0.1, l2=0.3)
    theirs = keras.layers.ActivityRegularization(l1=0.1, l2=0.3)
    y = ours(torch.as_tensor(x))
    theirs(x)
    np.testing.assert_array_equal(y.numpy(), x)
    assert len(ours.losses) == len(theirs.losses) == 1
    expected = float(theirs.losses[0])
    np.testing.assert_allclose(float(ours.losses[0]), expected, rtol=1e-5)
    np.testing.assert_allclose(
        expected, (0.1 * np.abs(x).sum() + 0.3 * (x**2).sum()) / 4, rtol=1e-5
    )


def test_fit_loss_matches_keras(rng):
    x = rng.standard_normal((16, 3)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")

    def build(lib, reg_cls):
        inputs = lib.Input(shape=(3,))
        h = lib.layers.Dense(2)(inputs)
        return lib.Model(inputs, reg_cls(l2=0.5)(h))

    ours = build(ketorch, ActivityRegularization)
    theirs = build(keras, keras.layers.ActivityRegularization)
    theirs.set_weights(ours.get_weights())
    for m, lib in ((ours, ketorch), (theirs, keras)):
        m.compile(optimizer=lib.optimizers.SGD(0.01), loss="mse")
    h1 = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    h2 = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h1, h2, rtol=1e-4)


def test_config_matches_keras():
    ours = ActivityRegularization(l1=0.1).get_config()
    theirs = keras.layers.ActivityRegularization(l1=0.1).get_config()
    assert set(theirs) <= set(ours)
    assert ActivityRegularization.from_config(ours).l1 == 0.1


def test_negative_factor():
    with pytest.raises(ValueError, match="Received: l1=-1"):
        ActivityRegularization(l1=-1)
