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
from ketorch.layers import Dense
from ketorch.layers.recurrent import gru_cell
from ketorch.layers.recurrent.gru import GRU
from ketorch.layers.recurrent.gru_cell import GRUCell
from ketorch.layers.recurrent.rnn import RNN

KERAS2 = {"recurrent_activation": "hard_sigmoid", "reset_after": False}


@pytest.mark.parametrize(
    "kwargs,out_shape",
    [
        ({"units": 3}, (2, 3)),
        ({"units": 3, "return_sequences": True}, (2, 5, 3)),
        ({"units": 3, "return_state": True}, [(2, 3), (2, 3)]),
        ({"units": 3, **KERAS2, "dropout": 0.2, "recurrent_dropout": 0.2}, (2, 3)),
    ],
)
def test_contract(kwargs, out_shape):
    run_layer_contract(
        GRU,
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
    {"units": 4, "reset_after": False, "return_sequences": True},
    {"units": 4, **KERAS2, "return_state": True},
    {"units": 4, **KERAS2, "go_backwards": True, "return_sequences": True},
    {"units": 4, "recurrent_activation": "hard_sigmoid", "return_sequences": True},
    {"units": 4, "activation": "relu", "return_state": True},
    {"units": 4, "use_bias": False, "return_state": True},
    {"units": 4, "use_bias": False, "reset_after": False},
    {"units": 4, "bias_initializer": "random_normal", "return_sequences": True},
    {"units": 4, "zero_output_for_mask": True, "return_sequences": True},
    {"units": 4, **KERAS2, "zero_output_for_mask": True, "return_sequences": True},
]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parity_no_mask(kwargs, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    compare_layer(GRU(**kwargs), keras.layers.GRU(**kwargs), x)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_parity_with_mask(kwargs, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    compare_call(GRU(**kwargs), keras.layers.GRU(**kwargs), x, mask=MASK)


@pytest.mark.parametrize("kwargs", [CONFIGS[3], CONFIGS[5], CONFIGS[11]])
@pytest.mark.parametrize("masked", [False, True])
def test_parity_initial_state(kwargs, masked, rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    h0 = rng.standard_normal((4, 4)).astype("float32")
    compare_call(
        GRU(**kwargs),
        keras.layers.GRU(**kwargs),
        x,
        mask=MASK if masked else None,
        initial_state=[h0],
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_sequences": True},
        KERAS2,
        {**KERAS2, "return_sequences": True},
        {"go_backwards": True},
    ],
)
def test_masks_from_embedding_pre_and_post_padding(kwargs, rng):
    def make(lib):
        return (GRU if lib is ketorch else lib.layers.GRU)(6, **kwargs)

    model = check_pre_and_post_padding(make, rng, not kwargs.get("return_sequences"))
    ids = torch.as_tensor(np.array([[1, 2, 0, 0, 0, 0, 0]], dtype="int32"))
    out = model.layers[-1](model.layers[0](ids))
    assert (getattr(out, "_keras_mask", None) is not None) == bool(kwargs.get("return_sequences"))


@pytest.mark.parametrize("extra", [{}, KERAS2])
def test_stateful_over_two_batches_then_reset(extra, rng):
    kwargs = {"units": 3, "stateful": True, "return_state": True, **extra}
    ours = GRU(**kwargs)
    _, second = check_stateful(ours, keras.layers.GRU(**kwargs), rng)
    fresh = GRU(3, **extra)
    fresh.build((2, 4, 5))
    fresh.set_weights(ours.get_weights())
    assert not np.allclose(to_numpy(second[0]), to_numpy(fresh(torch.randn(2, 4, 5))))


def test_stateful_errors():
    with pytest.raises(ValueError, match="fixed batch size"):
        GRU(2, stateful=True).build((None, 3, 4))
    layer = GRU(2, stateful=True, name="st")
    layer(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="'st'.*Received: batch size 3"):
        layer(torch.ones(3, 3, 4))


@pytest.mark.parametrize("reset_after,bias_shape", [(True, (2, 24)), (False, (24,))])
def test_weights_layout(reset_after, bias_shape):
    ours, theirs = GRU(8, reset_after=reset_after), keras.layers.GRU(8, reset_after=reset_after)
    ours.build((None, 5, 3))
    theirs.build((None, 5, 3))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    kernel, rec, bias = ours.get_weights()
    assert (kernel.shape, rec.shape, bias.shape) == ((3, 24), (8, 24), bias_shape)
    np.testing.assert_allclose(rec @ rec.T, np.eye(8), atol=1e-5)  # orthogonal rows
    assert not bias.any()
    assert [w._keras_name for w in ours.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert ours.cell.name == "gru_cell" and ours.cell.kernel is ours.weights[0]


def test_fused_call_does_not_leak_torch_layout(rng):
    # The z, r, h -> r, z, n reordering happens per call: weights stay in Keras's layout.
    layer = GRU(4)
    layer.build((None, 6, 5))
    before = layer.get_weights()
    layer(torch.randn(3, 6, 5)).sum().backward()
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert all(w.grad is not None and w.grad.shape == w.shape for w in layer.weights)


def test_config_matches_keras_and_round_trips():
    kwargs = {"units": 3, "return_sequences": True, "dropout": 0.1, **KERAS2}
    ours = GRU(**kwargs, implementation=1).get_config()
    theirs = keras.layers.GRU(**kwargs).get_config()
    assert set(theirs) == set(ours)
    for key, value in theirs.items():
        if not isinstance(value, dict) and key != "name":
            assert ours[key] == value, key
    assert GRU.from_config(ours).get_config() == ours
    plain = {k: v for k, v in theirs.items() if not k.endswith("_initializer")}
    layer = GRU.from_config(plain)
    assert layer.return_sequences and not layer.reset_after and layer.units == 3


def test_compute_output_shape_and_mask():
    assert GRU(3).compute_output_shape((None, 7, 2)) == (None, 3)
    assert GRU(3, return_sequences=True).compute_output_shape((4, None, 2)) == (4, None, 3)
    assert GRU(3, return_state=True).compute_output_shape((None, 7, 2)) == [(None, 3), (None, 3)]
    mask = torch.ones(2, 7, dtype=torch.bool)
    assert GRU(3).compute_mask(None, mask) is None
    assert GRU(3, return_sequences=True).compute_mask(None, mask) is mask
    out, h = GRU(3, return_sequences=True, return_state=True)(ketorch.Input(shape=(7, 2)))
    assert out.shape == (None, 7, 3) and h.shape == (None, 3)


@pytest.mark.parametrize(
    "kwargs,fusable,loopable",
    [
        ({}, True, True),
        ({"use_bias": False}, True, True),
        ({"dropout": 0.3}, True, True),
        ({"reset_after": False}, False, False),
        ({"recurrent_activation": "hard_sigmoid"}, False, True),
        ({"recurrent_dropout": 0.3}, False, False),
    ],
)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("grad", [False, True])
def test_kernel_choice(kwargs, fusable, loopable, masked, grad, monkeypatch):
    # Unmasked sequences take the hand-written-backward loop when it knows the math: always
    # when the fused kernel cannot run them, and for CPU training when it can (it is faster
    # there). Otherwise the fused kernel when the math allows, else the autograd loop.
    calls = []
    for name in ("fused_gru", "loop_gru"):
        real = getattr(gru_cell, name)

        def spy(*args, _real=real, _name=name, **kw):
            calls.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(gru_cell, name, spy)
    mask = torch.as_tensor(MASK) if masked else None
    with torch.set_grad_enabled(grad):
        GRU(3, **kwargs)(torch.randn(4, 6, 5), mask=mask, training=True)
    if loopable and not masked and (grad or not fusable):
        assert calls == ["loop_gru"]
    elif fusable:
        assert calls == ["fused_gru"]
    else:
        assert calls == []


def test_dropout_only_in_training_and_seeded():
    x = torch.randn(4, 6, 5)
    layer = GRU(3, dropout=0.5, recurrent_dropout=0.3, seed=1)
    a = layer(x)
    torch.testing.assert_close(a, layer(x))
    b = layer(x, training=True)
    assert not torch.allclose(a, b)
    same = GRU(3, dropout=0.5, recurrent_dropout=0.3, seed=1)
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
        ({"dropout": 0.5, "recurrent_dropout": 0.2}, [((4, 5), 3), ((4, 3), 3)]),
        (
            {"dropout": 0.5, "recurrent_dropout": 0.2, "reset_after": False},
            [((4, 5), 3), ((4, 3), 3)],
        ),
    ],
)
def test_dropout_masks_are_drawn_once_per_sequence(kwargs, expected, monkeypatch):
    # As Keras: one mask shared by all steps (and gates), or one per gate with
    # recurrent dropout; never one per step.
    calls = []
    real = gru_cell.dropout_masks

    def spy(shape, rate, count, like, generator=None):
        calls.append((tuple(shape), count))
        return real(shape, rate, count, like, generator)

    monkeypatch.setattr(gru_cell, "dropout_masks", spy)
    layer = GRU(3, **kwargs)
    layer(torch.randn(4, 6, 5))
    assert calls == []
    layer(torch.randn(4, 6, 5), training=True)
    assert calls == expected


def test_input_errors_name_the_layer():
    with pytest.raises(ValueError, match="my_gru.*expected ndim=3, found ndim=2"):
        GRU(3, name="my_gru")(torch.ones(2, 4))
    layer = GRU(3, name="built_gru")
    layer(torch.ones(2, 5, 4))
    with pytest.raises(ValueError, match="built_gru"):
        layer(torch.ones(2, 5, 6))
    with pytest.raises(ValueError, match="sym_gru.*expected ndim=3"):
        GRU(3, name="sym_gru")(ketorch.Input(shape=(4,)))
    with pytest.raises(ValueError, match="initial_state"):
        layer(torch.ones(2, 5, 4), initial_state=[torch.zeros(2, 3)] * 2)
    with pytest.raises(ValueError, match="Received: units=-1"):
        GRU(-1)
    with pytest.raises(ValueError, match="Received: use_cudnn='yes'"):
        GRU(2, use_cudnn="yes")
    with pytest.raises(ValueError, match="Received: recurrent_dropout=None"):
        GRU(2, recurrent_dropout=None)


@pytest.mark.parametrize("extra", [{}, KERAS2])
def test_sgd_step_matches_keras_with_masks(extra, rng):
    def build(lib):
        gru = GRU if lib is ketorch else lib.layers.GRU
        return lib.Sequential(
            [
                lib.Input(shape=(6,), dtype="int32"),
                (ketorch.layers.Embedding if lib is ketorch else lib.layers.Embedding)(
                    12, 4, mask_zero=True
                ),
                gru(5, return_sequences=True, **extra),
                gru(3, go_backwards=True, **extra),
                (Dense if lib is ketorch else lib.layers.Dense)(2),
            ]
        )

    ids = rng.integers(1, 12, (8, 6)).astype("int32")
    ids[:4, :2] = 0  # pre-padding
    ids[4:, 4:] = 0  # post-padding
    check_sgd_step(build, ids, rng.standard_normal((8, 2)).astype("float32"))


def test_sgd_step_matches_keras_fused_path(rng):
    def build(lib):
        return lib.Sequential(
            [
                lib.Input(shape=(5, 3)),
                (GRU if lib is ketorch else lib.layers.GRU)(4, bias_initializer="random_normal"),
                (Dense if lib is ketorch else lib.layers.Dense)(1),
            ]
        )

    x = rng.standard_normal((6, 5, 3)).astype("float32")
    check_sgd_step(build, x, rng.standard_normal((6, 1)).astype("float32"))


def test_functional_initial_state_from_encoder(rng):
    def build(lib):
        gru = GRU if lib is ketorch else lib.layers.GRU
        enc_in, dec_in = lib.Input(shape=(5, 3)), lib.Input(shape=(4, 2))
        _, h = gru(6, return_state=True)(enc_in)
        dec = gru(6, return_sequences=True)(dec_in, initial_state=h)
        return lib.Model([enc_in, dec_in], dec)

    ours, theirs = build(ketorch), build(keras)
    theirs.set_weights(ours.get_weights())
    xs = [rng.standard_normal((3, 5, 3)).astype("float32"), rng.standard_normal((3, 4, 2))]
    xs[1] = xs[1].astype("float32")
    assert_close(ours.predict(xs, verbose=0), theirs.predict(xs, verbose=0))


def test_rnn_with_gru_cell_matches_gru(rng):
    x = rng.standard_normal((4, 6, 5)).astype("float32")
    ours = RNN(GRUCell(4, reset_after=False), return_sequences=True)
    theirs = keras.layers.RNN(keras.layers.GRUCell(4, reset_after=False), return_sequences=True)
    compare_call(ours, theirs, x, mask=MASK)
    cell = GRUCell(4)
    h, [h2] = cell(torch.as_tensor(x[:, 0]), [torch.zeros(4, 4)])
    keras_cell = keras.layers.GRUCell(4)
    keras_cell.build((4, 5))
    keras_cell.set_weights(cell.get_weights())
    assert_close(h, keras_cell(x[:, 0], [np.zeros((4, 4), "float32")])[0])


def test_inference_mode_then_training_graph():
    layer = GRU(3)
    x = torch.randn(2, 4, 5)
    layer.build(x.shape)
    with torch.inference_mode():
        layer(x)
    layer(x).sum().backward()
    assert layer.cell.bias.grad is not None
