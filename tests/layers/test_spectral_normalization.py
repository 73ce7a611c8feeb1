import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from model_parity import DIRECTIONS, assert_close, file_round_trip
from parity import keras, to_numpy

import ketorch
from ketorch.layers import Conv2D, Dense, Embedding, SpectralNormalization


def _pair(make_ours, make_theirs, shape, power_iterations=1):
    ours = SpectralNormalization(make_ours(), power_iterations=power_iterations)
    theirs = keras.layers.SpectralNormalization(make_theirs(), power_iterations=power_iterations)
    ours.build(shape)
    theirs.build(shape)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


@pytest.mark.parametrize(
    "kind,shape,iterations",
    [("dense", (3, 4), 1), ("conv", (2, 5, 5, 2), 3), ("dense", (2, 3, 4), 2)],
)
def test_training_and_inference_match_keras(kind, shape, iterations, rng):
    if kind == "dense":
        ours, theirs = _pair(lambda: Dense(3), lambda: keras.layers.Dense(3), shape, iterations)
    else:
        ours, theirs = _pair(lambda: Conv2D(3, 2), lambda: keras.layers.Conv2D(3, 2), shape,
                             iterations)  # fmt: skip
    x = rng.standard_normal(shape).astype("float32")
    assert_close(ours(torch.as_tensor(x)), theirs(x))  # inference: the kernel as it is
    for _ in range(2):  # training: the kernel is normalized in place first
        assert_close(ours(torch.as_tensor(x), training=True), theirs(x, training=True))
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, to_numpy(b), rtol=1e-5, atol=1e-6)
    kernel = ours.layer.kernel.detach().reshape(-1, 3)
    assert torch.linalg.matrix_norm(kernel, ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_weights_order_and_names_match_keras():
    ours, theirs = _pair(lambda: Dense(3), lambda: keras.layers.Dense(3), (None, 4))
    assert [tuple(w.shape) for w in ours.weights] == [(4, 3), (1, 3), (3,)]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.trainable for w in ours.weights] == [True, False, True]
    assert len(ours.trainable_weights) == 2


def test_embeddings_are_normalized():
    layer = SpectralNormalization(Embedding(10, 4))
    out = layer(torch.tensor([[1, 2]]), training=True)
    assert out.shape == (1, 2, 4)
    table = layer.layer.embeddings.detach()
    assert torch.linalg.matrix_norm(table, ord=2).item() == pytest.approx(1.0, abs=0.1)


def test_contract():
    run_layer_contract(SpectralNormalization, {"layer": Dense(3), "power_iterations": 2}, (2, 4),
                       expected_num_trainable_weights=2, expected_num_non_trainable_weights=1)  # fmt: skip


def test_config_matches_keras():
    ours = SpectralNormalization(Dense(3), power_iterations=2).get_config()
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(3), power_iterations=2)
    theirs = theirs.get_config()
    assert set(ours) == set(theirs) and ours["power_iterations"] == 2
    assert ours["layer"]["class_name"] == theirs["layer"]["class_name"] == "Dense"
    clone = keras.layers.deserialize(ketorch.layers.serialize(SpectralNormalization(Dense(3))))
    assert type(clone.layer).__name__ == "Dense"


def test_errors():
    with pytest.raises(ValueError, match="power_iterations"):
        SpectralNormalization(Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="no attribute 'kernel' nor 'embeddings'"):
        SpectralNormalization(ketorch.layers.LayerNormalization()).build((None, 3))
    with pytest.raises(ValueError, match="supplied to Wrapper isn.t a supported layer type"):
        SpectralNormalization("dense")


def _model(lib):
    inputs = lib.Input((6,))
    h = lib.layers.SpectralNormalization(lib.layers.Dense(5, activation="tanh"))(inputs)
    return lib.Model(inputs, lib.layers.Dense(1)(h))


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_keras_file_round_trip(direction, tmp_path, rng):
    x = rng.standard_normal((16, 6)).astype("float32")
    file_round_trip(_model, x, rng.standard_normal((16, 1)).astype("float32"), tmp_path, direction)
