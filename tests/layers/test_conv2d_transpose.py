import warnings

import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.convolutional.conv2d import Conv2D
from ketorch.layers.convolutional.conv2d_transpose import (
    Conv2DTranspose,
    Convolution2DTranspose,
)


def test_contract():
    run_layer_contract(
        Conv2DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
        (2, 5, 6, 3),
        expected_output_shape=(2, 10, 12, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


_CASES = [
    {"kernel_size": 3},
    {"kernel_size": 3, "padding": "same"},
    {"kernel_size": 2, "padding": "same"},
    {"kernel_size": 3, "strides": 2},
    {"kernel_size": 3, "strides": 2, "padding": "same"},
    {"kernel_size": 4, "strides": 2, "padding": "same"},
    {"kernel_size": 2, "strides": 3},  # stride > kernel: Keras pads the output
    {"kernel_size": 1, "strides": 3, "padding": "same"},
    {"kernel_size": (3, 2), "strides": (2, 3), "padding": "same"},
    {"kernel_size": 3, "strides": 2, "output_padding": 1},
    {"kernel_size": 3, "strides": 3, "output_padding": (2, 0), "padding": "same"},
    {"kernel_size": 4, "strides": 2, "output_padding": 0, "padding": "same"},
    {"kernel_size": 5, "strides": 3, "output_padding": 1, "padding": "same"},
    {"kernel_size": 3, "dilation_rate": 2},
    {"kernel_size": 3, "dilation_rate": (2, 1), "padding": "same"},
    {"kernel_size": 2, "dilation_rate": 3, "padding": "same", "output_padding": 0},
    {"kernel_size": 3, "use_bias": False, "activation": "tanh"},
]


@pytest.mark.parametrize("kwargs", _CASES)
@pytest.mark.parametrize("spatial", [(4, 5), (2, 3)])
def test_parity(kwargs, spatial, rng):
    kwargs = {"filters": 3, **kwargs}
    x = rng.standard_normal((2, *spatial, 4)).astype("float32")
    ours = Conv2DTranspose(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's torch backend warns about some paddings
        got = compare_layer(ours, keras.layers.Conv2DTranspose(**kwargs), x)
    assert tuple(got.shape[1:]) == ours.compute_output_shape((None, *spatial, 4))[1:]


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_parity_channels_first(padding, rng):
    kwargs = {
        "filters": 3,
        "kernel_size": 3,
        "strides": 2,
        "padding": padding,
        "data_format": "channels_first",
    }
    x = rng.standard_normal((2, 4, 5, 6)).astype("float32")
    got = compare_layer(Conv2DTranspose(**kwargs), keras.layers.Conv2DTranspose(**kwargs), x)
    assert got.shape[1] == 3


def test_output_shape_matches_keras():
    for kwargs in (
        {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"filters": 2, "kernel_size": 2, "strides": 3},
        {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1, "padding": "same"},
        {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
    ):
        for shape in ((None, None, None, 3), (None, 7, None, 3), (4, 6, 5, 3)):
            assert Conv2DTranspose(**kwargs).compute_output_shape(shape) == tuple(
                keras.layers.Conv2DTranspose(**kwargs).compute_output_shape(shape)
            )


def test_is_the_gradient_of_conv2d():
    # <conv(x), y> == <x, conv_transpose(y)> when both share the kernel.
    conv = Conv2D(5, 3, strides=2, padding="same", use_bias=False)
    x = torch.randn(1, 8, 8, 4)
    y = torch.randn(1, 4, 4, 5)
    conv(x)
    convt = Conv2DTranspose(4, 3, strides=2, padding="same", use_bias=False)
    convt(y)
    convt.set_weights(conv.get_weights())
    lhs = (conv(x) * y).sum()
    rhs = (x * convt(y)).sum()
    torch.testing.assert_close(lhs, rhs, rtol=1e-4, atol=1e-4)


def test_weights_and_config():
    ours = Conv2DTranspose(6, (2, 3))
    ours.build((None, 5, 5, 4))
    theirs = keras.layers.Conv2DTranspose(6, (2, 3))
    theirs.build((None, 5, 5, 4))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert ours.get_weights()[0].shape == (2, 3, 6, 4)  # (kh, kw, filters, in_channels)
    assert Convolution2DTranspose is Conv2DTranspose
    config = Conv2DTranspose(3, 3, strides=2, output_padding=1).get_config()
    theirs = keras.layers.Conv2DTranspose(3, 3, strides=2, output_padding=1).get_config()
    assert not set(theirs) - set(config)
    assert config["output_padding"] == (1, 1) and tuple(theirs["output_padding"]) == (1, 1)
    assert Conv2DTranspose.from_config(config).get_config() == config
    assert Conv2DTranspose(3, 3).get_config()["output_padding"] is None


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"filters": 0, "kernel_size": 3}, "Received: filters=0"),
        (
            {"filters": 2, "kernel_size": 3, "output_padding": 1},
            "Received: output_padding=\\(1, 1\\)",
        ),
        ({"filters": 2, "kernel_size": 3, "output_padding": -1}, "Received: output_padding=-1"),
        ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "Received: strides"),
        ({"filters": 2, "kernel_size": 3, "padding": "causal"}, "Received: padding='causal'"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2DTranspose(**kwargs)


def test_input_errors_name_the_layer():
    with pytest.raises(ValueError, match="up.*expected ndim=4"):
        Conv2DTranspose(2, 3, name="up")(torch.ones(1, 5, 3))
    with pytest.raises(ValueError, match="up_sym.*expected ndim=4"):
        Conv2DTranspose(2, 3, name="up_sym")(ketorch.Input(shape=(5, 3)))


def test_decoder_sgd_step_matches_keras(rng):
    def build(lib, convt):
        return lib.Sequential(
            [
                lib.Input(shape=(3, 3, 4)),
                convt(6, 3, strides=2, padding="same", activation="relu"),
                convt(2, 4, strides=2, padding="same"),
                lib.layers.Flatten(),
                lib.layers.Dense(1),
            ]
        )

    ours, theirs = build(ketorch, Conv2DTranspose), build(keras, keras.layers.Conv2DTranspose)
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((4, 3, 3, 4)).astype("float32")
    y = rng.standard_normal((4, 1)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5, rtol=1e-5
    )
    for m in (ours, theirs):
        m.compile("sgd", "mse")
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
