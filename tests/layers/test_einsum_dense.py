import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from model_parity import DIRECTIONS, file_round_trip, fit_parity
from parity import compare_layer, keras

from ketorch.layers import EinsumDense

CASES = [
    ("ab,bc->ac", 4, "c", (3, 5)),
    ("abc,cd->abd", (None, 4), "d", (2, 3, 5)),
    ("abc,cde->abde", (None, 4, 2), "de", (2, 3, 5)),
    ("...b,bc->...c", 4, "c", (2, 3, 4, 5)),
    ("abc,cd->abd", (3, 4), "bd", (2, 3, 5)),
    ("ab,bcd->acd", (4, 2), "c", (3, 5)),
    ("abc...,cd->abd...", (None, 4), "d", (2, 3, 5, 6)),
    ("bqm,muh->bquh", (None, 2, 3), "uh", (2, 4, 5)),
    ("bquh,uhm->bqm", (None, 5), "m", (2, 4, 2, 3)),
    ("abc,bd->acd", (3, 4), "d", (2, 5, 3)),
    ("ab,b->a", (), None, (3, 5)),
]


@pytest.mark.parametrize("equation,output_shape,bias_axes,shape", CASES)
def test_parity(equation, output_shape, bias_axes, shape, rng):
    x = rng.standard_normal(shape).astype("float32")
    kwargs = dict(equation=equation, output_shape=output_shape, bias_axes=bias_axes)
    ours = EinsumDense(activation="tanh", **kwargs)
    ours.build(shape)
    with torch.no_grad():  # a non-zero bias, so that its layout is checked too
        for w in ours.weights:
            w.add_(torch.randn(w.shape))
    out = compare_layer(ours, keras.layers.EinsumDense(activation="tanh", **kwargs), x)
    assert tuple(ours.compute_output_shape(shape)) == out.shape


def test_contract():
    run_layer_contract(
        EinsumDense,
        {"equation": "ab,bcd->acd", "output_shape": (4, 2), "bias_axes": "cd"},
        (3, 5),
        expected_output_shape=(3, 4, 2),
        expected_num_trainable_weights=2,
    )


def test_weight_shapes_and_fans():
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 16, 8), bias_axes="de")
    layer.build((None, 7, 64))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (64, 16, 8) and bias.shape == (16, 8) and not bias.any()
    # Glorot over the einsum's fans (64 in, 128 out), as Keras computes them.
    limit = np.sqrt(6 / (64 + 128))
    assert limit * 0.9 < np.abs(kernel).max() <= limit


def test_config_matches_keras():
    kwargs = dict(equation="abc,cd->abd", output_shape=(None, 4), bias_axes="d")
    ours, theirs = (
        EinsumDense(**kwargs).get_config(),
        keras.layers.EinsumDense(**kwargs).get_config(),
    )
    assert set(ours) == set(theirs)
    for key in ("equation", "bias_axes", "activation", "quantization_config"):
        assert ours[key] == theirs[key]
    assert tuple(ours["output_shape"]) == tuple(theirs["output_shape"])
    assert EinsumDense.from_config(ours).get_config() == ours


def test_errors():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match="do not match at shared dimension 'b'"):
        EinsumDense("abc,cd->abd", (5, 4)).build((None, 3, 2))
    with pytest.raises(ValueError, match="Bias dimension 'x'"):
        EinsumDense("ab,bc->ac", 3, bias_axes="x").build((None, 4))
    with pytest.raises(ValueError, match="Weight dimension 'z'"):
        EinsumDense("ab,bz->a", ()).build((None, 4))


def _model(lib):
    inputs = lib.Input((5, 6))
    h = lib.layers.EinsumDense("abc,cde->abde", (None, 3, 2), bias_axes="de", activation="relu")(
        inputs
    )
    h = lib.layers.Reshape((5, 6))(h)
    out = lib.layers.EinsumDense("...c,cd->...d", 1, bias_axes="d")(h)
    return lib.Model(inputs, out)


def test_training_matches_keras(rng):
    x = rng.standard_normal((16, 5, 6)).astype("float32")
    y = rng.standard_normal((16, 5, 1)).astype("float32")
    fit_parity(_model, x, y, epochs=2)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_keras_file_round_trip(direction, tmp_path, rng):
    x = rng.standard_normal((16, 5, 6)).astype("float32")
    y = rng.standard_normal((16, 5, 1)).astype("float32")
    file_round_trip(_model, x, y, tmp_path, direction)
