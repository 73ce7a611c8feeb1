import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import UpSampling1D


def test_contract():
    run_layer_contract(UpSampling1D, {"size": 3}, (2, 4, 5), expected_output_shape=(2, 12, 5))


@pytest.mark.parametrize("size", [1, 2, 3])
def test_parity(size, rng):
    x = rng.standard_normal((2, 4, 5)).astype("float32")
    compare_layer(UpSampling1D(size), keras.layers.UpSampling1D(size), x)


def test_symbolic_shape():
    assert UpSampling1D()(ketorch.Input((None, 3))).shape == (None, None, 3)


def test_errors():
    with pytest.raises(TypeError, match=r"Received: size=2.0"):
        UpSampling1D(2.0)
    with pytest.raises(ValueError, match=r"Received: size=0"):
        UpSampling1D(0)
