import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.pooling.max_pooling2d import MaxPool2D, MaxPooling2D


def test_contract():
    run_layer_contract(
        MaxPooling2D,
        {"pool_size": 2, "padding": "same"},
        (2, 5, 6, 3),
        expected_output_shape=(2, 3, 3, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"pool_size": 3},
        {"pool_size": 3, "strides": 1},
        {"pool_size": (2, 3), "strides": (1, 2)},
        {"pool_size": 2, "padding": "same"},
        {"pool_size": 3, "strides": 2, "padding": "same"},
        {"pool_size": (2, 3), "strides": (1, 2), "padding": "same"},
        {"pool_size": 4, "strides": 3, "padding": "same"},
        {"pool_size": 3, "strides": 1, "padding": "same"},
        {"pool_size": 2, "strides": 3},
    ],
)
@pytest.mark.parametrize("spatial", [(7, 8), (8, 9), (5, 5)])
def test_parity(kwargs, spatial, rng):
    # All-negative inputs: a zero-padded border would win the max and differ from Keras.
    x = (rng.standard_normal((2, *spatial, 3)) - 5).astype("float32")
    ours = MaxPooling2D(**kwargs)
    got = compare_layer(ours, keras.layers.MaxPooling2D(**kwargs), x, atol=0)
    assert tuple(got.shape[1:]) == ours.compute_output_shape((None, *spatial, 3))[1:]


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_parity_channels_first(padding, rng):
    kwargs = {"pool_size": 3, "strides": 2, "padding": padding, "data_format": "channels_first"}
    x = (rng.standard_normal((2, 3, 8, 7)) - 5).astype("float32")
    compare_layer(MaxPooling2D(**kwargs), keras.layers.MaxPooling2D(**kwargs), x, atol=0)


def test_output_shape_matches_keras_with_unknown_dims():
    for kwargs in ({"pool_size": 3, "strides": 2, "padding": "same"}, {"pool_size": (2, 3)}):
        for shape in ((None, None, None, 3), (None, 9, None, 3), (4, 10, 11, 3)):
            assert MaxPooling2D(**kwargs).compute_output_shape(shape) == (
                keras.layers.MaxPooling2D(**kwargs).compute_output_shape(shape)
            )


def test_defaults_and_config():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert MaxPooling2D(3, strides=None).strides == (3, 3)
    assert MaxPool2D is MaxPooling2D
    ours = MaxPooling2D(3, 2, "same").get_config()
    theirs = keras.layers.MaxPooling2D(3, 2, "same").get_config()
    assert not set(theirs) - set(ours)
    for key in ("pool_size", "strides", "padding", "data_format"):
        assert tuple(np.atleast_1d(ours[key])) == tuple(np.atleast_1d(theirs[key])), key
    assert MaxPooling2D.from_config(theirs).get_config()["strides"] == (2, 2)
    assert MaxPooling2D.from_config(ours).get_config() == ours


def test_gradient_goes_to_the_maxima():
    x = torch.tensor([[1.0, 5.0, 2.0], [3.0, 0.0, 4.0], [7.0, 6.0, 8.0]]).reshape(1, 3, 3, 1)
    x.requires_grad_(True)
    y = MaxPooling2D(2, padding="same")(x)
    assert y.flatten().tolist() == [5.0, 4.0, 7.0, 8.0]
    y.sum().backward()
    assert x.grad.flatten().tolist() == [0, 1, 0, 0, 0, 1, 1, 0, 1]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"pool_size": 0}, "Received: pool_size=0"),
        ({"pool_size": (2, 2, 2)}, "Received: pool_size="),
        ({"strides": -1}, "Received: strides=-1"),
        ({"padding": "causal"}, "Received: padding='causal'"),
        ({"data_format": "nchw"}, "Received: data_format='nchw'"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MaxPooling2D(**kwargs)


def test_input_errors_name_the_layer():
    with pytest.raises(ValueError, match="my_pool.*expected ndim=4, found ndim=3"):
        MaxPooling2D(name="my_pool")(torch.ones(2, 8, 3))
    with pytest.raises(ValueError, match="pool_sym.*expected ndim=4"):
        MaxPooling2D(name="pool_sym")(ketorch.Input(shape=(8, 3)))
    with pytest.raises(ValueError, match="output would be empty"):
        MaxPooling2D(3).compute_output_shape((None, 2, 2, 1))
