import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy
from pooling_reference import pool_reference

import ketorch
from ketorch.layers.pooling.average_pooling2d import AveragePooling2D, AvgPool2D


def test_contract():
    run_layer_contract(
        AveragePooling2D,
        {"pool_size": 2, "padding": "same"},
        (2, 5, 6, 3),
        expected_output_shape=(2, 3, 3, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


_CASES = [
    {"pool_size": 2},
    {"pool_size": 3},
    {"pool_size": 3, "strides": 1},
    {"pool_size": (2, 3), "strides": (1, 2)},
    {"pool_size": 2, "strides": 3},
    {"pool_size": 2, "padding": "same"},
    {"pool_size": 2, "strides": 1, "padding": "same"},  # odd total: extra cell after
    {"pool_size": 3, "strides": 1, "padding": "same"},
    {"pool_size": 3, "strides": 2, "padding": "same"},
    {"pool_size": (2, 3), "strides": (1, 2), "padding": "same"},
    {"pool_size": 4, "strides": 3, "padding": "same"},
    {"pool_size": (4, 1), "strides": (1, 1), "padding": "same"},
    {"pool_size": 5, "strides": 2, "padding": "same"},
]


@pytest.mark.parametrize("kwargs", _CASES)
@pytest.mark.parametrize("spatial", [(7, 8), (8, 9), (3, 4)])
def test_matches_tensorflow_semantics_and_keras(kwargs, spatial, rng):
    x = rng.standard_normal((2, *spatial, 3)).astype("float32")
    ours = AveragePooling2D(**kwargs)
    try:
        expected_shape = ours.compute_output_shape((None, *spatial, 3))
    except ValueError:
        pytest.skip("window larger than the input")
    got = to_numpy(ours(torch.as_tensor(x)))
    assert got.shape[1:] == expected_shape[1:]
    layer = ours
    ref = pool_reference(x, layer.pool_size, layer.strides, layer.padding, "average")
    np.testing.assert_allclose(got, ref, atol=1e-6, rtol=1e-5)
    # Keras 3.15's torch backend pads asymmetric "same" windows with replicated edge values
    # (counted in the mean); it matches TensorFlow, and us, everywhere else.
    theirs = to_numpy(keras.layers.AveragePooling2D(**kwargs)(x))
    if np.allclose(theirs, ref, atol=1e-6):
        np.testing.assert_allclose(got, theirs, atol=1e-6, rtol=1e-5)


def test_keras_parity_where_padding_is_symmetric(rng):
    for kwargs in _CASES[:6] + [{"pool_size": 3, "strides": 1, "padding": "same"}]:
        x = rng.standard_normal((2, 7, 7, 3)).astype("float32")
        compare_layer(AveragePooling2D(**kwargs), keras.layers.AveragePooling2D(**kwargs), x)


def test_padded_cells_are_not_counted():
    x = torch.ones(1, 3, 3, 1)
    y = AveragePooling2D(2, strides=1, padding="same")(x)
    assert torch.equal(y, torch.ones(1, 3, 3, 1))
    y = AveragePooling2D(3, strides=2, padding="same")(torch.arange(16.0).reshape(1, 4, 4, 1))
    assert y[0, -1, -1, 0] == (10 + 11 + 14 + 15) / 4


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_channels_first(padding, rng):
    kwargs = {"pool_size": 3, "strides": 2, "padding": padding, "data_format": "channels_first"}
    x = rng.standard_normal((2, 3, 7, 9)).astype("float32")  # symmetric "same" padding
    got = to_numpy(AveragePooling2D(**kwargs)(torch.as_tensor(x)))
    ref = pool_reference(x.transpose(0, 2, 3, 1), (3, 3), (2, 2), padding, "average")
    np.testing.assert_allclose(got, ref.transpose(0, 3, 1, 2), atol=1e-6, rtol=1e-5)
    compare_layer(AveragePooling2D(**kwargs), keras.layers.AveragePooling2D(**kwargs), x)


def test_output_shape_matches_keras_with_unknown_dims():
    for kwargs in ({"pool_size": 3, "strides": 2, "padding": "same"}, {"pool_size": (2, 3)}):
        for shape in ((None, None, None, 3), (None, 9, None, 3), (4, 10, 11, 3)):
            assert AveragePooling2D(**kwargs).compute_output_shape(shape) == tuple(
                keras.layers.AveragePooling2D(**kwargs).compute_output_shape(shape)
            )


def test_config_and_alias():
    assert AvgPool2D is AveragePooling2D
    ours = AveragePooling2D(3, 2, "same").get_config()
    theirs = keras.layers.AveragePooling2D(3, 2, "same").get_config()
    assert not set(theirs) - set(ours)
    for key in ("pool_size", "strides", "padding", "data_format"):
        assert tuple(np.atleast_1d(ours[key])) == tuple(np.atleast_1d(theirs[key])), key
    assert AveragePooling2D.from_config(ours).get_config() == ours
    assert AveragePooling2D(2).strides == (2, 2)


def test_gradient_spreads_evenly_over_real_cells():
    x = torch.ones(1, 3, 3, 1, requires_grad=True)
    AveragePooling2D(2, padding="same")(x).sum().backward()
    expected = [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]]
    assert x.grad[0, :, :, 0].tolist() == expected


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"pool_size": 0}, "Received: pool_size=0"),
        ({"pool_size": (2, 2, 2)}, "Received: pool_size="),
        ({"pool_size": 2, "strides": 0}, "Received: strides=0"),
        ({"pool_size": 2, "padding": "full"}, "Received: padding='full'"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AveragePooling2D(**kwargs)


def test_input_errors():
    with pytest.raises(ValueError, match="avg.*expected ndim=4, found ndim=3"):
        AveragePooling2D(2, name="avg")(torch.ones(2, 8, 3))
    with pytest.raises(ValueError, match="avg_sym.*expected ndim=4"):
        AveragePooling2D(2, name="avg_sym")(ketorch.Input(shape=(8, 3)))
