"""Add, Average, Maximum, Minimum, Multiply and their functional forms, against Keras."""

import numpy as np
import pytest
import torch
from parity import keras, to_numpy

import ketorch
from ketorch.layers import merging

# (class name, functional form name)
MERGES = [
    ("Add", "add"),
    ("Average", "average"),
    ("Maximum", "maximum"),
    ("Minimum", "minimum"),
    ("Multiply", "multiply"),
]
NAMES = [name for name, _ in MERGES]


def _parity(ours, theirs, xs, masks=None):
    tx = [torch.as_tensor(x) for x in xs]
    kx = [torch.as_tensor(x) for x in xs]
    if masks is not None:
        for t, k, m in zip(tx, kx, masks):
            if m is not None:
                t._keras_mask = torch.as_tensor(m)
                k._keras_mask = torch.as_tensor(m)
    got, expected = ours(tx), theirs(kx)
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), atol=1e-5, rtol=1e-5)
    return got, expected


SHAPES = [
    [(2, 4, 3)] * 3,
    [(2, 4, 3), (2, 3), (2, 4, 3)],
    [(2, 4, 3), (2, 1, 3), (2, 4, 1)],
]


@pytest.mark.parametrize("name", NAMES)
def test_contract(name):
    cls = getattr(merging, name)
    layer = cls(name="m")
    config = layer.get_config()
    assert cls.from_config(config).get_config() == config
    assert layer.supports_masking and layer.weights == []
    inputs = [ketorch.Input(s[1:]) for s in SHAPES[0]]
    out = layer(inputs)
    y = layer([torch.ones(s) for s in SHAPES[0]])
    assert out.shape == (None,) + tuple(y.shape[1:])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shapes", SHAPES)
def test_parity(name, shapes, rng):
    cls, theirs = getattr(merging, name), getattr(keras.layers, name)
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    _parity(cls(), theirs(), xs)
    sym = cls()([ketorch.Input(s[1:]) for s in shapes]).shape
    ref = theirs()([keras.Input(s[1:]) for s in shapes]).shape
    assert sym == tuple(ref)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("which", ["all", "some"])
def test_mask_parity(name, which, rng):
    shapes = SHAPES[0]
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    masks = [rng.random(s[:2]) > 0.4 for s in shapes]
    if which == "some":
        masks[1] = None
    got, expected = _parity(getattr(merging, name)(), getattr(keras.layers, name)(), xs, masks)
    ours_mask = getattr(got, "_keras_mask", None)
    theirs_mask = getattr(expected, "_keras_mask", None)
    assert (ours_mask is None) == (theirs_mask is None)
    if ours_mask is not None:
        np.testing.assert_array_equal(to_numpy(ours_mask), to_numpy(theirs_mask))


@pytest.mark.parametrize("name,fn_name", MERGES)
def test_function_form(name, fn_name):
    cls, fn = getattr(merging, name), getattr(merging, fn_name)
    inputs = [ketorch.Input((3,)) for _ in range(3)]
    out = fn(inputs, name="merged")
    model = ketorch.Model(inputs, out)
    assert model.layers[-1].name == "merged" and isinstance(model.layers[-1], cls)
    xs = [torch.randn(2, 3) for _ in range(3)]
    assert torch.allclose(model(xs), cls()(xs))


@pytest.mark.parametrize("name", NAMES)
def test_shape_errors_name_layer_and_shapes(name):
    cls = getattr(merging, name)
    with pytest.raises(
        ValueError,
        match=rf"Layer 'bad' \({name}\).*incompatible shapes.*\(None, 4, 3\), \(None, 5\)",
    ):
        cls(name="bad")([ketorch.Input((4, 3)), ketorch.Input((5,)), ketorch.Input((4, 3))])
    with pytest.raises(ValueError, match=r"must be called on a list of tensors"):
        cls(name="single")(ketorch.Input((4, 3)))
    with pytest.raises(ValueError, match=r"different batch sizes"):
        cls()([torch.ones(2, 3), torch.ones(3, 3), torch.ones(2, 3)])
    layer = cls(name="eager")
    layer([torch.ones(2, 3)] * 3)
    with pytest.raises(ValueError, match=rf"Layer 'eager' \({name}\).*Received: input_shape="):
        layer([torch.ones(2, 3), torch.ones(2, 4), torch.ones(2, 3)])
