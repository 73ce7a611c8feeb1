import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers import UpSampling3D


@pytest.mark.parametrize(
    "size,data_format", [((2, 1, 3), "channels_last"), (2, "channels_first"), (1, "channels_last")]
)
def test_parity(size, data_format, rng):
    x = rng.standard_normal((2, 2, 3, 4, 3)).astype("float32")
    kwargs = dict(size=size, data_format=data_format)
    out = compare_layer(UpSampling3D(**kwargs), keras.layers.UpSampling3D(**kwargs), x)
    assert UpSampling3D(**kwargs).compute_output_shape(x.shape) == out.shape


def test_contract():
    run_layer_contract(
        UpSampling3D,
        {"size": (1, 2, 3)},
        (2, 2, 2, 2, 3),
        expected_output_shape=(2, 2, 4, 6, 3),
        expected_num_trainable_weights=0,
    )


def test_symbolic_unknown_sizes():
    x = ketorch.Input((None, 3, 4, 2))
    assert tuple(UpSampling3D(2)(x).shape) == (None, None, 6, 8, 2)


def test_config_matches_keras():
    ours, theirs = UpSampling3D(2).get_config(), keras.layers.UpSampling3D(2).get_config()
    assert set(ours) == set(theirs)
    assert tuple(ours["size"]) == tuple(theirs["size"]) == (2, 2, 2)


def test_errors():
    with pytest.raises(ValueError, match="Received: size=0"):
        UpSampling3D(0)
    with pytest.raises(ValueError, match="ndim=5"):
        UpSampling3D(2)(torch.ones(1, 2, 2, 2))
