import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.reshaping import UpSampling2D


def test_contract():
    run_layer_contract(
        UpSampling2D, {"size": (2, 3)}, (1, 2, 2, 5), expected_output_shape=(1, 4, 6, 5)
    )
    run_layer_contract(
        UpSampling2D,
        {"interpolation": "bilinear"},
        (1, 3, 2, 4),
        expected_output_shape=(1, 6, 4, 4),
    )


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("size", [2, (2, 3)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(interpolation, size, data_format, rng):
    x = rng.standard_normal((2, 4, 5, 3)).astype("float32")
    ours = UpSampling2D(size, data_format, interpolation)
    theirs = keras.layers.UpSampling2D(size, data_format, interpolation)
    compare_layer(ours, theirs, x)


def test_symbolic_shape_and_config():
    layer = UpSampling2D((2, 3), interpolation="BILINEAR")
    assert layer(ketorch.Input((None, 5, 3))).shape == (None, None, 15, 3)
    cfg = layer.get_config()
    assert (cfg["size"], cfg["interpolation"], cfg["data_format"]) == (
        (2, 3),
        "bilinear",
        "channels_last",
    )


def test_integer_input_bilinear():
    y = UpSampling2D(interpolation="bilinear")(torch.ones(1, 2, 2, 1, dtype=torch.int32))
    assert y.dtype == torch.float32 and torch.allclose(y, torch.ones(1, 4, 4, 1))


def test_errors():
    with pytest.raises(ValueError, match=r"Received: interpolation='lanczos3'"):
        UpSampling2D(interpolation="lanczos3")
    with pytest.raises(ValueError, match=r"Received: size=\(2, 0\)"):
        UpSampling2D((2, 0))
    with pytest.raises(ValueError, match=r"layer 'up'.*expected ndim=4"):
        UpSampling2D(name="up")(ketorch.Input((3, 4)))
