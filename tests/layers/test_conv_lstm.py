import numpy as np
import pytest
import torch
from model_parity import DIRECTIONS, assert_close, file_round_trip, fit_parity
from parity import keras

import ketorch
from ketorch.layers import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D

SHAPES = {1: (2, 4, 7, 3), 2: (2, 4, 6, 5, 3), 3: (2, 3, 5, 4, 4, 2)}
CLASSES = {1: ConvLSTM1D, 2: ConvLSTM2D, 3: ConvLSTM3D}
VARIANTS = [
    {},
    {"padding": "same", "return_sequences": True},
    {"strides": 2, "padding": "same", "return_state": True},
    {"kernel_size": 2, "padding": "same", "go_backwards": True, "return_sequences": True},
    {"data_format": "channels_first", "dilation_rate": 2, "padding": "same"},
    {"use_bias": False, "activation": "relu", "recurrent_activation": "hard_sigmoid"},
]


def _pair(rank, x_shape, **kwargs):
    kwargs = {"filters": 3, "kernel_size": 3, **kwargs}
    ours, theirs = CLASSES[rank](**kwargs), getattr(keras.layers, f"ConvLSTM{rank}D")(**kwargs)
    ours.build(x_shape)
    theirs.build(x_shape)
    gen = np.random.default_rng(1)
    weights = [w + 0.1 * gen.standard_normal(w.shape).astype("float32") for w in ours.get_weights()]
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def _inputs(rank, kwargs, rng):
    x = rng.standard_normal(SHAPES[rank]).astype("float32")
    if kwargs.get("data_format") == "channels_first":
        x = np.moveaxis(x, -1, 2)
    return x


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_parity(rank, variant, rng):
    kwargs = VARIANTS[variant]
    x = _inputs(rank, kwargs, rng)
    ours, theirs = _pair(rank, x.shape, **kwargs)
    got = ours(torch.as_tensor(x))
    expected = theirs(x)
    assert_close(list(got) if isinstance(got, list) else got,
                 list(expected) if isinstance(expected, (list, tuple)) else expected)  # fmt: skip
    shapes = ours.compute_output_shape(x.shape)
    got = got if isinstance(got, list) else [got]
    shapes = shapes if isinstance(shapes, list) else [shapes]
    assert [tuple(s) for s in shapes] == [tuple(g.shape) for g in got]


@pytest.mark.parametrize("zero_output", [False, True])
def test_mask_and_initial_state_match_keras(zero_output, rng):
    x = rng.standard_normal((3, 5, 6, 6, 2)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [0, 1, 0, 1, 1], [0, 0, 0, 0, 0]], bool)
    kwargs = dict(padding="same", return_sequences=True, return_state=True)
    ours, theirs = _pair(2, x.shape, zero_output_for_mask=zero_output, **kwargs)
    h0 = rng.standard_normal((3, 6, 6, 3)).astype("float32")
    c0 = rng.standard_normal((3, 6, 6, 3)).astype("float32")
    got = ours(torch.as_tensor(x), mask=torch.as_tensor(mask),
               initial_state=[torch.as_tensor(h0), torch.as_tensor(c0)])  # fmt: skip
    expected = theirs(x, mask=mask, initial_state=[h0, c0])
    assert_close(got, list(expected))


def test_mask_from_masking_layer_in_a_model(rng):
    def build(lib):
        inputs = lib.Input((4, 5, 5, 2))
        h = lib.layers.TimeDistributed(lib.layers.Flatten())(inputs)
        h = lib.layers.Masking()(h)
        h = lib.layers.TimeDistributed(lib.layers.Reshape((5, 5, 2)))(h)
        h = lib.layers.ConvLSTM2D(2, 3, return_sequences=True)(h)
        return lib.Model(inputs, h)

    x = rng.standard_normal((3, 4, 5, 5, 2)).astype("float32")
    x[0, 2:] = 0.0
    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_stateful_carries_states(rng):
    x = torch.as_tensor(rng.standard_normal((2, 3, 5, 4)).astype("float32"))
    layer = ConvLSTM1D(2, 3, stateful=True, return_state=True)
    layer.build(tuple(x.shape))
    plain = ConvLSTM1D(2, 3, return_state=True)
    plain.build(tuple(x.shape))
    plain.set_weights(layer.get_weights())
    _, h1, c1 = layer(x)
    second, _, _ = layer(x)
    expected, _, _ = plain(x, initial_state=[h1, c1])
    torch.testing.assert_close(second, expected)
    layer.reset_states()
    again, _, _ = layer(x)
    torch.testing.assert_close(again, plain(x)[0])


def test_dropout_only_in_training(rng):
    x = torch.as_tensor(rng.standard_normal((2, 3, 6, 6, 2)).astype("float32"))
    layer = ConvLSTM2D(3, 3, dropout=0.5, recurrent_dropout=0.5, seed=3)
    torch.testing.assert_close(layer(x), layer(x))
    assert not torch.allclose(layer(x, training=True), layer(x))
    out = layer(x, training=True)
    out.sum().backward()
    assert all(w.grad is not None for w in layer.trainable_weights)


def test_config_matches_keras_and_loads_there():
    kwargs = dict(filters=3, kernel_size=(2, 3), strides=1, padding="same", dropout=0.1)
    ours = ConvLSTM2D(**kwargs)
    theirs = keras.layers.ConvLSTM2D(**kwargs).get_config()
    config = ours.get_config()
    assert set(config) == set(theirs)
    for key in ("kernel_size", "strides", "dilation_rate"):
        assert tuple(config[key]) == tuple(theirs[key])
    clone = keras.layers.deserialize(ketorch.layers.serialize(ours))
    assert clone.get_config()["filters"] == 3
    assert ConvLSTM2D.from_config(config).get_config() == config


def test_weights_layout():
    layer = ConvLSTM2D(4, (3, 2))
    layer(torch.zeros(1, 5, 8, 8, 3))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 3, 16) and recurrent.shape == (3, 2, 4, 16)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert [w.path for w in layer.weights] == [
        "conv_lstm2d/conv_lstm_cell/kernel",
        "conv_lstm2d/conv_lstm_cell/recurrent_kernel",
        "conv_lstm2d/conv_lstm_cell/bias",
    ]


def test_errors():
    with pytest.raises(ValueError, match="static input shapes for the spatial dimension"):
        ConvLSTM2D(2, 3).build((None, 4, None, 5, 3))
    with pytest.raises(ValueError, match="expects `initial_state` to be a list of 2"):
        ConvLSTM1D(2, 3)(torch.ones(1, 2, 5, 3), initial_state=[torch.zeros(1, 3, 2)])
    with pytest.raises(ValueError, match="strides"):
        ConvLSTM1D(2, 3, strides=2, dilation_rate=2)


def _model(lib):
    inputs = lib.Input((3, 6, 6, 2))
    h = lib.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(inputs)
    h = lib.layers.ConvLSTM2D(2, 2)(h)
    return lib.Model(inputs, lib.layers.GlobalAveragePooling2D()(h))


def _data(rng):
    x = rng.standard_normal((8, 3, 6, 6, 2)).astype("float32")
    return x, rng.standard_normal((8, 2)).astype("float32")


def test_training_matches_keras(rng):
    fit_parity(_model, *_data(rng), epochs=2)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_keras_file_round_trip(direction, tmp_path, rng):
    file_round_trip(_model, *_data(rng), tmp_path, direction)
