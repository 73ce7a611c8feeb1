"""Shared checks for the recurrent layer tests (SimpleRNN, GRU, Bidirectional)."""

from __future__ import annotations

import numpy as np
import torch
from parity import keras, to_numpy

import ketorch

MASK = np.array(
    [
        [1, 1, 1, 1, 0, 0],  # post-padded
        [0, 0, 1, 1, 1, 1],  # pre-padded
        [1, 0, 1, 0, 1, 1],  # holes
        [0, 0, 0, 0, 0, 0],  # fully masked
    ],
    dtype=bool,
)


def assert_close(got, expected, atol=1e-5):
    got = list(got) if isinstance(got, (list, tuple)) else [got]
    expected = list(expected) if isinstance(expected, (list, tuple)) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(to_numpy(g), to_numpy(e), atol=atol, rtol=1e-5)


def compare_call(ours, theirs, x, mask=None, initial_state=None, atol=1e-5):
    """Call ``ours`` on ``x``, copy its weights into the Keras twin and compare."""
    as_t = None if initial_state is None else [torch.as_tensor(s) for s in initial_state]
    got = ours(
        torch.as_tensor(x),
        mask=None if mask is None else torch.as_tensor(mask),
        initial_state=as_t,
    )
    theirs.build(x.shape)
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in ours.get_weights()]
    theirs.set_weights(ours.get_weights())
    kwargs = {} if initial_state is None else {"initial_state": list(initial_state)}
    assert_close(got, theirs(x, mask=mask, **kwargs), atol=atol)
    return got


def embed_model(lib, make_rnn, length=7):
    """``Input(int) -> Embedding(mask_zero=True) -> make_rnn(lib)``."""
    embedding = ketorch.layers.Embedding if lib is ketorch else lib.layers.Embedding
    return lib.Sequential(
        [lib.Input(shape=(length,), dtype="int32"), embedding(20, 5, mask_zero=True), make_rnn(lib)]
    )


def check_pre_and_post_padding(make_rnn, rng, final_only):
    """Masks from Embedding(mask_zero=True): equal to Keras for pre and post padding."""
    ours, theirs = embed_model(ketorch, make_rnn), embed_model(keras, make_rnn)
    theirs.set_weights(ours.get_weights())
    tokens = rng.integers(1, 20, (3, 4))
    post, pre = np.zeros((3, 7), "int32"), np.zeros((3, 7), "int32")
    post[:, :4] = tokens
    pre[:, 3:] = tokens
    for ids in (pre, post):
        assert_close(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0))
    if final_only:
        # The padding side does not change the final output, as in Keras.
        assert_close(ours.predict(pre, verbose=0), ours.predict(post, verbose=0))
    return ours


def check_sgd_step(build, x, y):
    """One full-batch SGD step in both libraries from the same weights ends equal."""
    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    for m in (ours, theirs):
        m.compile("sgd", "mse")
        m.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


def check_stateful(ours, theirs, rng, batch=2, features=5):
    """Two stateful batches then reset_states, as Keras (states carried, then zeroed)."""
    ours.build((batch, 4, features))
    theirs.build((batch, 4, features))
    theirs.set_weights(ours.get_weights())
    b0, b1 = (rng.standard_normal((batch, 4, features)).astype("float32") for _ in range(2))
    first = ours(torch.as_tensor(b0))
    assert_close(first, theirs(b0))
    second = ours(torch.as_tensor(b1))
    assert_close(second, theirs(b1))
    ours.reset_states()
    theirs.reset_states()
    assert_close(ours(torch.as_tensor(b0)), first)
    theirs(b0)
    x = rng.standard_normal((batch, 6, features)).astype("float32")
    assert_close(
        ours(torch.as_tensor(x), mask=torch.as_tensor(MASK[:batch])), theirs(x, mask=MASK[:batch])
    )
    assert_close(ours(torch.as_tensor(x)), theirs(x))
    return first, second
