import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras, to_numpy

import ketorch
from ketorch.layers.activations import Softmax


def test_contract():
    run_layer_contract(
        Softmax, {"axis": 1}, (2, 3, 4), expected_output_shape=(2, 3, 4), supports_masking=True
    )


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_parity(axis, rng):
    x = (rng.standard_normal((2, 3, 4)) * 3).astype("float32")
    got = Softmax(axis=axis)(torch.as_tensor(x))
    expected = keras.layers.Softmax(axis=axis)(x)
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), atol=1e-6)


@pytest.mark.parametrize(
    "mask_shape,mask_dtype",
    [((2, 3, 4), "bool"), ((2, 1, 4), "bool"), ((4,), "float32"), ((2, 3, 4), "int32")],
)
def test_mask_parity(mask_shape, mask_dtype, rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    mask = (rng.random(mask_shape) > 0.4).astype(mask_dtype)
    mask[..., 0] = 1  # keep at least one position per row
    got = Softmax()(torch.as_tensor(x), mask=torch.as_tensor(mask))
    expected = keras.layers.Softmax()(x, mask=mask)
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), atol=1e-6)
    assert np.all(to_numpy(got)[np.broadcast_to(mask, x.shape) == 0] == 0)


def test_mask_from_embedding_flows_in():
    emb = ketorch.layers.Embedding(5, 4, mask_zero=True)
    tokens = torch.tensor([[1, 2, 0, 0]])
    scores = emb(tokens).sum(-1)  # (1, 4), carries no mask: pass it explicitly
    probs = Softmax()(scores, mask=tokens != 0)
    assert probs[0, 2:].abs().max() == 0
    assert torch.allclose(probs.sum(-1), torch.ones(1))


def test_config():
    assert Softmax(axis=[1, 2]).get_config()["axis"] == [1, 2]
    assert set(keras.layers.Softmax().get_config()) <= set(Softmax().get_config())


def test_errors():
    with pytest.raises(TypeError, match="Received: axis='x'"):
        Softmax(axis="x")
    with pytest.raises(ValueError, match="mask.shape"):
        Softmax()(torch.ones(2, 3), mask=torch.ones(2, 3, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask.shape"):
        Softmax()(torch.ones(2, 3), mask=torch.ones(2, 2, dtype=torch.bool))
