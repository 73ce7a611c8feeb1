import numpy as np
import pytest
import torch
from parity import keras, to_numpy

import ketorch
from ketorch.layers.merging import Dot, dot

CASES = [
    (1, (2, 3), (2, 3)),
    (-1, (2, 3), (2, 3)),
    ((1, 2), (2, 3, 5), (2, 10, 3)),
    (2, (2, 4, 3), (2, 5, 3)),
    ((2, 1), (2, 4, 3), (2, 3)),
    ((1, 1), (2, 3), (2, 3, 6)),
    ((1, 3), (2, 3, 4, 5), (2, 6, 7, 3)),
    ((-1, -2), (2, 4, 3), (2, 3, 5)),
]


def test_contract():
    layer = Dot(axes=(1, 2), normalize=True, name="d")
    config = layer.get_config()
    assert config["axes"] == (1, 2) and config["normalize"] is True
    assert Dot.from_config(config).get_config() == config
    assert layer.weights == [] and layer.supports_masking


@pytest.mark.parametrize("axes,s1,s2", CASES)
@pytest.mark.parametrize("normalize", [False, True])
def test_parity(axes, s1, s2, normalize, rng):
    x1 = rng.standard_normal(s1).astype("float32")
    x2 = rng.standard_normal(s2).astype("float32")
    got = Dot(axes, normalize)([torch.as_tensor(x1), torch.as_tensor(x2)])
    expected = keras.layers.Dot(axes, normalize=normalize)([x1, x2])
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), atol=1e-5, rtol=1e-5)
    sym = Dot(axes, normalize)([ketorch.Input(s1[1:]), ketorch.Input(s2[1:])]).shape
    ref = keras.layers.Dot(axes, normalize=normalize)(
        [keras.Input(s1[1:]), keras.Input(s2[1:])]
    ).shape
    assert sym == tuple(ref) == (None,) + tuple(got.shape[1:])


def test_cosine_similarity():
    a = torch.tensor([[3.0, 4.0]])
    b = torch.tensor([[6.0, 8.0]])
    assert torch.allclose(Dot(1, normalize=True)([a, b]), torch.tensor([[1.0]]))


def test_function_form_and_no_mask():
    a, b = ketorch.Input((4, 3)), ketorch.Input((5, 3))
    model = ketorch.Model([a, b], dot([a, b], axes=2))
    x1, x2 = torch.randn(2, 4, 3), torch.randn(2, 5, 3)
    x1._keras_mask = torch.ones(2, 4, dtype=torch.bool)
    out = model([x1, x2])
    assert out.shape == (2, 4, 5)
    assert torch.allclose(out, torch.einsum("bik,bjk->bij", x1, x2), atol=1e-6)
    assert getattr(out, "_keras_mask", None) is None


def test_errors():
    with pytest.raises(TypeError, match=r"Received: axes='1'"):
        Dot("1")
    with pytest.raises(ValueError, match=r"Received: axes=\(1, 2, 3\)"):
        Dot((1, 2, 3))
    with pytest.raises(
        ValueError,
        match=r"Layer 'd' \(Dot\).*axis 1 of the first input has size 3.*"
        r"size 5.*Received: input_shape=\[\(None, 3\), \(None, 5\)\]",
    ):
        Dot(1, name="d")([ketorch.Input((3,)), ketorch.Input((5,))])
    with pytest.raises(ValueError, match=r"batch axis"):
        Dot(0)([ketorch.Input((3,)), ketorch.Input((3,))])
    with pytest.raises(ValueError, match=r"exactly 2 inputs, got 3"):
        Dot(1)([ketorch.Input((3,))] * 3)
