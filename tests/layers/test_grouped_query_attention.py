import numpy as np
import pytest
import torch
from model_parity import DIRECTIONS, assert_close, file_round_trip, fit_parity
from parity import keras, to_numpy

import ketorch
from ketorch.layers import GroupQueryAttention


def _pair(rng, **kwargs):
    """Our layer and Keras's, built on (2, 3, 6) queries and (2, 5, 6) values, same weights."""
    kwargs = {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, **kwargs}
    ours, theirs = GroupQueryAttention(**kwargs), keras.layers.GroupQueryAttention(**kwargs)
    ours.build((None, 3, 6), (None, 5, 6))
    theirs.build((None, 3, 6), (None, 5, 6))
    weights = [w + 0.1 * rng.standard_normal(w.shape).astype("float32") for w in ours.get_weights()]
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def _call_both(ours, theirs, args, **kwargs):
    got = ours(*[torch.as_tensor(a) for a in args], **kwargs)
    expected = theirs(*args, **kwargs)
    assert_close(list(got) if isinstance(got, tuple) else got,
                 list(expected) if isinstance(expected, tuple) else expected)  # fmt: skip
    return got


@pytest.mark.parametrize(
    "layer_kwargs",
    [
        {},
        {"num_key_value_heads": 1},
        {"num_key_value_heads": 4},
        {"use_bias": False},
        {"use_gate": True},
        {"sliding_window": 2},
    ],
)
@pytest.mark.parametrize(
    "call_kwargs", [{}, {"return_attention_scores": True}, {"use_causal_mask": True}]
)
def test_parity(layer_kwargs, call_kwargs, rng):
    ours, theirs = _pair(rng, **layer_kwargs)
    q = rng.standard_normal((2, 3, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    k = rng.standard_normal((2, 5, 6)).astype("float32")
    _call_both(ours, theirs, (q, v), **call_kwargs)
    _call_both(ours, theirs, (q, v, k), **call_kwargs)


@pytest.mark.parametrize("scores", [False, True])
def test_masks_match_keras(scores, rng):
    ours, theirs = _pair(rng)
    q = rng.standard_normal((2, 3, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    attention_mask = rng.random((2, 3, 5)) > 0.3
    attention_mask[1, 2] = False  # a fully masked query row
    _call_both(ours, theirs, (q, v), attention_mask=attention_mask, return_attention_scores=scores)
    q_mask = np.array([[1, 1, 0], [1, 0, 1]], bool)
    v_mask = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1]], bool)
    _call_both(ours, theirs, (q, v), query_mask=q_mask, value_mask=v_mask,
               return_attention_scores=scores, use_causal_mask=True)  # fmt: skip


def test_keras_masks_of_the_inputs_are_used(rng):
    """Masks from Embedding(mask_zero=True) reach the attention, as in Keras."""

    def build(lib):
        tokens = lib.Input((5,), dtype="int32")
        h = lib.layers.Embedding(10, 6, mask_zero=True)(tokens)
        h = lib.layers.GroupQueryAttention(3, 4, 2)(h, h)
        return lib.Model(tokens, lib.layers.GlobalAveragePooling1D()(h))

    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0], [1, 2, 3, 4, 5]], "int32")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    layer = GroupQueryAttention(3, 4, 2)
    h = torch.randn(3, 5, 6)
    h._keras_mask = torch.as_tensor(x != 0)
    out = layer(h, h)
    assert torch.equal(out._keras_mask, h._keras_mask)


def test_dropout_only_in_training(rng):
    layer = GroupQueryAttention(4, 4, 2, dropout=0.5, seed=1)
    q = torch.randn(2, 3, 6)
    a, b = layer(q, q), layer(q, q)
    assert torch.equal(a, b)
    assert not torch.allclose(layer(q, q, training=True), a)
    # Without dropout in training the result equals inference.
    plain = GroupQueryAttention(4, 4, 2)
    plain(q, q)
    plain.set_weights(layer.get_weights())
    torch.testing.assert_close(plain(q, q, training=True), a)


def test_symbolic_shapes_and_build_config():
    q, v = ketorch.Input((3, 6)), ketorch.Input((5, 6))
    out, scores = GroupQueryAttention(4, 8, 2)(q, v, return_attention_scores=True)
    assert tuple(out.shape) == (None, 3, 6) and tuple(scores.shape) == (None, 8, 3, 5)
    layer = GroupQueryAttention(4, 8, 2)
    layer.build((None, 3, 6), (None, 5, 6))
    clone = GroupQueryAttention.from_config(layer.get_config())
    clone.build_from_config(layer.get_build_config())
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in layer.get_weights()]


def test_config_matches_keras():
    kwargs = dict(head_dim=4, num_query_heads=4, num_key_value_heads=2, sliding_window=3)
    ours = GroupQueryAttention(**kwargs).get_config()
    theirs = keras.layers.GroupQueryAttention(**kwargs).get_config()
    assert set(ours) == set(theirs)
    for key in kwargs:
        assert ours[key] == theirs[key]
    assert keras.layers.deserialize(ketorch.layers.serialize(GroupQueryAttention(**kwargs)))


def test_errors():
    with pytest.raises(ValueError, match="divisible by `num_key_value_heads`"):
        GroupQueryAttention(4, 6, 4)
    with pytest.raises(ValueError, match="sliding_window"):
        GroupQueryAttention(4, 4, 2, sliding_window=0)
    with pytest.raises(ValueError, match="Dropout is not supported when flash attention"):
        GroupQueryAttention(4, 4, 2, dropout=0.1, flash_attention=True)
    with pytest.raises(ValueError, match="last dimension of `query_shape` and `value_shape`"):
        GroupQueryAttention(4, 4, 2)(torch.ones(1, 2, 3), torch.ones(1, 2, 4))


def _model(lib):
    q, v = lib.Input((4, 6)), lib.Input((5, 6))
    h = lib.layers.GroupQueryAttention(3, 4, 2, use_gate=True)(q, v)
    return lib.Model([q, v], lib.layers.Dense(1)(h))


def _data(rng):
    x = [rng.standard_normal((16, 4, 6)).astype("float32"),
         rng.standard_normal((16, 5, 6)).astype("float32")]  # fmt: skip
    return x, rng.standard_normal((16, 4, 1)).astype("float32")


def test_training_matches_keras(rng):
    x, y = _data(rng)
    ours, _ = fit_parity(_model, x, y, epochs=2)
    assert to_numpy(ours.predict(x, verbose=0)).shape == (16, 4, 1)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_keras_file_round_trip(direction, tmp_path, rng):
    x, y = _data(rng)
    file_round_trip(_model, x, y, tmp_path, direction)
