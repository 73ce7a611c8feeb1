import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import RepeatVector


def test_contract():
    run_layer_contract(RepeatVector, {"n": 3}, (2, 5), expected_output_shape=(2, 3, 5))


@pytest.mark.parametrize("n", [1, 4])
def test_parity(n, rng):
    x = rng.standard_normal((3, 5)).astype("float32")
    compare_layer(RepeatVector(n), keras.layers.RepeatVector(n), x)


def test_output_is_a_real_copy():
    y = RepeatVector(2)(torch.ones(1, 3))
    y.view(-1).add_(1.0)  # would fail on an expand() view
    assert y.is_contiguous()


def test_errors():
    with pytest.raises(TypeError, match=r"Received: n=2.5"):
        RepeatVector(2.5)
    with pytest.raises(ValueError, match=r"Received: n=0"):
        RepeatVector(0)
    with pytest.raises(ValueError, match=r"layer 'rv'.*expected ndim=2"):
        RepeatVector(2, name="rv")(ketorch.Input((3, 4)))
