import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import Cropping2D


def test_contract():
    run_layer_contract(
        Cropping2D, {"cropping": ((1, 0), (2, 2))}, (1, 5, 6, 3), expected_output_shape=(1, 4, 2, 3)
    )
    run_layer_contract(Cropping2D, {}, (1, 5, 6, 3), expected_output_shape=(1, 5, 6, 3))


@pytest.mark.parametrize("cropping", [0, 1, (1, 2), ((1, 0), (2, 3)), ((0, 2), (1, 0))])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(cropping, data_format, rng):
    x = rng.standard_normal((2, 7, 8, 9)).astype("float32")
    compare_layer(
        Cropping2D(cropping, data_format), keras.layers.Cropping2D(cropping, data_format), x
    )


def test_symbolic_shape():
    layer = Cropping2D(((1, 0), (2, 3)))
    assert layer(ketorch.Input((None, 10, 3))).shape == (None, None, 5, 3)


def test_errors():
    with pytest.raises(ValueError, match=r"Received: cropping="):
        Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"Received: cropping=-1"):
        Cropping2D(-1)
    with pytest.raises(ValueError, match=r"Layer 'c2' \(Cropping2D\).*Received: cropping="):
        Cropping2D(((2, 2), (0, 0)), name="c2")(ketorch.Input((4, 4, 1)))
    with pytest.raises(ValueError, match=r"Layer 'c3' \(Cropping2D\)"):
        Cropping2D(((0, 0), (3, 3)), name="c3")(torch.ones(1, 8, 6, 1))
