import pytest
from layer_contract import run_layer_contract
from parity import compare_layer, keras

from ketorch.layers.convolutional.depthwise_conv1d import DepthwiseConv1D


def test_contract():
    run_layer_contract(
        DepthwiseConv1D,
        {"kernel_size": 3, "depth_multiplier": 2},
        (2, 7, 3),
        expected_output_shape=(2, 5, 6),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 3},
        {"kernel_size": 2, "padding": "same", "depth_multiplier": 3},
        {"kernel_size": 3, "strides": 2, "padding": "same"},
        {"kernel_size": 3, "dilation_rate": 2},
        {"kernel_size": 3, "data_format": "channels_first", "padding": "same"},
    ],
)
def test_parity(kwargs, rng):
    x = rng.standard_normal((2, 9, 4)).astype("float32")
    compare_layer(DepthwiseConv1D(**kwargs), keras.layers.DepthwiseConv1D(**kwargs), x)


def test_weights_and_config():
    ours = DepthwiseConv1D(4, depth_multiplier=2)
    ours.build((None, 9, 3))
    assert [w.shape for w in ours.get_weights()] == [(4, 3, 2), (6,)]
    config = ours.get_config()
    assert not set(keras.layers.DepthwiseConv1D(4).get_config()) - set(config)
    assert DepthwiseConv1D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="Received: padding='causal'"):
        DepthwiseConv1D(3, padding="causal")
