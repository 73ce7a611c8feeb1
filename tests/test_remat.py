"""keras.remat and keras.RematScope: same gradients as without, activations recomputed."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch


class Counting(ketorch.layers.Layer):
    """``tanh(x @ w)``, counting its forward runs."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.runs = 0

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))
        super().build(input_shape)

    def call(self, x):
        if x.device.type != "meta":  # not the shape-only runs of "larger_than" mode
            self.runs += 1
        return torch.tanh(x @ self.w)


def _grads(layers, x):
    y = x
    for layer in layers:
        y = layer(y)
    y.pow(2).sum().backward()
    return [p.grad.clone() for layer in layers for p in layer.weights]


def _pair(scope_kwargs, names=("a", "b")):
    torch.manual_seed(0)
    plain = [Counting(name=f"p{n}") for n in names]
    with ketorch.RematScope(**scope_kwargs):
        remat = [Counting(name=n) for n in names]
    x = torch.randn(3, 4)
    for p, r in zip(plain, remat):
        p.build((None, 4))
        r.build((None, 4))
        r.set_weights(p.get_weights())
    return plain, remat, x


def test_full_mode_same_gradients_and_recomputes():
    plain, remat, x = _pair({"mode": "full"})
    expected = _grads(plain, x)
    got = _grads(remat, x)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e)
    assert [p.runs for p in plain] == [1, 1]
    assert [r.runs for r in remat] == [2, 2]  # forward, then again in backward


def test_list_of_layers_mode():
    plain, remat, x = _pair({"mode": "list_of_layers", "layer_names": ["b"]})
    for g, e in zip(_grads(remat, x), _grads(plain, x)):
        torch.testing.assert_close(g, e)
    assert [r.runs for r in remat] == [1, 2]


def test_larger_than_mode():
    torch.manual_seed(0)
    with ketorch.RematScope(mode="larger_than", output_size_threshold=10):
        small, big = Counting(2, name="small"), Counting(8, name="big")
    x = torch.randn(3, 4)
    small(x).sum().backward()  # 6 elements
    big(x).sum().backward()  # 24 elements
    assert (small.runs, big.runs) == (1, 2)


def test_activations_mode_recomputes_activation_only():
    calls = []

    def act(x):
        calls.append(1)
        return torch.relu(x)

    torch.manual_seed(0)
    plain = ketorch.layers.Dense(3, activation=act)
    with ketorch.RematScope(mode="activations"):
        remat = ketorch.layers.Dense(3, activation=act)
    x = torch.randn(2, 4)
    plain.build((None, 4))
    remat.build((None, 4))
    remat.set_weights(plain.get_weights())
    expected = _grads([plain], x)
    calls.clear()
    got = _grads([remat], x)
    assert len(calls) == 2 and remat.activation is act
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e)


def test_outside_scope_and_none_mode_untouched():
    layer = Counting()
    assert layer._remat_mode is None and "forward" not in layer.__dict__
    with ketorch.RematScope(mode="full"):
        with ketorch.RematScope(mode=None):
            off = Counting()
    off(torch.randn(2, 4)).sum().backward()
    assert off.runs == 1


def test_remat_function_and_training_mode_in_recompute():
    runs = []

    def f(x):
        runs.append(1)
        return torch.sin(x) * x

    x = torch.randn(5, requires_grad=True)
    ketorch.remat(f)(x).sum().backward()
    expected = torch.cos(x) * x + torch.sin(x)
    torch.testing.assert_close(x.grad, expected.detach())
    assert len(runs) == 2
    # Dropout inside a rematerialized block draws the same mask again in backward.
    with ketorch.RematScope(mode="full"):
        block = ketorch.Sequential([ketorch.layers.Dense(8), ketorch.layers.Dropout(0.5)])
    plain = ketorch.Sequential([ketorch.layers.Dense(8), ketorch.layers.Dropout(0.5)])
    x = torch.randn(4, 3)
    block.build((None, 3))
    plain.build((None, 3))
    plain.set_weights(block.get_weights())
    torch.manual_seed(1)
    block(x, training=True).sum().backward()
    torch.manual_seed(1)
    plain(x, training=True).sum().backward()
    for a, b in zip(block.weights, plain.weights):
        torch.testing.assert_close(a.grad, b.grad)


def test_batch_norm_statistics_move_once():
    with ketorch.RematScope(mode="full"):
        bn = ketorch.layers.BatchNormalization(momentum=0.5)
    x = torch.randn(6, 2)
    bn(x, training=True).sum().backward()
    expected = 0.5 * x.mean(0)
    torch.testing.assert_close(bn.moving_mean.detach(), expected)


def test_invalid_mode_matches_keras():
    for lib in (ketorch, keras):
        with pytest.raises(ValueError, match="Invalid mode"):
            lib.RematScope(mode="bogus")
    scope = ketorch.RematScope(mode="larger_than", output_size_threshold=3)
    assert (scope.mode, scope.output_size_threshold, scope.layer_names) == ("larger_than", 3, [])
    _ = np
