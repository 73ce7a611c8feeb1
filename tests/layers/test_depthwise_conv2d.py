import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.convolutional.depthwise_conv2d import DepthwiseConv2D


def test_contract():
    run_layer_contract(
        DepthwiseConv2D,
        {"kernel_size": 3, "depth_multiplier": 2, "padding": "same", "activation": "relu"},
        (2, 6, 7, 3),
        expected_output_shape=(2, 6, 7, 6),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 3},
        {"kernel_size": 3, "depth_multiplier": 3},
        {"kernel_size": 2, "padding": "same", "depth_multiplier": 2},
        {"kernel_size": 3, "strides": 2, "padding": "same"},
        {"kernel_size": (3, 2), "strides": (1, 2), "padding": "same", "depth_multiplier": 2},
        {"kernel_size": 3, "dilation_rate": 2, "padding": "same"},
        {"kernel_size": 3, "use_bias": False, "activation": "tanh"},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(kwargs, data_format, rng):
    kwargs = {**kwargs, "data_format": data_format}
    shape = (2, 7, 8, 4) if data_format == "channels_last" else (2, 4, 7, 8)
    x = rng.standard_normal(shape).astype("float32")
    ours = DepthwiseConv2D(**kwargs)
    got = compare_layer(ours, keras.layers.DepthwiseConv2D(**kwargs), x)
    assert tuple(got.shape[1:]) == ours.compute_output_shape((None, *shape[1:]))[1:]


def test_channels_are_independent():
    layer = DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    x = torch.randn(1, 5, 5, 3)
    y = layer(x)
    x2 = x.clone()
    x2[..., 1] = 0.0
    y2 = layer(x2)
    # Input channel c feeds output channels 2c and 2c + 1 only.
    torch.testing.assert_close(y2[..., [0, 1, 4, 5]], y[..., [0, 1, 4, 5]])
    assert not torch.allclose(y2[..., 2:4], y[..., 2:4])


def test_weights_and_config():
    ours = DepthwiseConv2D((3, 2), depth_multiplier=4)
    ours.build((None, 6, 6, 5))
    theirs = keras.layers.DepthwiseConv2D((3, 2), depth_multiplier=4)
    theirs.build((None, 6, 6, 5))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [(3, 2, 5, 4), (20,)]
    assert [w._keras_name for w in ours.weights] == ["kernel", "bias"]
    config = ours.get_config()
    assert not set(theirs.get_config()) - set(config)
    assert DepthwiseConv2D.from_config(config).get_config() == config
    assert ours.compute_output_shape((None, 6, None, 5)) == (None, 4, None, 20)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"kernel_size": 3, "depth_multiplier": 0}, "Received: depth_multiplier=0"),
        ({"kernel_size": (3, 3, 3)}, "Received: kernel_size="),
        ({"kernel_size": 3, "padding": "causal"}, "Received: padding='causal'"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DepthwiseConv2D(**kwargs)


def test_input_errors():
    with pytest.raises(ValueError, match="dw.*expected ndim=4"):
        DepthwiseConv2D(3, name="dw")(torch.ones(1, 5, 3))
    with pytest.raises(ValueError, match="dw_sym.*expected ndim=4"):
        DepthwiseConv2D(3, name="dw_sym")(ketorch.Input(shape=(5, 3)))
    with pytest.raises(ValueError, match="output would be empty"):
        DepthwiseConv2D(5)(torch.ones(1, 3, 3, 2))


def test_mobilenet_block_sgd_step_matches_keras(rng):
    def build(lib, dw):
        return lib.Sequential(
            [
                lib.Input(shape=(6, 6, 3)),
                dw(3, strides=2, padding="same", depth_multiplier=2, activation="relu"),
                lib.layers.Flatten(),
                lib.layers.Dense(2),
            ]
        )

    ours, theirs = build(ketorch, DepthwiseConv2D), build(keras, keras.layers.DepthwiseConv2D)
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((4, 6, 6, 3)).astype("float32")
    y = rng.standard_normal((4, 2)).astype("float32")
    for m in (ours, theirs):
        m.compile("sgd", "mse")
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
