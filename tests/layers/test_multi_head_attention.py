import numpy as np
import pytest
import torch
from parity import keras, to_numpy

import ketorch
from ketorch.layers.attention import MultiHeadAttention

ATOL = 1e-5


def _close(got, expected, atol=ATOL):
    got = got if isinstance(got, (list, tuple)) else [got]
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(to_numpy(g), to_numpy(e), atol=atol, rtol=1e-5)


def _pair(kwargs, q, v, k=None):
    """Build ours and Keras's on the same inputs; copy our weights into Keras's."""
    ours = MultiHeadAttention(**kwargs)
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    t = [None if a is None else torch.as_tensor(a) for a in (q, v, k)]
    ours(t[0], t[1], key=t[2])
    theirs(q, v, key=k)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def _compare(ours, theirs, q, v, k=None, **call_kwargs):
    t = [None if a is None else torch.as_tensor(a) for a in (q, v, k)]
    ours_kwargs = {
        n: torch.as_tensor(a) if isinstance(a, np.ndarray) else a for n, a in call_kwargs.items()
    }
    got = ours(t[0], t[1], key=t[2], **ours_kwargs)
    expected = theirs(q, v, key=k, **call_kwargs)
    _close(got, expected)
    return got


# ------------------------------------------------------------------ contract
@pytest.mark.parametrize(
    "kwargs,n_weights",
    [
        ({"num_heads": 2, "key_dim": 4}, 8),
        ({"num_heads": 3, "key_dim": 2, "value_dim": 5, "use_bias": False}, 4),
        ({"num_heads": 2, "key_dim": 4, "output_shape": 7, "dropout": 0.1}, 8),
        ({"num_heads": 2, "key_dim": 4, "use_gate": True}, 10),
    ],
)
def test_contract(kwargs, n_weights):
    layer = MultiHeadAttention(**kwargs)
    config = layer.get_config()
    clone = MultiHeadAttention.from_config(config)
    assert clone.get_config() == config
    assert layer.supports_masking
    q, v = torch.randn(2, 5, 6), torch.randn(2, 3, 4)
    y = layer(q, v)
    out_dim = kwargs.get("output_shape", 6)
    assert tuple(y.shape) == (2, 5, out_dim)
    # Symbolic shapes agree with the real output.
    sym = MultiHeadAttention(**kwargs)
    out, scores = sym(
        ketorch.Input(shape=(5, 6)), ketorch.Input(shape=(3, 4)), return_attention_scores=True
    )
    assert out.shape == (None, 5, out_dim)
    assert scores.shape == (None, kwargs["num_heads"], 5, 3)
    assert len(layer.trainable_weights) == n_weights
    assert layer.non_trainable_weights == []
    assert all(isinstance(w, torch.nn.Parameter) for w in layer.weights)
    weights = layer.get_weights()
    layer.set_weights(weights)
    for a, b in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    # One training step changes every weight.
    before = [w.detach().clone() for w in layer.trainable_weights]
    opt = torch.optim.SGD(layer.trainable_weights, lr=0.1)
    (layer(q, v, training=True) ** 2).mean().backward()
    opt.step()
    assert all(not torch.equal(b, w.detach()) for b, w in zip(before, layer.trainable_weights))


def test_weight_names_and_order_match_keras():
    kwargs = {"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": (5, 6)}
    q = np.zeros((1, 7, 8), "float32")
    v = np.zeros((1, 9, 10), "float32")
    ours, theirs = _pair(kwargs, q, v)
    assert [w.shape for w in ours.get_weights()] == [
        (8, 2, 3),
        (2, 3),
        (10, 2, 3),
        (2, 3),
        (10, 2, 4),
        (2, 4),
        (2, 4, 5, 6),
        (5, 6),
    ]
    names = [f"{w._keras_layer_name}/{w._keras_name}" for w in ours.weights]
    assert names == [w.path.split("/", 1)[1] for w in theirs.weights]


def test_build_config_round_trip():
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    layer(torch.randn(2, 4, 5), torch.randn(2, 6, 7))
    clone = MultiHeadAttention.from_config(layer.get_config())
    clone.build_from_config(layer.get_build_config())
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in layer.get_weights()]


