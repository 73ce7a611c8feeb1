import warnings

import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.convolutional.conv1d_transpose import (
    Conv1DTranspose,
    Convolution1DTranspose,
)


def test_contract():
    run_layer_contract(
        Conv1DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2},
        (2, 5, 3),
        expected_output_shape=(2, 11, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4])
@pytest.mark.parametrize("strides", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("output_padding", [None, 0, 1])
def test_parity(kernel_size, strides, padding, output_padding, rng):
    if output_padding is not None and output_padding >= strides:
        pytest.skip("output_padding must be smaller than strides")
    kwargs = {
        "filters": 2,
        "kernel_size": kernel_size,
        "strides": strides,
        "padding": padding,
        "output_padding": output_padding,
    }
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    ours = Conv1DTranspose(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = compare_layer(ours, keras.layers.Conv1DTranspose(**kwargs), x)
    assert got.shape[1] == ours.compute_output_shape((None, 5, 3))[1]


@pytest.mark.parametrize("dilation_rate", [2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_parity_dilated_channels_first(dilation_rate, padding, rng):
    kwargs = {
        "filters": 2,
        "kernel_size": 3,
        "padding": padding,
        "dilation_rate": dilation_rate,
        "data_format": "channels_first",
    }
    x = rng.standard_normal((2, 3, 6)).astype("float32")
    compare_layer(Conv1DTranspose(**kwargs), keras.layers.Conv1DTranspose(**kwargs), x)


def test_weights_and_config():
    ours = Conv1DTranspose(5, 3)
    ours.build((None, 4, 2))
    assert ours.get_weights()[0].shape == (3, 5, 2)
    assert Convolution1DTranspose is Conv1DTranspose
    config = ours.get_config()
    assert not set(keras.layers.Conv1DTranspose(5, 3).get_config()) - set(config)
    assert Conv1DTranspose.from_config(config).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="Received: output_padding=\\(2,\\)"):
        Conv1DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="output would be empty"):
        Conv1DTranspose(2, 2, padding="same", output_padding=0).compute_output_shape((1, 1, 3))
