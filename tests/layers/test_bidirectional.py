import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras, to_numpy
from rnn_testing import MASK, assert_close, check_pre_and_post_padding, check_sgd_step

import ketorch
from ketorch.layers import Dense
from ketorch.layers.recurrent.bidirectional import Bidirectional
from ketorch.layers.recurrent.gru import GRU
from ketorch.layers.recurrent.lstm import LSTM
from ketorch.layers.recurrent.simple_rnn import SimpleRNN

OURS = {"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}


def _pair(kind, merge_mode="concat", **kwargs):
    ours = Bidirectional(OURS[kind](4, **kwargs), merge_mode=merge_mode)
    theirs = keras.layers.Bidirectional(
        getattr(keras.layers, kind)(4, **kwargs), merge_mode=merge_mode
    )
    return ours, theirs


def _compare(ours, theirs, x, mask=None, initial_state=None):
    got = ours(
        torch.as_tensor(x),
        mask=None if mask is None else torch.as_tensor(mask),
        initial_state=None
        if initial_state is None
        else [torch.as_tensor(s) for s in initial_state],
    )
    theirs.build(x.shape)
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in ours.get_weights()]
    theirs.set_weights(ours.get_weights())
    kwargs = {} if initial_state is None else {"initial_state": list(initial_state)}
    expected = theirs(x, mask=mask, **kwargs)
    assert_close(got, expected)
    return got


