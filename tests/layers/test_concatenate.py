import numpy as np
import pytest
import torch
from parity import keras, to_numpy

import ketorch
from ketorch.layers.merging import Concatenate, concatenate


def _run(ours, theirs, xs, masks=None):
    tx = [torch.as_tensor(x) for x in xs]
    kx = [torch.as_tensor(x) for x in xs]
    for t, k, m in zip(tx, kx, masks or [None] * len(xs)):
        if m is not None:
            t._keras_mask = k._keras_mask = torch.as_tensor(m)
    got, expected = ours(tx), theirs(kx)
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), atol=1e-6)
    return got, expected


def test_contract():
    layer = Concatenate(axis=1, name="cat")
    config = layer.get_config()
    assert config["axis"] == 1
    assert Concatenate.from_config(config).get_config() == config
    out = layer([ketorch.Input((2, 3)), ketorch.Input((5, 3))])
    assert out.shape == (None, 7, 3)
    assert layer([torch.ones(4, 2, 3), torch.ones(4, 5, 3)]).shape == (4, 7, 3)


@pytest.mark.parametrize(
    "axis,shapes",
    [
        (-1, [(2, 3), (2, 4)]),
        (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
        (-2, [(2, 3, 4), (2, 5, 4)]),
        (2, [(2, 3, 4, 1), (2, 3, 2, 1)]),
    ],
)
def test_parity(axis, shapes, rng):
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    _run(Concatenate(axis), keras.layers.Concatenate(axis), xs)
    sym = Concatenate(axis)([ketorch.Input(s[1:]) for s in shapes]).shape
    ref = keras.layers.Concatenate(axis)([keras.Input(s[1:]) for s in shapes]).shape
    assert sym == tuple(ref)


def test_unknown_sizes_symbolic():
    out = concatenate([ketorch.Input((None, 3)), ketorch.Input((4, 3))], axis=1)
    assert out.shape == (None, None, 3)


@pytest.mark.parametrize("axis", [-1, 1])
@pytest.mark.parametrize("which", ["all", "some"])
def test_mask_parity(axis, which, rng):
    xs = [rng.standard_normal((2, 5, 3)).astype("float32") for _ in range(2)]
    masks = [rng.random((2, 5)) > 0.4, rng.random((2, 5)) > 0.4]
    if which == "some":
        masks[0] = None
    got, expected = _run(Concatenate(axis), keras.layers.Concatenate(axis), xs, masks)
    np.testing.assert_array_equal(to_numpy(got._keras_mask), to_numpy(expected._keras_mask))


def test_mask_from_embedding_in_functional_model():
    ids = ketorch.Input((None,), dtype="int32")
    emb = ketorch.layers.Embedding(10, 4, mask_zero=True)(ids)
    model = ketorch.Model(ids, concatenate([emb, emb], axis=1))
    out = model(torch.tensor([[1, 2, 0]]))
    assert out._keras_mask.tolist() == [[True, True, False, True, True, False]]


def test_errors_name_layer_and_shapes():
    with pytest.raises(
        ValueError,
        match=r"Layer 'cat' \(Concatenate\).*matching shapes.*\(None, 4, 3\), \(None, 5, 2\)",
    ):
        Concatenate(name="cat")([ketorch.Input((4, 3)), ketorch.Input((5, 2))])
    with pytest.raises(
        ValueError, match=r"same rank.*Received: input_shape=\[\(None, 4, 3\), \(None, 3\)\]"
    ):
        Concatenate()([ketorch.Input((4, 3)), ketorch.Input((3,))])
    with pytest.raises(ValueError, match=r"axis 3 of rank-3"):
        Concatenate(axis=3)([ketorch.Input((4, 3)), ketorch.Input((4, 3))])
    with pytest.raises(ValueError, match=r"Received: axis='x'"):
        Concatenate(axis="x")
    layer = Concatenate(name="eager")
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match=r"Layer 'eager' \(Concatenate\).*Received: input_shape="):
        layer([torch.ones(2, 3), torch.ones(3, 3)])