# -------------------------------------------------------------------- parity
CONFIGS = [
    {"num_heads": 2, "key_dim": 4},
    {"num_heads": 3, "key_dim": 2, "value_dim": 5},
    {"num_heads": 2, "key_dim": 4, "output_shape": 3},
    {"num_heads": 2, "key_dim": 4, "output_shape": (2, 3)},
    {"num_heads": 1, "key_dim": 8, "use_bias": False},
    {"num_heads": 2, "key_dim": 4, "dropout": 0.3},  # Keras's explicit-softmax path
    {"num_heads": 2, "key_dim": 4, "use_gate": True},
    {"num_heads": 2, "key_dim": 4, "sliding_window": 2},
]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parity_self_attention(kwargs, rng):
    x = rng.standard_normal((3, 5, 6)).astype("float32")
    ours, theirs = _pair(kwargs, x, x)
    _compare(ours, theirs, x, x)
    _compare(ours, theirs, x, x, use_causal_mask=True)
    _compare(ours, theirs, x, x, return_attention_scores=True)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parity_cross_attention_with_key(kwargs, rng):
    q = rng.standard_normal((3, 5, 6)).astype("float32")
    v = rng.standard_normal((3, 7, 4)).astype("float32")
    k = rng.standard_normal((3, 7, 9)).astype("float32")
    ours, theirs = _pair(kwargs, q, v, k)
    _compare(ours, theirs, q, v, k)
    _compare(ours, theirs, q, v, k, use_causal_mask=True)
    _compare(ours, theirs, q, v, k, return_attention_scores=True)


def test_parity_attention_mask(rng):
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    mask = rng.random((2, 4, 5)) > 0.4
    mask[0, 1] = False  # a fully masked query row
    ours, theirs = _pair({"num_heads": 2, "key_dim": 3}, q, v)
    _compare(ours, theirs, q, v, attention_mask=mask)
    _compare(ours, theirs, q, v, attention_mask=mask, return_attention_scores=True)
    _compare(ours, theirs, q, v, attention_mask=mask, use_causal_mask=True)
    _compare(ours, theirs, q, v, attention_mask=mask.astype("float32"))


def test_parity_explicit_value_and_key_masks(rng):
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    k_mask = np.array([[1, 0, 1, 1, 1], [1, 1, 0, 1, 1]], bool)
    ours, theirs = _pair({"num_heads": 2, "key_dim": 3}, q, v, v)
    _compare(ours, theirs, q, v, v, value_mask=v_mask, key_mask=k_mask)
    _compare(ours, theirs, q, v, v, value_mask=v_mask, return_attention_scores=True)


@pytest.mark.parametrize("axes", [None, (2,), (1, 2), -2])
def test_parity_attention_axes(axes, rng):
    x = rng.standard_normal((2, 3, 4, 6)).astype("float32")
    ours, theirs = _pair({"num_heads": 2, "key_dim": 3, "attention_axes": axes}, x, x)
    _compare(ours, theirs, x, x)
    out, scores = _compare(ours, theirs, x, x, return_attention_scores=True)
    sym = MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=axes)
    kt = ketorch.Input(shape=(3, 4, 6))
    _, sym_scores = sym(kt, kt, return_attention_scores=True)
    assert sym_scores.shape[1:] == tuple(scores.shape)[1:]


def test_scores_are_distributions_and_respect_causal_mask(rng):
    x = torch.as_tensor(rng.standard_normal((2, 4, 6)).astype("float32"))
    mha = MultiHeadAttention(num_heads=2, key_dim=3)
    _, scores = mha(x, x, return_attention_scores=True, use_causal_mask=True)
    assert tuple(scores.shape) == (2, 2, 4, 4)
    torch.testing.assert_close(scores.sum(-1), torch.ones(2, 2, 4))
    assert torch.all(scores.triu(1) < 1e-8)


def test_fused_and_explicit_paths_agree(rng):
    q = torch.as_tensor(rng.standard_normal((2, 5, 6)).astype("float32"))
    v = torch.as_tensor(rng.standard_normal((2, 7, 6)).astype("float32"))
    mask = rng.random((2, 5, 7)) > 0.3
    mask[:, :, 0] = True  # no fully masked row: there the two paths differ, as in Keras
    mask = torch.as_tensor(mask)
    mha = MultiHeadAttention(num_heads=2, key_dim=3)
    for kw in ({}, {"attention_mask": mask}, {"use_causal_mask": True}):
        fused = mha(q, v, **kw)
        explicit, _ = mha(q, v, return_attention_scores=True, **kw)
        torch.testing.assert_close(fused, explicit, atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------------- dropout
def test_dropout_only_in_training(rng):
    x = torch.as_tensor(rng.standard_normal((4, 6, 8)).astype("float32"))
    mha = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5)
    torch.testing.assert_close(mha(x, x), mha(x, x, training=False))
    assert not torch.allclose(mha(x, x, training=True), mha(x, x))


