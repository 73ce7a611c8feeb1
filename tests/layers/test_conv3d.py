import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.convolutional.conv3d import Conv3D, Convolution3D


def test_contract():
    run_layer_contract(
        Conv3D,
        {"filters": 3, "kernel_size": 2, "padding": "same"},
        (2, 4, 5, 3, 2),
        expected_output_shape=(2, 4, 5, 3, 3),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 3, "kernel_size": 3},
        {"filters": 3, "kernel_size": 2, "padding": "same"},
        {"filters": 3, "kernel_size": (3, 2, 1), "strides": (2, 1, 2), "padding": "same"},
        {"filters": 4, "kernel_size": 2, "dilation_rate": (2, 1, 1), "groups": 2},
        {"filters": 3, "kernel_size": 3, "strides": 2, "activation": "relu", "use_bias": False},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(kwargs, data_format, rng):
    kwargs = {**kwargs, "data_format": data_format}
    shape = (2, 5, 6, 7, 4) if data_format == "channels_last" else (2, 4, 5, 6, 7)
    x = rng.standard_normal(shape).astype("float32")
    ours = Conv3D(**kwargs)
    got = compare_layer(ours, keras.layers.Conv3D(**kwargs), x)
    assert tuple(got.shape[1:]) == ours.compute_output_shape((None, *shape[1:]))[1:]


def test_weights_shapes_and_config():
    ours = Conv3D(6, (1, 2, 3))
    ours.build((None, 4, 4, 4, 5))
    theirs = keras.layers.Conv3D(6, (1, 2, 3))
    theirs.build((None, 4, 4, 4, 5))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert Convolution3D is Conv3D
    config = ours.get_config()
    assert not set(theirs.get_config()) - set(config)
    assert config["strides"] == (1, 1, 1)
    assert Conv3D.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="Received: kernel_size=\\(3, 3\\)"):
        Conv3D(2, (3, 3))
    with pytest.raises(ValueError, match="Received: padding='causal'"):
        Conv3D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="expected ndim=5"):
        Conv3D(2, 3)(torch.ones(1, 4, 4, 3))
    with pytest.raises(ValueError, match="output would be empty"):
        Conv3D(2, 3)(torch.ones(1, 2, 4, 4, 3))