def test_contract():
    run_layer_contract(
        Bidirectional,
        {"layer": LSTM(3, return_sequences=True)},
        (2, 5, 4),
        expected_output_shape=(2, 5, 6),
        expected_num_trainable_weights=6,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_parity(kind, return_sequences, masked, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    ours, theirs = _pair(kind, return_sequences=return_sequences)
    _compare(ours, theirs, x, mask=MASK if masked else None)


@pytest.mark.parametrize("merge_mode", ["sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_parity_merge_modes(merge_mode, return_sequences, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    ours, theirs = _pair("GRU", merge_mode, return_sequences=return_sequences)
    _compare(ours, theirs, x, mask=MASK)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("merge_mode", ["concat", None])
@pytest.mark.parametrize("masked", [False, True])
def test_parity_return_state_and_initial_state(kind, merge_mode, masked, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    mask = MASK if masked else None
    ours, theirs = _pair(kind, merge_mode, return_sequences=True, return_state=True)
    got = _compare(ours, theirs, x, mask=mask)
    n_states = 2 if kind == "LSTM" else 1
    n_out = 2 if merge_mode is None else 1
    assert len(got) == n_out + 2 * n_states
    states = [rng.standard_normal((4, 4)).astype("float32") for _ in range(2 * n_states)]
    expected = theirs(x, mask=mask, initial_state=states)
    assert_close(
        ours(
            torch.as_tensor(x),
            mask=None if mask is None else torch.as_tensor(mask),
            initial_state=[torch.as_tensor(s) for s in states],
        ),
        expected,
    )


def test_keras2_gru_and_go_backwards_layer(rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    kwargs = {
        "recurrent_activation": "hard_sigmoid",
        "reset_after": False,
        "return_sequences": True,
    }
    _compare(*_pair("GRU", "ave", **kwargs), x, mask=MASK)


def test_explicit_backward_layer(rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    ours = Bidirectional(
        LSTM(4, return_sequences=True),
        backward_layer=GRU(4, return_sequences=True, go_backwards=True),
    )
    theirs = keras.layers.Bidirectional(
        keras.layers.LSTM(4, return_sequences=True),
        backward_layer=keras.layers.GRU(4, return_sequences=True, go_backwards=True),
    )
    _compare(ours, theirs, x, mask=MASK)
    assert [w.shape for w in ours.get_weights()] == [
        (5, 16),
        (4, 16),
        (16,),
        (5, 12),
        (4, 12),
        (2, 12),
    ]


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_masks_from_embedding_pre_and_post_padding(kind, rng):
    def make(lib):
        inner = OURS[kind] if lib is ketorch else getattr(lib.layers, kind)
        wrapper = Bidirectional if lib is ketorch else lib.layers.Bidirectional
        return wrapper(inner(6))

    check_pre_and_post_padding(make, rng, True)


def test_names_weights_and_copies():
    inner = LSTM(3, name="enc")
    inner.build((None, 5, 2))
    layer = Bidirectional(inner)
    assert layer.forward_layer.name == "forward_enc" and layer.backward_layer.name == "backward_enc"
    assert not layer.forward_layer.go_backwards and layer.backward_layer.go_backwards
    assert layer.forward_layer is not inner and not layer.forward_layer.built
    layer.build((None, 5, 2))
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(3, name="enc"))
    theirs.build((None, 5, 2))
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert len(layer.weights) == 6 and layer.weights[0] is layer.forward_layer.cell.kernel
    assert layer.weights[3] is layer.backward_layer.cell.kernel
    assert not np.allclose(layer.get_weights()[0], layer.get_weights()[3])  # separate weights


def test_weights_argument_sets_forward_then_backward(rng):
    source = Bidirectional(GRU(3))
    source.build((None, 4, 2))
    weights = source.get_weights()
    layer = Bidirectional(GRU(3), weights=weights)
    layer(torch.ones(1, 4, 2))
    for a, b in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


def test_sequential_summary_shape_and_symbolic_outputs():
    model = ketorch.Sequential(
        [ketorch.Input(shape=(7, 3)), Bidirectional(GRU(4, return_sequences=True))]
    )
    assert model.output_shape == (None, 7, 8)
    outs = Bidirectional(LSTM(4, return_state=True), merge_mode=None)(ketorch.Input(shape=(7, 3)))
    assert [o.shape for o in outs] == [(None, 4)] * 6
    layer = Bidirectional(SimpleRNN(4, return_state=True))
    assert layer.compute_output_shape((None, 7, 3)) == [(None, 8), (None, 4), (None, 4)]
    assert Bidirectional(SimpleRNN(4), merge_mode="sum").compute_output_shape((2, 7, 3)) == (2, 4)


def test_compute_mask():
    mask = torch.ones(2, 7, dtype=torch.bool)
    assert Bidirectional(GRU(2)).compute_mask(None, mask) is None
    assert Bidirectional(GRU(2, return_sequences=True)).compute_mask(None, mask) is mask
    assert Bidirectional(GRU(2, return_sequences=True), merge_mode=None).compute_mask(
        None, mask
    ) == [
        mask,
        mask,
    ]
    masks = Bidirectional(LSTM(2, return_sequences=True, return_state=True)).compute_mask(
        None, mask
    )
    assert masks[0] is mask and masks[1:] == [None] * 4
    out = Bidirectional(GRU(2, return_sequences=True))(torch.ones(2, 7, 3), mask=mask)
    assert out._keras_mask is mask


def test_stateful_and_reset(rng):
    kwargs = {"stateful": True, "return_sequences": True}
    ours, theirs = _pair("GRU", **kwargs)
    x0, x1 = (rng.standard_normal((2, 4, 3)).astype("float32") for _ in range(2))
    first = _compare(ours, theirs, x0)
    theirs.reset_states()
    theirs(x0)
    assert_close(ours(torch.as_tensor(x1)), theirs(x1))
    assert len(ours.states) == 2
    ours.reset_states()
    assert_close(ours(torch.as_tensor(x0)), first)
    with pytest.raises(AttributeError, match="not stateful"):
        Bidirectional(GRU(2)).reset_states()


def test_config_round_trip_and_keras_keys():
    layer = Bidirectional(GRU(3, return_sequences=True, name="g"), merge_mode="sum")
    config = layer.get_config()
    theirs = keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True, name="g"), merge_mode="sum"
    ).get_config()
    assert set(theirs) <= set(config)
    assert config["layer"]["class_name"] == "GRU"
    assert config["layer"]["config"]["name"] == "forward_g"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    clone = Bidirectional.from_config(config)
    assert clone.merge_mode == "sum" and clone.forward_layer.name == "forward_g"
    assert clone.backward_layer.name == "backward_g" and clone.return_sequences
    assert clone.get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="Received: merge_mode='max'"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="layer instance.*Received: layer=3"):
        Bidirectional(3)
    with pytest.raises(ValueError, match="recurrent layer"):
        Bidirectional(Dense(2))
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="initial_state"):
        Bidirectional(GRU(2))(torch.ones(2, 3, 4), initial_state=[torch.zeros(2, 2)])


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_sgd_step_matches_keras(kind, rng):
    def build(lib):
        inner = OURS[kind] if lib is ketorch else getattr(lib.layers, kind)
        wrapper = Bidirectional if lib is ketorch else lib.layers.Bidirectional
        return lib.Sequential(
            [
                lib.Input(shape=(6,), dtype="int32"),
                (ketorch.layers.Embedding if lib is ketorch else lib.layers.Embedding)(
                    12, 4, mask_zero=True
                ),
                wrapper(inner(5, return_sequences=True)),
                wrapper(inner(3), merge_mode="ave"),
                (Dense if lib is ketorch else lib.layers.Dense)(2),
            ]
        )

    ids = rng.integers(1, 12, (8, 6)).astype("int32")
    ids[:4, :2] = 0
    ids[4:, 4:] = 0
    check_sgd_step(build, ids, rng.standard_normal((8, 2)).astype("float32"))


def test_unmasked_outputs_are_forward_then_reversed_backward(rng):
    x = torch.as_tensor(rng.standard_normal((2, 5, 3)).astype("float32"))
    layer = Bidirectional(SimpleRNN(2, return_sequences=True), merge_mode=None)
    fwd, bwd = layer(x)
    ref = SimpleRNN(2, return_sequences=True)
    ref.build(x.shape)
    ref.set_weights(layer.backward_layer.get_weights())
    np.testing.assert_allclose(to_numpy(bwd), to_numpy(ref(x.flip(1)).flip(1)), atol=1e-6)
