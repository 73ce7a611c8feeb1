"""Activations run in place on a layer's fresh output when autograd is off (predict)."""

import numpy as np
import pytest
import torch

import ketorch as K
from ketorch import activations


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_apply_to_fresh_is_in_place_only_without_autograd(name):
    fn = activations.get(name)
    x = torch.randn(4, 5)
    expected = fn(x.clone())
    with torch.no_grad():
        y = x.clone()
        out = activations.apply_to_fresh(fn, y)
    assert out.data_ptr() == y.data_ptr()  # no second allocation
    torch.testing.assert_close(out, expected)
    y = x.clone().requires_grad_()
    out = activations.apply_to_fresh(fn, y * 1)
    assert out.requires_grad and out.grad_fn is not None  # the autograd path is unchanged


def test_other_activations_are_not_applied_in_place():
    with torch.no_grad():
        y = torch.randn(3, 4)
        out = activations.apply_to_fresh(activations.get("softmax"), y)
    assert out.data_ptr() != y.data_ptr()


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: K.layers.Dense(6, activation="relu"), (4, 5)),
        (lambda: K.layers.Dense(6, activation="tanh", use_bias=False), (2, 3, 5)),
        (lambda: K.layers.Conv2D(3, 3, activation="relu"), (2, 8, 8, 2)),
        (lambda: K.layers.Conv1D(3, 2, activation="sigmoid"), (2, 7, 4)),
    ],
)
def test_layers_give_the_same_values_and_keep_their_inputs(layer, shape, rng):
    x = rng.normal(size=shape).astype("float32")
    model = K.Sequential([K.Input(shape[1:]), layer()])
    inputs = torch.from_numpy(x.copy())
    trained = model(inputs).detach().numpy()  # autograd on: the general path
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(predicted, trained, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(inputs.numpy(), x)  # the input was not overwritten
