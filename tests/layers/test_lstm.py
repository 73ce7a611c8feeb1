import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras, to_numpy

import ketorch
from ketorch.layers import Dense, Embedding
from ketorch.layers.recurrent.lstm import LSTM

MASK = np.array(
    [
        [1, 1, 1, 1, 0, 0],  # post-padded
        [0, 0, 1, 1, 1, 1],  # pre-padded
        [1, 0, 1, 0, 1, 1],  # holes
        [0, 0, 0, 0, 0, 0],  # fully masked
    ],
    dtype=bool,
)


def _keras_call(layer, x, **kwargs):
    return to_numpy(layer(x, **kwargs))


def _assert_close(got, expected, atol=1e-5):
    got = got if isinstance(got, list) else [got]
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(to_numpy(g), to_numpy(e), atol=atol, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs,out_shape",
    [
        ({"units": 3}, (2, 3)),
        ({"units": 3, "return_sequences": True}, (2, 5, 3)),
        ({"units": 3, "return_state": True}, [(2, 3), (2, 3), (2, 3)]),
        ({"units": 3, "recurrent_activation": "hard_sigmoid", "dropout": 0.2}, (2, 3)),
    ],
)
def test_contract(kwargs, out_shape):
    run_layer_contract(
        LSTM,
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
    {"units": 4, "return_state": True},
    {"units": 4, "return_sequences": True, "return_state": True, "go_backwards": True},
    {"units": 4, "go_backwards": True},
    {"units": 4, "recurrent_activation": "hard_sigmoid", "return_sequences": True},
    {"units": 4, "recurrent_activation": "hard_sigmoid", "return_state": True},
    {"units": 4, "activation": "relu", "return_sequences": True, "go_backwards": True},
    {"units": 4, "use_bias": False, "return_state": True},
    {"units": 4, "unit_forget_bias": False, "bias_initializer": "ones"},
    {"units": 4, "zero_output_for_mask": True, "return_sequences": True},
]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parity_no_mask(kwargs, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    compare_layer(LSTM(**kwargs), keras.layers.LSTM(**kwargs), x)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parity_with_mask(kwargs, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    ours = LSTM(**kwargs)
    got = ours(torch.as_tensor(x), mask=torch.as_tensor(MASK))
    theirs = keras.layers.LSTM(**kwargs)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    _assert_close(got, theirs(x, mask=MASK))


@pytest.mark.parametrize("kwargs", [CONFIGS[2], CONFIGS[3], CONFIGS[6]])
@pytest.mark.parametrize("masked", [False, True])
def test_parity_initial_state(kwargs, masked, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    h0, c0 = (rng.standard_normal((4, 4)).astype("float32") for _ in range(2))
    mask = MASK if masked else None
    ours = LSTM(**kwargs)
    got = ours(
        torch.as_tensor(x),
        initial_state=[torch.as_tensor(h0), torch.as_tensor(c0)],
        mask=None if mask is None else torch.as_tensor(mask),
    )
    theirs = keras.layers.LSTM(**kwargs)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    _assert_close(got, theirs(x, initial_state=[h0, c0], mask=mask))


def _embed_lstm(lib, lstm_cls, **kwargs):
    return lib.Sequential(
        [
            lib.Input(shape=(7,), dtype="int32"),
            (Embedding if lib is ketorch else lib.layers.Embedding)(20, 5, mask_zero=True),
            lstm_cls(6, **kwargs),
        ]
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_sequences": True},
        {"recurrent_activation": "hard_sigmoid", "return_sequences": True},
        {"go_backwards": True},
    ],
)
def test_masks_from_embedding_pre_and_post_padding(kwargs, rng):
    ours = _embed_lstm(ketorch, LSTM, **kwargs)
    theirs = _embed_lstm(keras, keras.layers.LSTM, **kwargs)
    theirs.set_weights(ours.get_weights())
    tokens = rng.integers(1, 20, (3, 4))
    post = np.zeros((3, 7), "int32")
    pre = np.zeros((3, 7), "int32")
    post[:, :4] = tokens
    pre[:, 3:] = tokens
    for ids in (pre, post):
        _assert_close(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0))
    if not kwargs.get("return_sequences"):
        # The padding side does not matter for the final output, as in Keras.
        _assert_close(ours.predict(pre, verbose=0), ours.predict(post, verbose=0))
    out = ours.layers[-1](ours.layers[0](torch.as_tensor(post)))
    assert (getattr(out, "_keras_mask", None) is not None) == bool(kwargs.get("return_sequences"))


def test_stacked_lstms_match_keras(rng):
    def build(lib, lstm_cls):
        return lib.Sequential(
            [lib.Input(shape=(6, 3)), lstm_cls(5, return_sequences=True), lstm_cls(4)]
        )

    ours, theirs = build(ketorch, LSTM), build(keras, keras.layers.LSTM)
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((5, 6, 3)).astype("float32")
    _assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert ours.output_shape == (None, 4)


def test_stateful_over_two_batches_then_reset(rng):
    kwargs = {"units": 3, "stateful": True, "return_state": True}
    ours = LSTM(**kwargs)
    theirs = keras.layers.LSTM(**kwargs)
    ours.build((2, 4, 5))
    theirs.build((2, 4, 5))
    theirs.set_weights(ours.get_weights())
    b0, b1 = (rng.standard_normal((2, 4, 5)).astype("float32") for _ in range(2))
    first = ours(torch.as_tensor(b0))
    _assert_close(first, theirs(b0))
    second = ours(torch.as_tensor(b1))
    _assert_close(second, theirs(b1))  # carried the states of batch 0
    fresh = LSTM(3, return_state=True)
    fresh.build((2, 4, 5))
    fresh.set_weights(ours.get_weights())
    assert not np.allclose(to_numpy(second[0]), to_numpy(fresh(torch.as_tensor(b1))[0]))
    ours.reset_states()
    theirs.reset_states()
    _assert_close(ours(torch.as_tensor(b0)), first)
    theirs(b0)
    # A masked stateful call keeps the exact states of the last unmasked step.
    x = rng.standard_normal((2, 6, 5)).astype("float32")
    _assert_close(
        ours(torch.as_tensor(x), mask=torch.as_tensor(MASK[:2])), theirs(x, mask=MASK[:2])
    )
    _assert_close(ours(torch.as_tensor(x)), theirs(x))


def test_stateful_errors():
    with pytest.raises(ValueError, match="fixed batch size"):
        LSTM(2, stateful=True).build((None, 3, 4))
    layer = LSTM(2, stateful=True, name="st")
    layer(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="'st'.*Received: batch size 3"):
        layer(torch.ones(3, 3, 4))


def test_weights_layout_and_initial_statistics():
    ours = LSTM(8)
    ours.build((None, 5, 3))
    theirs = keras.layers.LSTM(8)
    theirs.build((None, 5, 3))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    kernel, rec, bias = ours.get_weights()
    assert (kernel.shape, rec.shape, bias.shape) == ((3, 32), (8, 32), (32,))
    np.testing.assert_array_equal(bias, theirs.get_weights()[2])  # [0]*8 + [1]*8 + [0]*16
    assert bias[8:16].tolist() == [1.0] * 8 and not bias[:8].any() and not bias[16:].any()
    np.testing.assert_allclose(rec @ rec.T, np.eye(8), atol=1e-5)  # orthogonal rows
    limit = np.sqrt(6 / (3 + 32))
    assert np.abs(kernel).max() <= limit
    assert ours.cell.kernel is ours.weights[0]
    assert [w._keras_name for w in ours.weights] == ["kernel", "recurrent_kernel", "bias"]
    no_forget = LSTM(2, unit_forget_bias=False)
    no_forget.build((None, 3, 1))
    assert not no_forget.get_weights()[2].any()


def test_config_matches_keras_and_round_trips():
    kwargs = {"units": 3, "return_sequences": True, "dropout": 0.1, "go_backwards": True}
    ours = LSTM(**kwargs, implementation=1).get_config()
    theirs = keras.layers.LSTM(**kwargs).get_config()
    assert not set(theirs) - set(ours)
    for key, value in theirs.items():
        if not isinstance(value, dict) and key != "name":
            assert ours[key] == value, key
    assert LSTM.from_config(ours).get_config() == ours
    # A Keras config loads (initializer configs left to ketorch.initializers).
    plain = {k: v for k, v in theirs.items() if not k.endswith("_initializer")}
    layer = LSTM.from_config(plain)
    assert layer.return_sequences and layer.go_backwards and layer.units == 3


def test_compute_output_shape_and_mask():
    assert LSTM(3).compute_output_shape((None, 7, 2)) == (None, 3)
    assert LSTM(3, return_sequences=True).compute_output_shape((4, None, 2)) == (4, None, 3)
    assert LSTM(3, return_state=True).compute_output_shape((None, 7, 2)) == [
        (None, 3),
        (None, 3),
        (None, 3),
    ]
    mask = torch.ones(2, 7, dtype=torch.bool)
    assert LSTM(3).compute_mask(None, mask) is None
    assert LSTM(3, return_sequences=True).compute_mask(None, mask) is mask
    assert LSTM(3, return_sequences=True, return_state=True).compute_mask(None, mask)[1:] == [
        None,
        None,
    ]
    inputs = ketorch.Input(shape=(7, 2))
    out, h, c = LSTM(3, return_sequences=True, return_state=True)(inputs)
    assert out.shape == (None, 7, 3) and h.shape == (None, 3) and c.shape == (None, 3)


def test_functional_initial_state_from_encoder(rng):
    def build(lib, lstm_cls):
        enc_in = lib.Input(shape=(5, 3))
        dec_in = lib.Input(shape=(4, 2))
        _, h, c = lstm_cls(6, return_state=True)(enc_in)
        dec = lstm_cls(6, return_sequences=True)(dec_in, initial_state=[h, c])
        return lib.Model([enc_in, dec_in], dec)

    ours, theirs = build(ketorch, LSTM), build(keras, keras.layers.LSTM)
    theirs.set_weights(ours.get_weights())
    xs = [rng.standard_normal((3, 5, 3)).astype("float32"), rng.standard_normal((3, 4, 2))]
    xs[1] = xs[1].astype("float32")
    _assert_close(ours.predict(xs, verbose=0), theirs.predict(xs, verbose=0))


def test_dropout_only_in_training_and_seeded():
    x = torch.randn(4, 6, 5)
    layer = LSTM(3, dropout=0.5, recurrent_dropout=0.3, seed=1)
    a = layer(x)
    torch.testing.assert_close(a, layer(x))  # inference: deterministic
    b = layer(x, training=True)
    assert not torch.allclose(a, b)
    same = LSTM(3, dropout=0.5, recurrent_dropout=0.3, seed=1)
    same.build((None, 6, 5))
    same.set_weights(layer.get_weights())
    same._generator.manual_seed(7)
    layer._generator.manual_seed(7)
    torch.testing.assert_close(same(x, training=True), layer(x, training=True))
    b.sum().backward()
    assert all(w.grad is not None for w in layer.weights)


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        ({"dropout": 0.5}, [((4, 5), None)]),
        ({"dropout": 0.5, "recurrent_dropout": 0.2}, [((4, 5), 4), ((4, 3), 4)]),
    ],
)
def test_dropout_masks_are_drawn_once_per_sequence(kwargs, expected, monkeypatch):
    # As Keras: one (batch, features) mask shared by all steps (and gates), or one
    # per gate when recurrent dropout is on; never one per step.
    from ketorch.layers.recurrent import lstm_cell as lstm_module  # picks the LSTM kernel

    calls = []
    real = lstm_module.dropout_masks

    def spy(shape, rate, count, like, generator=None):
        calls.append((tuple(shape), count))
        return real(shape, rate, count, like, generator)

    monkeypatch.setattr(lstm_module, "dropout_masks", spy)
    layer = LSTM(3, **kwargs)
    layer(torch.randn(4, 6, 5))
    assert calls == []
    layer(torch.randn(4, 6, 5), training=True)
    assert calls == expected


