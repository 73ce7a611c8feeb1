import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy
from rnn_testing import (
    MASK,
    assert_close,
    check_pre_and_post_padding,
    check_sgd_step,
    check_stateful,
    compare_call,
)

import ketorch
from ketorch.layers import Dense, Layer
from ketorch.layers.recurrent import rnn_ops, simple_rnn_cell
from ketorch.layers.recurrent.rnn import RNN
from ketorch.layers.recurrent.simple_rnn import SimpleRNN
from ketorch.layers.recurrent.simple_rnn_cell import SimpleRNNCell


@pytest.mark.parametrize(
    "kwargs,out_shape",
    [
        ({"units": 3}, (2, 3)),
        ({"units": 3, "return_sequences": True}, (2, 5, 3)),
        ({"units": 3, "return_state": True}, [(2, 3), (2, 3)]),
        ({"units": 3, "activation": "relu", "dropout": 0.2, "recurrent_dropout": 0.2}, (2, 3)),
    ],
)
def test_contract(kwargs, out_shape):
    run_layer_contract(
        SimpleRNN,
        kwargs,
        (2, 5, 4),
        expected_output_shape=out_shape,
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


CONFIGS = [
    {"units": 4},
    {"units": 4, "return_sequences": True},
    {"units": 4, "return_sequences": True, "return_state": True, "go_backwards": True},
    {"units": 4, "activation": "relu", "return_sequences": True},
    {"units": 4, "activation": "sigmoid", "return_state": True},  # time loop
    {"units": 4, "activation": None, "go_backwards": True},
    {"units": 4, "use_bias": False, "return_state": True},
    {"units": 4, "zero_output_for_mask": True, "return_sequences": True},
    {"units": 4, "activation": "elu", "zero_output_for_mask": True, "return_sequences": True},
]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parity_no_mask(kwargs, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    compare_layer(SimpleRNN(**kwargs), keras.layers.SimpleRNN(**kwargs), x)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parity_with_mask(kwargs, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    compare_call(SimpleRNN(**kwargs), keras.layers.SimpleRNN(**kwargs), x, mask=MASK)


@pytest.mark.parametrize("kwargs", [CONFIGS[2], CONFIGS[4]])
@pytest.mark.parametrize("masked", [False, True])
def test_parity_initial_state(kwargs, masked, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    h0 = rng.standard_normal((4, 4)).astype("float32")
    mask = MASK if masked else None
    ours, theirs = SimpleRNN(**kwargs), keras.layers.SimpleRNN(**kwargs)
    compare_call(ours, theirs, x, mask=mask, initial_state=[h0])
    # A bare tensor works too, as in Keras.
    again = ours(torch.as_tensor(x), initial_state=torch.as_tensor(h0))
    assert_close(again, theirs(x, initial_state=h0))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"return_sequences": True}, {"activation": "selu"}, {"go_backwards": True}],
)
def test_masks_from_embedding_pre_and_post_padding(kwargs, rng):
    def make(lib):
        return (SimpleRNN if lib is ketorch else lib.layers.SimpleRNN)(6, **kwargs)

    model = check_pre_and_post_padding(make, rng, not kwargs.get("return_sequences"))
    ids = torch.as_tensor(np.array([[1, 2, 0, 0, 0, 0, 0]], dtype="int32"))
    out = model.layers[-1](model.layers[0](ids))
    assert (getattr(out, "_keras_mask", None) is not None) == bool(kwargs.get("return_sequences"))


def test_stateful_over_two_batches_then_reset(rng):
    kwargs = {"units": 3, "stateful": True, "return_state": True}
    ours = SimpleRNN(**kwargs)
    _, second = check_stateful(ours, keras.layers.SimpleRNN(**kwargs), rng)
    fresh = SimpleRNN(3)
    fresh.build((2, 4, 5))
    fresh.set_weights(ours.get_weights())
    b1 = torch.randn(2, 4, 5)
    assert not np.allclose(to_numpy(second[0]), to_numpy(fresh(b1)))


def test_stateful_errors():
    with pytest.raises(ValueError, match="fixed batch size"):
        SimpleRNN(2, stateful=True).build((None, 3, 4))
    layer = SimpleRNN(2, stateful=True, name="st")
    layer(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="'st'.*Received: batch size 3"):
        layer(torch.ones(3, 3, 4))


def test_weights_layout():
    ours, theirs = SimpleRNN(8), keras.layers.SimpleRNN(8)
    ours.build((None, 5, 3))
    theirs.build((None, 5, 3))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    kernel, rec, bias = ours.get_weights()
    assert (kernel.shape, rec.shape, bias.shape) == ((3, 8), (8, 8), (8,))
    np.testing.assert_allclose(rec @ rec.T, np.eye(8), atol=1e-5)
    assert not bias.any()
    assert ours.cell.kernel is ours.weights[0]
    assert [w._keras_name for w in ours.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert ours.cell.name == "simple_rnn_cell"
    no_bias = SimpleRNN(2, use_bias=False)
    no_bias.build((None, 3, 1))
    assert len(no_bias.get_weights()) == 2


def test_config_matches_keras_and_round_trips():
    kwargs = {"units": 3, "return_sequences": True, "dropout": 0.1, "activation": "relu"}
    ours = SimpleRNN(**kwargs).get_config()
    theirs = keras.layers.SimpleRNN(**kwargs).get_config()
    assert set(theirs) <= set(ours)  # ours also keeps `seed`
    for key, value in theirs.items():
        if not isinstance(value, dict) and key != "name":
            assert ours[key] == value, key
    assert SimpleRNN.from_config(ours).get_config() == ours
    plain = {k: v for k, v in theirs.items() if not k.endswith("_initializer")}
    layer = SimpleRNN.from_config(plain)
    assert layer.return_sequences and layer.units == 3 and layer.dropout == 0.1


def test_compute_output_shape_and_mask():
    assert SimpleRNN(3).compute_output_shape((None, 7, 2)) == (None, 3)
    assert SimpleRNN(3, return_sequences=True).compute_output_shape((4, None, 2)) == (4, None, 3)
    assert SimpleRNN(3, return_state=True).compute_output_shape((None, 7, 2)) == [
        (None, 3),
        (None, 3),
    ]
    mask = torch.ones(2, 7, dtype=torch.bool)
    assert SimpleRNN(3).compute_mask(None, mask) is None
    assert SimpleRNN(3, return_sequences=True, return_state=True).compute_mask(None, mask) == [
        mask,
        None,
    ]
    out, h = SimpleRNN(3, return_sequences=True, return_state=True)(ketorch.Input(shape=(7, 2)))
    assert out.shape == (None, 7, 3) and h.shape == (None, 3)


@pytest.mark.parametrize(
    "kwargs,fused",
    [
        ({}, True),
        ({"activation": "relu"}, True),
        ({"activation": "sigmoid"}, False),
        ({"recurrent_dropout": 0.3}, False),
    ],
)
@pytest.mark.parametrize("masked", [False, True])
def test_fused_kernel_is_used_when_the_math_allows(kwargs, fused, masked, monkeypatch):
    calls = []
    real = simple_rnn_cell.fused_simple_rnn

    def spy(*args, **kw):
        calls.append(kw.get("relu"))
        return real(*args, **kw)

    monkeypatch.setattr(simple_rnn_cell, "fused_simple_rnn", spy)
    mask = torch.as_tensor(MASK) if masked else None
    SimpleRNN(3, **kwargs)(torch.randn(4, 6, 5), mask=mask, training=True)
    assert bool(calls) == fused
    if fused:
        assert calls == [kwargs.get("activation") == "relu"]


def test_dropout_only_in_training_and_seeded():
    x = torch.randn(4, 6, 5)
    layer = SimpleRNN(3, dropout=0.5, recurrent_dropout=0.3, seed=1)
    a = layer(x)
    torch.testing.assert_close(a, layer(x))
    b = layer(x, training=True)
    assert not torch.allclose(a, b)
    same = SimpleRNN(3, dropout=0.5, recurrent_dropout=0.3, seed=1)
    same.build((None, 6, 5))
    same.set_weights(layer.get_weights())
    same._generator.manual_seed(7)
    layer._generator.manual_seed(7)
    torch.testing.assert_close(same(x, training=True), layer(x, training=True))
    b.sum().backward()
    assert all(w.grad is not None for w in layer.weights)


def test_dropout_masks_are_drawn_once_per_sequence(monkeypatch):
    calls = []
    real = simple_rnn_cell.dropout_masks

    def spy(shape, rate, count, like, generator=None):
        calls.append((tuple(shape), count))
        return real(shape, rate, count, like, generator)

    monkeypatch.setattr(simple_rnn_cell, "dropout_masks", spy)
    layer = SimpleRNN(3, dropout=0.5, recurrent_dropout=0.2)
    layer(torch.randn(4, 6, 5))
    assert calls == []
    layer(torch.randn(4, 6, 5), training=True)
    assert calls == [((4, 5), None), ((4, 3), None)]


def test_input_errors_name_the_layer():
    with pytest.raises(ValueError, match="my_rnn.*expected ndim=3, found ndim=2"):
        SimpleRNN(3, name="my_rnn")(torch.ones(2, 4))
    layer = SimpleRNN(3, name="built_rnn")
    layer(torch.ones(2, 5, 4))
    with pytest.raises(ValueError, match="built_rnn"):
        layer(torch.ones(2, 5, 6))
    with pytest.raises(ValueError, match="initial_state"):
        layer(torch.ones(2, 5, 4), initial_state=[torch.zeros(2, 3), torch.zeros(2, 3)])
    with pytest.raises(ValueError, match="Received: units=0"):
        SimpleRNN(0)
    with pytest.raises(ValueError, match="Received: dropout='a'"):
        SimpleRNN(2, dropout="a")
    with pytest.raises(ValueError, match="Received: activation='nope'"):
        SimpleRNN(2, activation="nope")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_sgd_step_matches_keras_with_masks(activation, rng):
    def build(lib):
        rnn = SimpleRNN if lib is ketorch else lib.layers.SimpleRNN
        return lib.Sequential(
            [
                lib.Input(shape=(6,), dtype="int32"),
                (ketorch.layers.Embedding if lib is ketorch else lib.layers.Embedding)(
                    12, 4, mask_zero=True
                ),
                rnn(5, return_sequences=True, activation=activation),
                rnn(3, go_backwards=True),
                (Dense if lib is ketorch else lib.layers.Dense)(2),
            ]
        )

    ids = rng.integers(1, 12, (8, 6)).astype("int32")
    ids[:4, :2] = 0
    ids[4:, 4:] = 0
    check_sgd_step(build, ids, rng.standard_normal((8, 2)).astype("float32"))


def test_rnn_with_builtin_cell_matches_keras_and_layer(rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    ours = RNN(SimpleRNNCell(4), return_sequences=True, return_state=True)
    theirs = keras.layers.RNN(
        keras.layers.SimpleRNNCell(4), return_sequences=True, return_state=True
    )
    compare_call(ours, theirs, x, mask=MASK)
    assert [w._keras_name for w in ours.weights] == ["kernel", "recurrent_kernel", "bias"]
    config = ours.get_config()
    assert config["cell"]["class_name"] == "SimpleRNNCell"
    clone = RNN.from_config(config)
    assert isinstance(clone.cell, SimpleRNNCell) and clone.return_state


def test_rnn_with_custom_cell_runs_the_generic_loop(rng):
    class MinimalCell(Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
            self.recurrent_kernel = self.add_weight(
                name="recurrent_kernel", shape=(self.units, self.units), initializer="orthogonal"
            )

        def call(self, inputs, states):
            h = torch.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
            return h, [h]

    x = torch.as_tensor(rng.standard_normal((4, 6, 5)).astype("float32"))
    generic = RNN(MinimalCell(3), return_sequences=True, return_state=True)
    generic.build(x.shape)
    reference = SimpleRNN(3, use_bias=False, return_sequences=True, return_state=True)
    reference.build(x.shape)
    reference.set_weights(generic.get_weights())
    for mask in (None, torch.as_tensor(MASK)):
        assert_close(generic(x, mask=mask), reference(x, mask=mask))
    out = RNN(MinimalCell(3), zero_output_for_mask=True, return_sequences=True)(
        x, mask=torch.as_tensor(MASK)
    )
    assert not out[torch.as_tensor(~MASK)].any()


def test_rnn_errors():
    # A list of cells is not an error: as in Keras it runs as StackedRNNCells.
    assert type(RNN([SimpleRNNCell(2), SimpleRNNCell(2)]).cell).__name__ == "StackedRNNCells"
    with pytest.raises(ValueError, match="state_size"):
        RNN(Dense(2))


def test_masked_fused_ops_keep_exact_final_state():
    # The final state of a masked fused run is read back from the outputs.
    x, h0 = torch.randn(4, 6, 5), torch.randn(4, 3)
    k, rk, b = torch.randn(5, 3), torch.randn(3, 3) * 0.3, torch.randn(3)

    def run(seq, h):
        return rnn_ops.fused_simple_rnn(seq, h, k, rk, b)

    mask = torch.as_tensor(MASK)
    _, h = rnn_ops.fused_masked(run, x, mask, h0, False)
    _, h_loop = rnn_ops.generic_simple_rnn(x, h0, k, rk, b, torch.tanh, mask=mask)
    torch.testing.assert_close(h, h_loop)
    torch.testing.assert_close(h[3], h0[3])  # fully masked row keeps its initial state
