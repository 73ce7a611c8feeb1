import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.convolutional.conv1d import Conv1D, Convolution1D


def test_contract():
    run_layer_contract(
        Conv1D,
        {"filters": 4, "kernel_size": 3, "padding": "causal", "activation": "relu"},
        (2, 7, 3),
        expected_output_shape=(2, 7, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 4, "kernel_size": 3},
        {"filters": 4, "kernel_size": 2, "padding": "same"},
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"filters": 4, "kernel_size": 4, "strides": 3},
        {"filters": 4, "kernel_size": 3, "padding": "causal"},
        {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
        {"filters": 4, "kernel_size": 2, "padding": "causal", "strides": 2},
        {"filters": 6, "kernel_size": 3, "dilation_rate": 3, "padding": "same"},
        {"filters": 6, "kernel_size": 3, "groups": 3, "use_bias": False, "activation": "tanh"},
    ],
)
@pytest.mark.parametrize("steps", [9, 10])
def test_parity(kwargs, steps, rng):
    x = rng.standard_normal((2, steps, 6)).astype("float32")
    ours = Conv1D(**kwargs)
    got = compare_layer(ours, keras.layers.Conv1D(**kwargs), x)
    assert tuple(got.shape[1:]) == ours.compute_output_shape((None, steps, 6))[1:]


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_parity_channels_first(padding, rng):
    kwargs = {"filters": 4, "kernel_size": 3, "padding": padding, "data_format": "channels_first"}
    x = rng.standard_normal((2, 5, 11)).astype("float32")
    compare_layer(Conv1D(**kwargs), keras.layers.Conv1D(**kwargs), x)


def test_causal_output_ignores_the_future():
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = torch.randn(1, 12, 3)
    y = layer(x)
    x2 = x.clone()
    x2[:, 7:] = 5.0
    torch.testing.assert_close(layer(x2)[:, :7], y[:, :7])


def test_output_shape_matches_keras():
    for kwargs in (
        {"filters": 5, "kernel_size": 3, "strides": 2, "padding": "causal"},
        {"filters": 5, "kernel_size": 3, "dilation_rate": 2},
    ):
        for shape in ((None, None, 3), (4, 10, 3)):
            assert Conv1D(**kwargs).compute_output_shape(shape) == tuple(
                keras.layers.Conv1D(**kwargs).compute_output_shape(shape)
            )


def test_weights_and_config():
    ours = Conv1D(8, 5, groups=2)
    ours.build((None, 10, 4))
    theirs = keras.layers.Conv1D(8, 5, groups=2)
    theirs.build((None, 10, 4))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert ours.get_weights()[0].shape == (5, 2, 8)
    assert Convolution1D is Conv1D
    config = Conv1D(3, 2, padding="CAUSAL").get_config()
    assert config["padding"] == "causal"
    theirs = keras.layers.Conv1D(3, 2, padding="causal").get_config()
    assert not set(theirs) - set(config)
    assert Conv1D.from_config(config).get_config() == config


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"filters": -1, "kernel_size": 3}, "Received: filters=-1"),
        ({"filters": 4, "kernel_size": (3, 3)}, "Received: kernel_size="),
        ({"filters": 4, "kernel_size": 3, "padding": "full"}, "Received: padding='full'"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv1D(**kwargs)


def test_causal_is_conv1d_only():
    from ketorch.layers.convolutional.conv2d import Conv2D

    with pytest.raises(ValueError, match="Received: padding='causal'"):
        Conv2D(2, 3, padding="causal")


def test_input_errors_name_the_layer():
    with pytest.raises(ValueError, match="c1.*expected ndim=3, found ndim=4"):
        Conv1D(2, 3, name="c1")(torch.ones(1, 5, 5, 3))
    with pytest.raises(ValueError, match="c1s.*expected ndim=3"):
        Conv1D(2, 3, name="c1s")(ketorch.Input(shape=(8,)))


def test_text_cnn_model_matches_keras(rng):
    def build(lib, conv):
        return lib.Sequential(
            [
                lib.Input(shape=(12, 5)),
                conv(6, 3, padding="causal", activation="relu"),
                conv(4, 3, strides=2, padding="same"),
                lib.layers.Flatten(),
                lib.layers.Dense(1),
            ]
        )

    ours, theirs = build(ketorch, Conv1D), build(keras, keras.layers.Conv1D)
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((4, 12, 5)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5, rtol=1e-5
    )
