import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras

import ketorch
from ketorch.layers.regularization import (
    Dropout,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)


@pytest.mark.parametrize(
    "cls,shape",
    [
        (SpatialDropout1D, (2, 3, 4)),
        (SpatialDropout2D, (2, 3, 4, 5)),
        (SpatialDropout3D, (1, 2, 3, 4, 5)),
    ],
)
def test_contract(cls, shape):
    run_layer_contract(
        cls,
        {"rate": 0.5},
        shape,
        expected_output_shape=shape,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )
    assert issubclass(cls, Dropout)


@pytest.mark.parametrize(
    "layer,shape,channel_axis",
    [
        (SpatialDropout1D(0.4), (64, 10, 32), 2),
        (SpatialDropout2D(0.4), (64, 5, 6, 32), 3),
        (SpatialDropout2D(0.4, data_format="channels_first"), (64, 32, 5, 6), 1),
        (SpatialDropout3D(0.4), (32, 3, 3, 3, 32), 4),
        (SpatialDropout3D(0.4, data_format="channels_first"), (32, 32, 3, 3, 3), 1),
    ],
)
def test_drops_whole_channels(layer, shape, channel_axis):
    x = torch.ones(shape)
    y = layer(x, training=True)
    kept = y.movedim(channel_axis, 1).reshape(shape[0], shape[channel_axis], -1)
    # Each (sample, channel) map is all-zero or all 1/(1-rate).
    per_map = kept[..., :1]
    assert torch.equal(kept, per_map.expand_as(kept))
    nonzero = per_map[per_map != 0]
    assert torch.allclose(nonzero, torch.full_like(nonzero, 1 / 0.6))
    drop_frac = (per_map == 0).float().mean().item()
    assert 0.3 < drop_frac < 0.5
    assert torch.equal(layer(x), x)  # inference: identity
    assert torch.equal(layer(x, training=False), x)


def test_seeded_is_repeatable():
    x = torch.ones(8, 4, 16)
    a = SpatialDropout1D(0.5, seed=3)(x, training=True)
    b = SpatialDropout1D(0.5, seed=3)(x, training=True)
    assert torch.equal(a, b)


def test_config_matches_keras():
    ours = SpatialDropout2D(0.3, seed=1, name="sd").get_config()
    theirs = keras.layers.SpatialDropout2D(0.3, seed=1, name="sd").get_config()
    assert set(ours) == set(theirs)
    assert ours["data_format"] == "channels_last"
    assert SpatialDropout1D.from_config(SpatialDropout1D(0.2).get_config()).rate == 0.2


def test_errors():
    with pytest.raises(ValueError, match="Received: rate=2"):
        SpatialDropout1D(2)
    with pytest.raises(ValueError, match="Received: data_format='nhwc'"):
        SpatialDropout2D(0.1, data_format="nhwc")
    with pytest.raises(ValueError, match="ndim"):
        SpatialDropout2D(0.1)(ketorch.Input(shape=(3, 4)))
