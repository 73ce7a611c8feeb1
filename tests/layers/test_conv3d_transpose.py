import warnings

import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.convolutional.conv3d_transpose import (
    Conv3DTranspose,
    Convolution3DTranspose,
)


def test_contract():
    run_layer_contract(
        Conv3DTranspose,
        {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"},
        (2, 2, 3, 2, 3),
        expected_output_shape=(2, 4, 6, 4, 2),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 3},
        {"kernel_size": 3, "strides": 2, "padding": "same"},
        {"kernel_size": (2, 3, 1), "strides": (1, 2, 3), "padding": "same"},
        {"kernel_size": 3, "strides": 2, "output_padding": (1, 0, 1)},
        {"kernel_size": 2, "dilation_rate": 2, "padding": "same"},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(kwargs, data_format, rng):
    kwargs = {"filters": 2, **kwargs, "data_format": data_format}
    shape = (2, 3, 4, 2, 3) if data_format == "channels_last" else (2, 3, 3, 4, 2)
    x = rng.standard_normal(shape).astype("float32")
    ours = Conv3DTranspose(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = compare_layer(ours, keras.layers.Conv3DTranspose(**kwargs), x)
    assert tuple(got.shape[1:]) == ours.compute_output_shape((None, *shape[1:]))[1:]


def test_weights_and_config():
    ours = Conv3DTranspose(4, (1, 2, 3))
    ours.build((None, 3, 3, 3, 5))
    theirs = keras.layers.Conv3DTranspose(4, (1, 2, 3))
    theirs.build((None, 3, 3, 3, 5))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert Convolution3DTranspose is Conv3DTranspose
    config = ours.get_config()
    assert not set(theirs.get_config()) - set(config)
    assert Conv3DTranspose.from_config(config).get_config() == config
    # Keras's positional order puts data_format before output_padding here.
    assert Conv3DTranspose(2, 3, 1, "valid", "channels_first").data_format == "channels_first"
