import numpy as np
import pytest
import torch
from parity import keras, to_numpy

import ketorch
from ketorch.layers.attention import AdditiveAttention

Q_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]], bool)
V_MASK = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 0, 0]], bool)


def _close(got, expected, atol=1e-5):
    got = got if isinstance(got, (list, tuple)) else [got]
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(to_numpy(g), to_numpy(e), atol=atol, rtol=1e-5)


def _tensors(arrays):
    return [None if a is None else torch.as_tensor(a) for a in arrays]


def _inputs(rng, with_key=False):
    q = rng.standard_normal((3, 4, 6)).astype("float32")
    v = rng.standard_normal((3, 5, 6)).astype("float32")
    if with_key:
        return [q, v, rng.standard_normal((3, 5, 6)).astype("float32")]
    return [q, v]


# ------------------------------------------------------------------ contract
@pytest.mark.parametrize(
    "kwargs,n_weights", [({}, 1), ({"use_scale": False}, 0), ({"dropout": 0.2, "seed": 3}, 1)]
)
def test_contract(kwargs, n_weights, rng):
    layer = AdditiveAttention(**kwargs)
    config = layer.get_config()
    assert "score_mode" not in config
    clone = AdditiveAttention.from_config(config)
    assert clone.get_config() == config
    assert layer.supports_masking
    inputs = _tensors(_inputs(rng))
    y = layer(inputs)
    assert tuple(y.shape) == (3, 4, 6)
    sym = AdditiveAttention(**kwargs)
    out, scores = sym(
        [ketorch.Input(shape=(4, 6)), ketorch.Input(shape=(5, 6))], return_attention_scores=True
    )
    assert out.shape == (None, 4, 6)
    assert scores.shape == (None, 4, 5)
    assert len(layer.trainable_weights) == n_weights
    layer.set_weights(layer.get_weights())
    if n_weights:
        before = layer.trainable_weights[0].detach().clone()
        opt = torch.optim.SGD(layer.trainable_weights, lr=0.1)
        (layer(inputs, training=True) ** 2).mean().backward()
        opt.step()
        assert not torch.equal(before, layer.trainable_weights[0].detach())


def test_config_matches_keras_keys():
    ours = AdditiveAttention(dropout=0.1).get_config()
    theirs = keras.layers.AdditiveAttention(dropout=0.1).get_config()
    assert set(ours) == set(theirs)


# -------------------------------------------------------------------- parity
@pytest.mark.parametrize("kwargs", [{}, {"use_scale": False}, {"dropout": 0.3}])
@pytest.mark.parametrize("with_key", [False, True])
def test_parity(kwargs, with_key, rng):
    inputs = _inputs(rng, with_key)
    ours, theirs = AdditiveAttention(**kwargs), keras.layers.AdditiveAttention(**kwargs)
    ours(_tensors(inputs))
    theirs(inputs)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert [w.shape for w in ours.get_weights()] == ([(6,)] if kwargs.get("use_scale", 1) else [])
    theirs.set_weights(ours.get_weights())
    for mask in (None, [Q_MASK, V_MASK], [None, V_MASK]):
        for extra in ({}, {"use_causal_mask": True}, {"return_attention_scores": True}):
            got = ours(_tensors(inputs), mask=None if mask is None else _tensors(mask), **extra)
            _close(got, theirs(inputs, mask=mask, **extra))


def test_parity_masks_from_embedding_in_functional_model():
    def build(lib, cls):
        q_in = lib.Input(shape=(4,), dtype="int32")
        v_in = lib.Input(shape=(5,), dtype="int32")
        emb = lib.layers.Embedding(12, 6, mask_zero=True)
        out = cls()([emb(q_in), emb(v_in)], use_causal_mask=True)
        return lib.Model([q_in, v_in], out)

    ours = build(ketorch, AdditiveAttention)
    theirs = build(keras, keras.layers.AdditiveAttention)
    theirs.set_weights(ours.get_weights())
    q_tok = np.array([[1, 2, 0, 0], [3, 4, 5, 6]], "int32")
    v_tok = np.array([[7, 8, 9, 0, 0], [1, 2, 0, 0, 0]], "int32")
    _close(ours([torch.as_tensor(q_tok), torch.as_tensor(v_tok)]), theirs([q_tok, v_tok]))


# -------------------------------------------------------------------- errors
def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="dropout=-0.1"):
        AdditiveAttention(dropout=-0.1)
    with pytest.raises(ValueError, match="list of inputs"):
        AdditiveAttention()(torch.randn(2, 3, 4))