def test_input_errors_name_the_layer():
    with pytest.raises(ValueError, match="my_lstm.*expected ndim=3, found ndim=2"):
        LSTM(3, name="my_lstm")(torch.ones(2, 4))
    layer = LSTM(3, name="built_lstm")
    layer(torch.ones(2, 5, 4))
    with pytest.raises(ValueError, match="built_lstm"):
        layer(torch.ones(2, 4))
    with pytest.raises(ValueError, match="built_lstm"):
        layer(torch.ones(2, 5, 6))
    with pytest.raises(ValueError, match="sym_lstm.*expected ndim=3"):
        LSTM(3, name="sym_lstm")(ketorch.Input(shape=(4,)))
    with pytest.raises(ValueError, match="initial_state"):
        LSTM(3)(torch.ones(2, 5, 4), initial_state=[torch.zeros(2, 3)])
    with pytest.raises(ValueError, match="Received: units=0"):
        LSTM(0)
    with pytest.raises(ValueError, match="Received: use_cudnn='yes'"):
        LSTM(2, use_cudnn="yes")


def test_sgd_step_matches_keras_with_masks(rng):
    def build(lib, lstm_cls):
        return lib.Sequential(
            [
                lib.Input(shape=(6,), dtype="int32"),
                (Embedding if lib is ketorch else lib.layers.Embedding)(12, 4, mask_zero=True),
                lstm_cls(5, return_sequences=True, recurrent_activation="hard_sigmoid"),
                lstm_cls(3),
                (Dense if lib is ketorch else lib.layers.Dense)(2),
            ]
        )

    ours, theirs = build(ketorch, LSTM), build(keras, keras.layers.LSTM)
    theirs.set_weights(ours.get_weights())
    ids = rng.integers(1, 12, (8, 6)).astype("int32")
    ids[:4, :2] = 0  # pre-padding
    ids[4:, 4:] = 0  # post-padding
    y = rng.standard_normal((8, 2)).astype("float32")
    for m in (ours, theirs):
        m.compile("sgd", "mse")
        m.fit(ids, y, batch_size=len(ids), epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


def test_sgd_step_matches_keras_fused_path(rng):
    def build(lib, lstm_cls):
        return lib.Sequential(
            [
                lib.Input(shape=(5, 3)),
                lstm_cls(4, go_backwards=True),
                (Dense if lib is ketorch else lib.layers.Dense)(1),
            ]
        )

    ours, theirs = build(ketorch, LSTM), build(keras, keras.layers.LSTM)
    theirs.set_weights(ours.get_weights())
    x = rng.standard_normal((6, 5, 3)).astype("float32")
    y = rng.standard_normal((6, 1)).astype("float32")
    for m in (ours, theirs):
        m.compile("sgd", "mse")
        m.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


def test_inference_mode_then_training_graph():
    # The zero recurrent bias is made per call, so an inference-mode call does not
    # poison a later training graph.
    layer = LSTM(3)
    x = torch.randn(2, 4, 5)
    layer.build(x.shape)
    with torch.inference_mode():
        layer(x)
    layer(x).sum().backward()
    assert layer.cell.bias.grad is not None


def test_rnn_with_lstm_cell_matches_keras(rng):
    # The cell alone (one step, [h, c] states) and inside RNN with a mask, both as Keras.
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    ours = ketorch.layers.RNN(ketorch.layers.LSTMCell(4), return_sequences=True, return_state=True)
    theirs = keras.layers.RNN(keras.layers.LSTMCell(4), return_sequences=True, return_state=True)
    got = ours(torch.as_tensor(x), mask=torch.as_tensor(MASK))
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    _assert_close(got, theirs(x, mask=MASK))
    assert [w._keras_name for w in ours.weights] == ["kernel", "recurrent_kernel", "bias"]

    cell = ketorch.layers.LSTMCell(4)
    states = [torch.as_tensor(rng.standard_normal((4, 4)).astype("float32")) for _ in range(2)]
    h, new_states = cell(torch.as_tensor(x[:, 0]), states)
    keras_cell = keras.layers.LSTMCell(4)
    keras_cell.build((4, 5))
    keras_cell.set_weights(cell.get_weights())
    kh, k_states = keras_cell(x[:, 0], [to_numpy(s) for s in states])
    _assert_close([h, *new_states], [kh, *k_states])
    assert ketorch.layers.LSTMCell.from_config(cell.get_config()).get_config() == cell.get_config()
