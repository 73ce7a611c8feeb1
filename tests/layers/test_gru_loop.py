"""The hand-written-backward GRU loop (``gru_loop.py``)."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch
from ketorch import activations as A
from ketorch.layers import GRU, Dense
from ketorch.layers.recurrent.gru_loop import loop_gru
from ketorch.layers.recurrent.rnn_ops import generic_gru

PAIRS = [(A.tanh, A.hard_sigmoid), (A.tanh, A.sigmoid), (A.linear, A.hard_sigmoid_keras2)]


@pytest.mark.parametrize("act, ract", PAIRS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_outputs_and_all_gradients_equal_the_autograd_loop(act, ract, sequences, use_bias):
    torch.manual_seed(0)
    b, t, d, u = 4, 7, 5, 3

    def leaf(*shape):
        return torch.randn(*shape, dtype=torch.float64, requires_grad=True)

    x, k, r, h0 = leaf(b, t, d), leaf(d, 3 * u), leaf(u, 3 * u), leaf(b, u)
    bias = leaf(2, 3 * u) if use_bias else None
    inputs = [x, k, r, h0] + ([bias] if use_bias else [])
    w_out = torch.randn(b, t if sequences else 1, u, dtype=torch.float64)
    w_h = torch.randn(b, u, dtype=torch.float64)

    def grads(fn):
        out, h = fn()
        loss = (out * w_out).sum() + (h * w_h).sum()
        return [out, h], torch.autograd.grad(loss, inputs)

    ref, ref_grads = grads(
        lambda: generic_gru(x, h0, k, r, bias, act, ract, return_sequences=sequences)
    )
    got, got_grads = grads(lambda: loop_gru(x, h0, k, r, bias, act, ract, sequences))
    for a, e in zip(got + list(got_grads), ref + list(ref_grads)):
        np.testing.assert_allclose(a.detach(), e.detach(), atol=1e-6, rtol=1e-6)
    with torch.no_grad():
        inference = loop_gru(x, h0, k, r, bias, act, ract, sequences)
    for a, e in zip(inference, got):
        np.testing.assert_allclose(a, e.detach(), atol=1e-12)


@pytest.mark.parametrize("recurrent_activation", ["sigmoid", "hard_sigmoid"])
def test_gru_model_trains_like_keras(recurrent_activation, rng):
    def build(lib, gru_cls, dense_cls):
        return lib.Sequential(
            [
                lib.Input(shape=(6, 3)),
                gru_cls(5, return_sequences=True, recurrent_activation=recurrent_activation),
                gru_cls(4, recurrent_activation=recurrent_activation, use_bias=False),
                dense_cls(1),
            ]
        )

    ketorch.utils.set_random_seed(0)
    ours = build(ketorch, GRU, Dense)
    theirs = build(keras, keras.layers.GRU, keras.layers.Dense)
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((16, 6, 3)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    histories = []
    for m in (ours, theirs):
        m.compile("adam", "mse")
        histories.append(m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history)
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], atol=1e-5, rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
