import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.convolutional.conv2d import Conv2D
from ketorch.layers.pooling.max_pooling2d import MaxPooling2D


def test_contract():
    run_layer_contract(
        Conv2D,
        {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
        (2, 6, 7, 3),
        expected_output_shape=(2, 6, 7, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 4, "kernel_size": 3},
        {"filters": 4, "kernel_size": 3, "padding": "same"},
        {"filters": 4, "kernel_size": 2, "padding": "same"},  # even kernel: extra pad after
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"filters": 4, "kernel_size": (2, 4), "strides": (2, 3), "padding": "same"},
        {"filters": 4, "kernel_size": (3, 1), "strides": (1, 2)},
        {"filters": 6, "kernel_size": 3, "dilation_rate": 2},
        {"filters": 6, "kernel_size": 3, "dilation_rate": (2, 1), "padding": "same"},
        {"filters": 6, "kernel_size": 3, "groups": 3, "padding": "same"},
        {"filters": 4, "kernel_size": 3, "use_bias": False, "activation": "tanh"},
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
    ],
)
@pytest.mark.parametrize("spatial", [(7, 8), (8, 9)])
def test_parity_channels_last(kwargs, spatial, rng):
    x = rng.standard_normal((2, *spatial, 6)).astype("float32")
    ours = Conv2D(**kwargs)
    got = compare_layer(ours, keras.layers.Conv2D(**kwargs), x)
    assert tuple(got.shape[1:]) == ours.compute_output_shape((None, *spatial, 6))[1:]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"filters": 6, "kernel_size": 3, "groups": 2, "activation": "relu"},
    ],
)
def test_parity_channels_first(kwargs, rng):
    kwargs = {**kwargs, "data_format": "channels_first"}
    x = rng.standard_normal((2, 4, 7, 8)).astype("float32")
    got = compare_layer(Conv2D(**kwargs), keras.layers.Conv2D(**kwargs), x)
    assert got.shape[1] == kwargs["filters"]


def test_output_shape_matches_keras_with_unknown_dims():
    for kwargs in (
        {"filters": 5, "kernel_size": 3, "strides": 2, "padding": "same"},
        {"filters": 5, "kernel_size": (3, 2), "dilation_rate": 2},
    ):
        for shape in ((None, None, None, 3), (None, 9, None, 3), (4, 10, 11, 3)):
            assert Conv2D(**kwargs).compute_output_shape(shape) == keras.layers.Conv2D(
                **kwargs
            ).compute_output_shape(shape)


def test_weight_layout_and_initializer_stats():
    ours = Conv2D(16, (3, 5), groups=2)
    ours.build((None, 8, 8, 6))
    theirs = keras.layers.Conv2D(16, (3, 5), groups=2)
    theirs.build((None, 8, 8, 6))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    kernel, bias = ours.get_weights()
    assert kernel.shape == (3, 5, 3, 16)
    limit = np.sqrt(6 / (15 * 3 + 15 * 16))  # glorot: receptive field x channels
    assert limit * 0.9 < np.abs(kernel).max() <= limit
    assert np.abs(theirs.get_weights()[0]).max() <= limit
    assert not bias.any()
    assert [w._keras_name for w in ours.weights] == ["kernel", "bias"]


def test_config_matches_keras_and_round_trips():
    kwargs = {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "SAME", "activation": "relu"}
    ours = Conv2D(**kwargs).get_config()
    theirs = keras.layers.Conv2D(**kwargs).get_config()
    assert not set(theirs) - set(ours)
    for key in ("kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups"):
        assert tuple(np.atleast_1d(ours[key])) == tuple(np.atleast_1d(theirs[key])), key
    assert Conv2D.from_config(ours).get_config() == ours
    assert Conv2D(2, 3).get_config()["activation"] == "linear"


def test_accepts_keras_config():
    config = keras.layers.Conv2D(3, (2, 3), padding="same", name="c").get_config()
    # Initializer configs are ketorch.initializers' business (Keras 3.15 adds axes keys).
    config = {k: v for k, v in config.items() if not k.endswith("_initializer")}
    layer = Conv2D.from_config(config)
    assert layer.kernel_size == (2, 3) and layer.padding == "same" and layer.name == "c"


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"filters": 0, "kernel_size": 3}, "Received: filters=0"),
        ({"filters": 2.5, "kernel_size": 3}, "Received: filters=2.5"),
        ({"filters": 4, "kernel_size": (3, 3, 3)}, "Received: kernel_size="),
        ({"filters": 4, "kernel_size": 0}, "Received: kernel_size=0"),
        ({"filters": 4, "kernel_size": 3, "padding": "full"}, "Received: padding='full'"),
        ({"filters": 4, "kernel_size": 3, "groups": 3}, "Received: filters=4, groups=3"),
        ({"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "Received: strides"),
        ({"filters": 4, "kernel_size": 3, "data_format": "nhwc"}, "Received: data_format='nhwc'"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(**kwargs)


def test_input_errors_name_the_layer():
    layer = Conv2D(4, 3, name="my_conv")
    with pytest.raises(ValueError, match="my_conv.*expected ndim=4, found ndim=3"):
        layer(torch.ones(2, 8, 3))
    layer(torch.ones(2, 8, 8, 3))
    with pytest.raises(ValueError, match="my_conv"):
        layer(torch.ones(2, 8, 3))  # built: torch's error is turned into a clear one
    with pytest.raises(ValueError, match="my_conv"):
        layer(torch.ones(2, 8, 8, 5))
    with pytest.raises(ValueError, match="divisible by `groups`"):
        Conv2D(4, 3, groups=2)(torch.ones(1, 5, 5, 3))
    with pytest.raises(ValueError, match="output would be empty"):
        Conv2D(4, 5)(torch.ones(1, 3, 3, 1))
    with pytest.raises(ValueError, match="conv_sym.*expected ndim=4"):
        Conv2D(4, 3, name="conv_sym")(ketorch.Input(shape=(8, 3)))


def test_channels_last_keeps_memory_layout_contiguous_output():
    y = Conv2D(8, 3, padding="same")(torch.randn(2, 9, 9, 4))
    assert y.is_contiguous()


def _conv_model(lib, conv_cls, pool_cls):
    return lib.Sequential(
        [
            lib.Input(shape=(9, 9, 3)),
            conv_cls(4, 3, strides=2, padding="same", activation="relu"),
            pool_cls(pool_size=2, padding="same"),
            conv_cls(6, 2, padding="same", groups=2),
            lib.layers.Flatten(),
            lib.layers.Dense(2),
        ]
    )


def test_sgd_step_matches_keras(rng):
    ours = _conv_model(ketorch, Conv2D, MaxPooling2D)
    theirs = _conv_model(keras, keras.layers.Conv2D, keras.layers.MaxPooling2D)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((8, 9, 9, 3)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5, rtol=1e-5
    )
    for m in (ours, theirs):
        m.compile("sgd", "mse")
        m.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
