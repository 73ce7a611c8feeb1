import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.convolutional.separable_conv1d import (
    SeparableConv1D,
    SeparableConvolution1D,
)


def test_contract():
    run_layer_contract(
        SeparableConv1D,
        {"filters": 5, "kernel_size": 3, "padding": "same"},
        (2, 7, 3),
        expected_output_shape=(2, 7, 5),
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 4, "kernel_size": 3},
        {"filters": 4, "kernel_size": 2, "depth_multiplier": 2, "padding": "same"},
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "data_format": "channels_first"},
    ],
)
def test_parity(kwargs, rng):
    x = rng.standard_normal((2, 9, 7)).astype("float32")
    compare_layer(SeparableConv1D(**kwargs), keras.layers.SeparableConv1D(**kwargs), x)


def test_weights_and_config():
    ours = SeparableConv1D(6, 3, depth_multiplier=2)
    ours.build((None, 9, 4))
    assert [w.shape for w in ours.get_weights()] == [(3, 4, 2), (1, 8, 6), (6,)]
    assert SeparableConvolution1D is SeparableConv1D
    config = ours.get_config()
    assert not set(keras.layers.SeparableConv1D(6, 3).get_config()) - set(config)
    assert SeparableConv1D.from_config(config).get_config() == config
