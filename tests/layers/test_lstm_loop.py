"""The hand-written-backward LSTM loop (``lstm_loop.py``): Keras 2's ``hard_sigmoid`` and other
activations the fused kernel lacks."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch
from ketorch import activations as A
from ketorch.layers import LSTM, Dense
from ketorch.layers.recurrent.lstm_loop import loop_lstm, supports
from ketorch.layers.recurrent.lstm_ops import generic_lstm

PAIRS = [
    (A.tanh, A.hard_sigmoid),
    (A.tanh, A.sigmoid),
    (A.linear, A.hard_sigmoid_keras2),
    (A.sigmoid, A.tanh),
]


@pytest.mark.parametrize("act, ract", PAIRS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("sequences", [True, False])
def test_outputs_and_all_gradients_equal_the_autograd_loop(act, ract, sequences):
    torch.manual_seed(0)
    b, t, d, u = 4, 7, 5, 3

    def leaf(*shape):
        return torch.randn(*shape, dtype=torch.float64, requires_grad=True)

    x, k, r, bias, h0, c0 = (
        leaf(b, t, d),
        leaf(d, 4 * u),
        leaf(u, 4 * u),
        leaf(4 * u),
        leaf(b, u),
        leaf(b, u),
    )
    weights = [torch.randn(b, t if sequences else 1, u, dtype=torch.float64)] + [
        torch.randn(b, u, dtype=torch.float64) for _ in range(2)
    ]

    def grads(fn):
        out, h, c = fn()
        if not sequences:
            out = out[:, -1:]
        loss = sum((v * w).sum() for v, w in zip((out, h, c), weights))
        return [out, h, c], torch.autograd.grad(loss, [x, k, r, bias, h0, c0])

    ref_out, ref_grads = grads(lambda: generic_lstm(x, h0, c0, k, r, bias, act, ract))
    out, got = grads(lambda: loop_lstm(x, h0, c0, k, r, bias, act, ract, sequences))
    for a, e in zip(out + list(got), ref_out + list(ref_grads)):
        np.testing.assert_allclose(a.detach(), e.detach(), atol=1e-6, rtol=1e-6)
    with torch.no_grad():  # the inference loop
        inf = loop_lstm(x, h0, c0, k, r, bias, act, ract, sequences)
    for a, e in zip(inf, out):
        np.testing.assert_allclose(a, e.detach(), atol=1e-12)


def test_unknown_activations_are_not_claimed():
    assert supports(A.tanh, A.hard_sigmoid)
    assert not supports(A.gelu, A.sigmoid)
    assert not supports(A.tanh, lambda x: x)


def test_keras2_hard_sigmoid_model_trains_like_keras(rng):
    def build(lib, lstm_cls, dense_cls):
        return lib.Sequential(
            [
                lib.Input(shape=(6, 3)),
                lstm_cls(5, return_sequences=True, recurrent_activation="hard_sigmoid"),
                lstm_cls(4, recurrent_activation="hard_sigmoid", go_backwards=True),
                dense_cls(1),
            ]
        )

    ketorch.utils.set_random_seed(0)
    ours = build(ketorch, LSTM, Dense)
    theirs = build(keras, keras.layers.LSTM, keras.layers.Dense)
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((16, 6, 3)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    histories = []
    for m in (ours, theirs):
        m.compile("rmsprop", "mse")
        histories.append(m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history)
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], atol=1e-5, rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5)
