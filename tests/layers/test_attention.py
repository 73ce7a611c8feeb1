import numpy as np
import pytest
import torch
from parity import keras, to_numpy

import ketorch
from ketorch.layers.attention import Attention

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


def _pair(cls, keras_cls, kwargs, inputs, perturb=0.25):
    """Build both layers; give ours non-default weights and copy them into Keras's."""
    ours, theirs = cls(**kwargs), keras_cls(**kwargs)
    ours(_tensors(inputs))
    theirs(inputs)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    weights = [w + perturb for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def _compare(ours, theirs, inputs, mask=None, **kwargs):
    ours_mask = None if mask is None else _tensors(mask)
    got = ours(_tensors(inputs), mask=ours_mask, **kwargs)
    expected = theirs(inputs, mask=mask, **kwargs)
    _close(got, expected)
    return got


def _inputs(rng, with_key=False, dim=4):
    q = rng.standard_normal((3, 4, dim)).astype("float32")
    v = rng.standard_normal((3, 5, dim)).astype("float32")
    if with_key:
        return [q, v, rng.standard_normal((3, 5, dim)).astype("float32")]
    return [q, v]


# ------------------------------------------------------------------ contract
@pytest.mark.parametrize(
    "kwargs,n_weights",
    [
        ({}, 0),
        ({"use_scale": True}, 1),
        ({"score_mode": "concat"}, 1),
        ({"use_scale": True, "score_mode": "concat", "dropout": 0.2, "seed": 1}, 2),
    ],
)
def test_contract(kwargs, n_weights, rng):
    layer = Attention(**kwargs)
    config = layer.get_config()
    clone = Attention.from_config(config)
    assert clone.get_config() == config
    assert layer.supports_masking
    inputs = _tensors(_inputs(rng))
    y = layer(inputs)
    assert tuple(y.shape) == (3, 4, 4)
    sym = Attention(**kwargs)
    out, scores = sym(
        [ketorch.Input(shape=(4, 4)), ketorch.Input(shape=(5, 4))], return_attention_scores=True
    )
    assert out.shape == (None, 4, 4)
    assert scores.shape == (None, 4, 5)
    assert len(layer.trainable_weights) == n_weights
    assert layer.non_trainable_weights == []
    layer.set_weights(layer.get_weights())
    if n_weights:
        before = [w.detach().clone() for w in layer.trainable_weights]
        opt = torch.optim.SGD(layer.trainable_weights, lr=0.1)
        (layer(inputs, training=True) ** 2).mean().backward()
        opt.step()
        assert any(not torch.equal(b, w.detach()) for b, w in zip(before, layer.trainable_weights))


def test_weight_shapes_match_keras(rng):
    ours, theirs = _pair(
        Attention, keras.layers.Attention, {"use_scale": True, "score_mode": "concat"}, _inputs(rng)
    )
    assert [w.shape for w in ours.get_weights()] == [(), ()]
    assert [w._keras_name for w in ours.weights] == [w.name for w in theirs.weights]


# -------------------------------------------------------------------- parity
CONFIGS = [
    {},
    {"use_scale": True},
    {"score_mode": "concat"},
    {"score_mode": "concat", "use_scale": True},
    {"dropout": 0.3},
]


@pytest.mark.parametrize("kwargs", CONFIGS)
@pytest.mark.parametrize("with_key", [False, True])
def test_parity(kwargs, with_key, rng):
    inputs = _inputs(rng, with_key)
    ours, theirs = _pair(Attention, keras.layers.Attention, kwargs, inputs)
    _compare(ours, theirs, inputs)
    _compare(ours, theirs, inputs, use_causal_mask=True)
    _compare(ours, theirs, inputs, return_attention_scores=True)
    _compare(ours, theirs, inputs, mask=[Q_MASK, V_MASK])
    _compare(ours, theirs, inputs, mask=[Q_MASK, V_MASK], return_attention_scores=True)
    _compare(ours, theirs, inputs, mask=[None, V_MASK], use_causal_mask=True)
    _compare(
        ours,
        theirs,
        inputs,
        mask=[Q_MASK, V_MASK],
        use_causal_mask=True,
        return_attention_scores=True,
    )


def test_parity_value_dim_differs_from_query(rng):
    q = rng.standard_normal((2, 3, 4)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    k = rng.standard_normal((2, 5, 4)).astype("float32")
    ours, theirs = _pair(Attention, keras.layers.Attention, {"use_scale": True}, [q, v, k])
    out = _compare(ours, theirs, [q, v, k])
    assert tuple(out.shape) == (2, 3, 6)


def test_parity_masks_from_embedding_in_functional_model(rng):
    def build(lib, cls):
        q_in = lib.Input(shape=(4,), dtype="int32")
        v_in = lib.Input(shape=(5,), dtype="int32")
        emb = lib.layers.Embedding(12, 6, mask_zero=True)
        out = cls(use_scale=True)([emb(q_in), emb(v_in)])
        return lib.Model([q_in, v_in], out)

    ours = build(ketorch, Attention)
    theirs = build(keras, keras.layers.Attention)
    weights = [w + 0.5 for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    q_tok = np.array([[1, 2, 0, 0], [3, 4, 5, 6]], "int32")
    v_tok = np.array([[7, 8, 9, 0, 0], [1, 0, 0, 0, 0]], "int32")
    got = ours([torch.as_tensor(q_tok), torch.as_tensor(v_tok)])
    _close(got, theirs([q_tok, v_tok]))
    np.testing.assert_array_equal(to_numpy(got._keras_mask), q_tok != 0)


def test_query_mask_zeroes_output_and_scores_are_distributions(rng):
    inputs = _tensors(_inputs(rng))
    out, scores = Attention()(inputs, mask=_tensors([Q_MASK, V_MASK]), return_attention_scores=True)
    assert torch.all(out[~torch.as_tensor(Q_MASK)] == 0)
    torch.testing.assert_close(scores.sum(-1), torch.ones(3, 4))
    assert torch.all(scores[~torch.as_tensor(V_MASK)[:, None, :].expand(3, 4, 5)] < 1e-8)


def test_dropout_only_in_training(rng):
    inputs = _tensors(_inputs(rng))
    layer = Attention(dropout=0.5)
    torch.testing.assert_close(layer(inputs), layer(inputs, training=False))
    assert not torch.allclose(layer(inputs, training=True), layer(inputs))
    a, b = Attention(dropout=0.5, seed=2), Attention(dropout=0.5, seed=2)
    torch.testing.assert_close(a(inputs, training=True), b(inputs, training=True))


# -------------------------------------------------------------------- errors
def test_bad_arguments():
    with pytest.raises(ValueError, match="score_mode='add'"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match="dropout=2"):
        Attention(dropout=2)


def test_bad_inputs(rng):
    q = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="list of inputs"):
        Attention()(q)
    with pytest.raises(ValueError, match=r"len\(inputs\)=1"):
        Attention()([q])
    with pytest.raises(ValueError, match=r"len\(mask\)=1"):
        Attention()([q, q], mask=[None])
