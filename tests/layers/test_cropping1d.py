import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import Cropping1D


def test_contract():
    run_layer_contract(Cropping1D, {"cropping": (1, 2)}, (2, 6, 4), expected_output_shape=(2, 3, 4))


@pytest.mark.parametrize("cropping", [(1, 1), 2, (0, 3), (3, 0)])
def test_parity(cropping, rng):
    x = rng.standard_normal((2, 7, 4)).astype("float32")
    compare_layer(Cropping1D(cropping), keras.layers.Cropping1D(cropping), x)


def test_symbolic_shape():
    assert Cropping1D((1, 2))(ketorch.Input((None, 4))).shape == (None, None, 4)
    assert Cropping1D((1, 2))(ketorch.Input((6, 4))).shape == (None, 3, 4)


def test_errors():
    with pytest.raises(ValueError, match=r"Received: cropping=\(-1, 1\)"):
        Cropping1D((-1, 1))
    with pytest.raises(
        ValueError, match=r"Layer 'crop' \(Cropping1D\).*Received: cropping=\(2, 2\)"
    ):
        Cropping1D(2, name="crop")(ketorch.Input((4, 3)))
    with pytest.raises(ValueError, match=r"Layer 'crop2' \(Cropping1D\)"):
        Cropping1D(2, name="crop2")(torch.ones(1, 3, 2))
