"""Cell dropout is honoured by every recurrent path, with Keras's semantics.

Paths: ``RNN(cell)`` (the cell's sequence kernel), stacked cells and single-step
calls (the per-step loop), and the LSTM/GRU/SimpleRNN layers.
"""

import numpy as np
import pytest
import torch

import ketorch
from ketorch.layers.recurrent import gru_cell as gru_cell_module
from ketorch.layers.recurrent import lstm_cell as lstm_cell_module
from ketorch.layers.recurrent import simple_rnn_cell as simple_cell_module

keras = pytest.importorskip("keras")

CELLS = {
    "lstm": ("LSTMCell", "LSTM", 4, lstm_cell_module),
    "gru": ("GRUCell", "GRU", 3, gru_cell_module),
    "simple": ("SimpleRNNCell", "SimpleRNN", None, simple_cell_module),
}
RATES = [
    {"dropout": 0.5},
    {"recurrent_dropout": 0.4},
    {"dropout": 0.5, "recurrent_dropout": 0.4},
]


def _wrappers(kind, rates):
    cell_name, layer_name, _, _ = CELLS[kind]
    cell = getattr(ketorch.layers, cell_name)
    return {
        "rnn": lambda lib=ketorch: lib.layers.RNN(getattr(lib.layers, cell_name)(4, **rates)),
        "stacked": lambda lib=ketorch: lib.layers.RNN(
            [getattr(lib.layers, cell_name)(4, **rates), getattr(lib.layers, cell_name)(3)]
        ),
        "layer": lambda lib=ketorch: getattr(lib.layers, layer_name)(4, **rates),
        "cell_type": cell,
    }


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("rates", RATES, ids=lambda r: "+".join(sorted(r)))
@pytest.mark.parametrize("wrapper", ["rnn", "stacked", "layer"])
def test_training_differs_and_inference_matches_keras(kind, rates, wrapper, rng):
    make = _wrappers(kind, rates)[wrapper]
    x = rng.normal(size=(6, 5, 3)).astype("float32")
    ours, theirs = make(), make(keras)
    ours.build((None, 5, 3))
    theirs.build((None, 5, 3))
    theirs.set_weights(ours.get_weights())
    xt = torch.as_tensor(x)
    inference = ours(xt, training=False)
    torch.testing.assert_close(inference, ours(xt, training=False))
    np.testing.assert_allclose(
        inference.detach().numpy(), theirs(x, training=False).detach().cpu().numpy(), atol=1e-5
    )
    trained = ours(xt, training=True)
    assert (trained - inference).abs().max() > 1e-3
    trained.sum().backward()  # the masked path is differentiable


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("wrapper", ["rnn", "stacked", "layer"])
def test_rate_zero_training_equals_inference(kind, wrapper):
    layer = _wrappers(kind, {"dropout": 0.0, "recurrent_dropout": 0.0})[wrapper]()
    x = torch.randn(4, 5, 3)
    torch.testing.assert_close(layer(x, training=True), layer(x, training=False))


@pytest.mark.parametrize("path", ["sequence", "step"])
@pytest.mark.parametrize("rate", [0.25, 0.7])
def test_drop_rate_and_one_mask_per_sequence(path, rate):
    # Identity input kernel, zero recurrence, linear activation: each output step is the
    # input dropout mask itself (kept units scaled by 1 / (1 - rate)).
    cell = ketorch.layers.SimpleRNNCell(
        64, activation="linear", use_bias=False, dropout=rate, recurrent_initializer="zeros"
    )
    layer = ketorch.layers.RNN(cell if path == "sequence" else [cell], return_sequences=True)
    layer.build((None, 6, 64))
    with torch.no_grad():
        cell.kernel.copy_(torch.eye(64))
    out = layer(torch.ones(200, 6, 64), training=True)
    # One mask per sequence: every step shows the same mask.
    torch.testing.assert_close(out, out[:, :1].expand_as(out))
    dropped = (out[:, 0] == 0).float().mean().item()
    assert abs(dropped - rate) < 0.02
    kept = out[:, 0][out[:, 0] != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1.0 / (1.0 - rate)))
    # A new sequence draws a new mask.
    again = layer(torch.ones(200, 6, 64), training=True)
    assert not torch.equal(again, out)


def _keras_masks(masks):
    if masks is None:
        return None
    return list(masks) if masks.dim() == 3 else masks


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("rates", RATES, ids=lambda r: "+".join(sorted(r)))
@pytest.mark.parametrize("path", ["sequence", "step"])
def test_exact_parity_with_keras_given_the_same_masks(kind, rates, path, rng, monkeypatch):
    cell_name, _, gates, module = CELLS[kind]
    batch, steps, features, units = 5, 4, 3, 4
    use_rec = "recurrent_dropout" in rates
    count = gates if use_rec else None

    def draw(shape, rate):
        full = shape if count is None else (count, *shape)
        keep = 1.0 - rate
        return torch.bernoulli(torch.full(full, keep)) / keep

    in_masks = draw((batch, features), rates["dropout"]) if "dropout" in rates else None
    rec_masks = None
    if use_rec:
        full = (batch, units) if gates is None else (gates, batch, units)
        keep = 1.0 - rates["recurrent_dropout"]
        rec_masks = torch.bernoulli(torch.full(full, keep)) / keep

    theirs = keras.layers.RNN(getattr(keras.layers, cell_name)(units, **rates))
    theirs.build((None, steps, features))
    ours = ketorch.layers.RNN(getattr(ketorch.layers, cell_name)(units, **rates))
    ours.build((None, steps, features))
    ours.set_weights([w + 0.1 * rng.normal(size=w.shape) for w in theirs.get_weights()])
    theirs.set_weights(ours.get_weights())
    x = rng.normal(size=(batch, steps, features)).astype("float32")

    # Keras reuses a cell's cached masks for the whole sequence.
    theirs.cell._dropout_mask = _keras_masks(in_masks)
    theirs.cell._recurrent_dropout_mask = _keras_masks(rec_masks)
    expected = theirs(x, training=True).detach().cpu().numpy()

    xt = torch.as_tensor(x)
    if path == "sequence":
        queue = [m for m in (in_masks, rec_masks) if m is not None]
        monkeypatch.setattr(module, "dropout_masks", lambda *a, **k: queue.pop(0))
        got = ours(xt, training=True)
        assert queue == []
    else:
        cell = ours.cell
        h = [torch.zeros(batch, units) for _ in range(2 if kind == "lstm" else 1)]
        for t in range(steps):
            if t == 0:
                object.__setattr__(
                    cell, "_step_masks", (in_masks, rec_masks, (xt[:, 0].shape, h[0].shape))
                )
            got, h = cell(xt[:, t], h, training=True)
        cell.reset_dropout_mask()
    np.testing.assert_allclose(got.detach().numpy(), expected, atol=1e-5)


def test_single_step_calls_reuse_masks_until_reset():
    cell = ketorch.layers.LSTMCell(4, dropout=0.5, recurrent_dropout=0.5, seed=3)
    x, h = torch.ones(8, 3), [torch.ones(8, 4), torch.zeros(8, 4)]
    a, _ = cell(x, h, training=True)
    torch.testing.assert_close(a, cell(x, h, training=True)[0])
    cell.reset_dropout_mask()
    assert not torch.equal(a, cell(x, h, training=True)[0])
    torch.testing.assert_close(cell(x, h)[0], cell(x, h, training=False)[0])
