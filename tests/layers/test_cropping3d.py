import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers import Cropping3D


@pytest.mark.parametrize(
    "cropping,data_format",
    [
        (((1, 0), (0, 2), (1, 1)), "channels_last"),
        (1, "channels_first"),
        ((0, 1, 2), "channels_last"),
        (((0, 0), (0, 0), (0, 0)), "channels_last"),
    ],
)
def test_parity(cropping, data_format, rng):
    x = rng.standard_normal((2, 4, 5, 6, 3)).astype("float32")
    kwargs = dict(cropping=cropping, data_format=data_format)
    out = compare_layer(Cropping3D(**kwargs), keras.layers.Cropping3D(**kwargs), x)
    assert Cropping3D(**kwargs).compute_output_shape(x.shape) == out.shape


def test_contract():
    run_layer_contract(
        Cropping3D,
        {"cropping": (1, 0, 2)},
        (2, 4, 3, 6, 2),
        expected_output_shape=(2, 2, 3, 2, 2),
        expected_num_trainable_weights=0,
    )


def test_config_matches_keras():
    ours = Cropping3D(((1, 2), 3, (0, 1))).get_config()
    theirs = keras.layers.Cropping3D(((1, 2), 3, (0, 1))).get_config()
    assert set(ours) == set(theirs)
    assert [tuple(p) for p in ours["cropping"]] == [tuple(p) for p in theirs["cropping"]]


def test_errors():
    with pytest.raises(ValueError, match="Received: cropping=-1"):
        Cropping3D(-1)
    with pytest.raises(ValueError, match="tuple of 3"):
        Cropping3D((1, 2))
    with pytest.raises(ValueError, match="would crop away a whole spatial axis"):
        Cropping3D(((2, 2), (0, 0), (0, 0)))(torch.ones(1, 4, 3, 3, 1))
    x = torch.randn(1, 2, 2, 2, 1)
    assert torch.equal(Cropping3D(0)(x), x)