def test_seeded_dropout_is_reproducible(rng):
    x = torch.as_tensor(rng.standard_normal((4, 6, 8)).astype("float32"))
    a = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=3)
    b = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=3)
    a(x, x)
    b(x, x)
    b.set_weights(a.get_weights())
    torch.testing.assert_close(a(x, x, training=True), b(x, x, training=True))


# ------------------------------------------------------------ masks / models
def _mha_class(lib):
    return MultiHeadAttention if lib is ketorch else lib.layers.MultiHeadAttention


def _embedding_mha_models(kwargs, call_kwargs, vocab=10, dim=6, steps=5):
    def build(lib):
        tokens = lib.Input(shape=(steps,), dtype="int32")
        x = lib.layers.Embedding(vocab, dim, mask_zero=True)(tokens)
        out = _mha_class(lib)(**kwargs)(x, x, **call_kwargs)
        return lib.Model(tokens, out)

    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


@pytest.mark.parametrize("call_kwargs", [{}, {"use_causal_mask": True}])
def test_parity_masks_from_embedding_in_functional_model(call_kwargs):
    tokens = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5], [7, 0, 0, 0, 0]], "int32")
    ours, theirs = _embedding_mha_models({"num_heads": 2, "key_dim": 3}, call_kwargs)
    got = ours(torch.as_tensor(tokens))
    _close(got, theirs(tokens))
    # The query's mask travels on to the output, as in Keras.
    np.testing.assert_array_equal(to_numpy(got._keras_mask), tokens != 0)


def test_masks_from_embedding_eager_cross_attention(rng):
    emb = ketorch.layers.Embedding(10, 6, mask_zero=True)
    k_emb = keras.layers.Embedding(10, 6, mask_zero=True)
    q_tok = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    v_tok = np.array([[4, 5, 6, 0], [7, 8, 0, 0]], "int32")
    q, v = emb(torch.as_tensor(q_tok)), emb(torch.as_tensor(v_tok))
    k_emb(q_tok)
    k_emb.set_weights(emb.get_weights())
    kq, kv = k_emb(q_tok), k_emb(v_tok)
    ours, theirs = _pair({"num_heads": 2, "key_dim": 3}, to_numpy(q), to_numpy(v))
    got = ours(q, v, return_attention_scores=True)
    expected = theirs(kq, kv, return_attention_scores=True)
    _close(got, expected)


def _transformer_block(lib, use_norm, vocab=20, dim=8, steps=6):
    tokens = lib.Input(shape=(steps,), dtype="int32")
    x = lib.layers.Embedding(vocab, dim, mask_zero=True)(tokens)
    attn = _mha_class(lib)(num_heads=2, key_dim=4)(x, x)
    add = getattr(lib.layers, "Add", None)
    h = add()([x, attn]) if add is not None else x + attn
    if use_norm:
        h = lib.layers.LayerNormalization()(h)
    out = lib.layers.Dense(3)(h)
    return lib.Model(tokens, out)


def test_parity_transformer_block(rng):
    use_norm = hasattr(ketorch.layers, "LayerNormalization")
    ours = _transformer_block(ketorch, use_norm)
    theirs = _transformer_block(keras, use_norm)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    tokens = rng.integers(1, 20, size=(4, 6)).astype("int32")
    tokens[0, 4:] = 0
    tokens[2, 1:] = 0
    _close(ours(torch.as_tensor(tokens)), theirs(tokens))
    _close(ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0))


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"num_heads": 0, "key_dim": 2}, "num_heads=0"),
        ({"num_heads": 2, "key_dim": -1}, "key_dim=-1"),
        ({"num_heads": 2, "key_dim": 2, "value_dim": 0}, "value_dim=0"),
        ({"num_heads": 2, "key_dim": 2, "dropout": 1.5}, "dropout=1.5"),
        ({"num_heads": 2, "key_dim": 2, "output_shape": "x"}, "output_shape='x'"),
        ({"num_heads": 2, "key_dim": 2, "attention_axes": "a"}, "attention_axes='a'"),
        ({"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window=0"),
        ({"num_heads": 2, "key_dim": 2, "dropout": 0.1, "flash_attention": True}, "dropout=0.1"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match="value_shape"):
        MultiHeadAttention(2, 2)(torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 6, 4))
    with pytest.raises(ValueError, match="attention_axes"):
        MultiHeadAttention(2, 2, attention_axes=3)(torch.randn(2, 3, 4), torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="return_attention_scores"):
        x = torch.randn(2, 3, 4)
        MultiHeadAttention(2, 2, flash_attention=True)(x, x, return_attention_scores=True)
