import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.convolutional.separable_conv2d import (
    SeparableConv2D,
    SeparableConvolution2D,
)


def test_contract():
    run_layer_contract(
        SeparableConv2D,
        {"filters": 5, "kernel_size": 3, "padding": "same", "activation": "relu"},
        (2, 6, 7, 3),
        expected_output_shape=(2, 6, 7, 5),
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 4, "kernel_size": 3},
        {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
        {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same"},
        {"filters": 6, "kernel_size": (3, 1), "strides": (2, 1)},
        {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
        {"filters": 4, "kernel_size": 3, "use_bias": False, "activation": "relu"},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(kwargs, data_format, rng):
    kwargs = {**kwargs, "data_format": data_format}
    shape = (2, 7, 8, 3) if data_format == "channels_last" else (2, 3, 7, 8)
    x = rng.standard_normal(shape).astype("float32")
    ours = SeparableConv2D(**kwargs)
    got = compare_layer(ours, keras.layers.SeparableConv2D(**kwargs), x)
    assert tuple(got.shape[1:]) == ours.compute_output_shape((None, *shape[1:]))[1:]


def test_weights_and_config():
    ours = SeparableConv2D(8, 3, depth_multiplier=2)
    ours.build((None, 6, 6, 5))
    theirs = keras.layers.SeparableConv2D(8, 3, depth_multiplier=2)
    theirs.build((None, 6, 6, 5))
    shapes = [w.shape for w in ours.get_weights()]
    assert shapes == [w.shape for w in theirs.get_weights()]
    assert shapes == [(3, 3, 5, 2), (1, 1, 10, 8), (8,)]
    names = [w._keras_name for w in ours.weights]
    assert names == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert SeparableConvolution2D is SeparableConv2D
    config = ours.get_config()
    assert not set(theirs.get_config()) - set(config)
    assert SeparableConv2D.from_config(config).get_config() == config


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"filters": 0, "kernel_size": 3}, "Received: filters=0"),
        ({"filters": 2, "kernel_size": 3, "depth_multiplier": -2}, "Received: depth_multiplier=-2"),
        ({"filters": 2, "kernel_size": 3, "data_format": "nhwc"}, "Received: data_format='nhwc'"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SeparableConv2D(**kwargs)


def test_input_errors():
    with pytest.raises(ValueError, match="sep.*expected ndim=4"):
        SeparableConv2D(2, 3, name="sep")(torch.ones(1, 5, 3))
    layer = SeparableConv2D(2, 3, name="sep2")
    layer(torch.ones(1, 5, 5, 3))
    with pytest.raises(ValueError, match="sep2"):
        layer(torch.ones(1, 5, 5, 4))


def test_sgd_step_matches_keras(rng):
    def build(lib, sep):
        return lib.Sequential(
            [
                lib.Input(shape=(6, 6, 3)),
                sep(4, 3, padding="same", depth_multiplier=2, activation="relu"),
                lib.layers.Flatten(),
                lib.layers.Dense(2),
            ]
        )

    ours, theirs = build(ketorch, SeparableConv2D), build(keras, keras.layers.SeparableConv2D)
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((4, 6, 6, 3)).astype("float32")
    y = rng.standard_normal((4, 2)).astype("float32")
    for m in (ours, theirs):
        m.compile("sgd", "mse")
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
