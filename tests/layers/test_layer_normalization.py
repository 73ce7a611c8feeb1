import warnings

import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.normalization import LayerNormalization


def test_contract():
    run_layer_contract(
        LayerNormalization,
        {"epsilon": 1e-5},
        (4, 3, 6),
        expected_output_shape=(4, 3, 6),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


def _randomize(layer, rng):
    layer.set_weights([rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()])


@pytest.mark.parametrize(
    "kwargs,shape",
    [
        ({}, (3, 8)),
        ({"epsilon": 1e-6}, (2, 5, 8)),
        ({"axis": [-2, -1]}, (2, 5, 8)),
        ({"axis": [1, 2]}, (2, 5, 8)),
        ({"center": False}, (3, 8)),
        ({"scale": False}, (3, 8)),
    ],
)
def test_parity(kwargs, shape, rng):
    ours = LayerNormalization(**kwargs)
    ours.build(shape)
    _randomize(ours, rng)
    x = (rng.standard_normal(shape) * 2 + 1).astype("float32")
    compare_layer(ours, keras.layers.LayerNormalization(**kwargs), x)


def test_parity_rms_scaling(rng):
    x = rng.standard_normal((3, 6)).astype("float32") + 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = LayerNormalization(rms_scaling=True)
        theirs = keras.layers.LayerNormalization(rms_scaling=True)
    ours.build(x.shape)
    _randomize(ours, rng)
    compare_layer(ours, theirs, x)
    assert len(ours.weights) == 1


@pytest.mark.parametrize("axis", [1, [1, 3], [1, 2]])
def test_non_trailing_axes_match_reference(axis, rng):
    # Keras's torch backend mishandles these axes (it calls F.layer_norm on the
    # trailing ones), so we compare with the formula Keras computes on TF/JAX.
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    layer = LayerNormalization(axis=axis, epsilon=1e-3)
    layer.build(x.shape)
    _randomize(layer, rng)
    axes = tuple(axis) if isinstance(axis, list) else (axis,)
    bshape = [x.shape[i] if i in axes else 1 for i in range(4)]
    gamma, beta = (w.reshape(bshape) for w in layer.get_weights())
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    got = layer(torch.as_tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def test_weight_shapes_match_keras():
    for axis in (-1, [1, 2], [-1, -2]):
        ours, theirs = LayerNormalization(axis=axis), keras.layers.LayerNormalization(axis=axis)
        ours.build((2, 3, 4))
        theirs.build((2, 3, 4))
        assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
        assert ours.get_config()["axis"] == theirs.get_config()["axis"]


def test_config_matches_keras_keys():
    ours = LayerNormalization().get_config()
    theirs = keras.layers.LayerNormalization().get_config()
    assert set(theirs) <= set(ours)


def test_symbolic_shape():
    assert LayerNormalization()(ketorch.Input(shape=(7, 3))).shape == (None, 7, 3)


@pytest.mark.parametrize("bad", ["x", 1.0, [0.5]])
def test_bad_axis(bad):
    with pytest.raises(TypeError, match="Received: axis="):
        LayerNormalization(axis=bad)


def test_bad_epsilon_and_out_of_range_axis():
    with pytest.raises(ValueError, match="Received: epsilon=-1"):
        LayerNormalization(epsilon=-1)
    with pytest.raises(ValueError, match="Received: axis=3"):
        LayerNormalization(axis=3).build((2, 4))
