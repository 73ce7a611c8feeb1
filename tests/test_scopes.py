"""keras.StatelessScope, Layer.stateless_call and keras.SymbolicScope, compared with Keras."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch
from ketorch.backend.stateless_scope import get_stateless_scope, in_stateless_scope
from ketorch.backend.symbolic_scope import in_symbolic_scope


def test_variables_read_mapped_values_and_updates_are_collected():
    v = ketorch.Variable(torch.ones(3), name="v")
    w = ketorch.Variable(torch.full((3,), 5.0), name="w")
    with ketorch.StatelessScope([(v, torch.full((3,), 2.0))]) as scope:
        assert in_stateless_scope() and get_stateless_scope() is scope
        assert (v * 1.0).tolist() == [2.0, 2.0, 2.0]
        v.assign_add(torch.ones(3))
        assert (v + 0.0).tolist() == [3.0, 3.0, 3.0]  # later reads see the update
        w.assign(torch.zeros(3))  # an unmapped variable: collected too
    assert not in_stateless_scope()
    assert v.numpy().tolist() == [1.0, 1.0, 1.0] and w.numpy().tolist() == [5.0] * 3
    assert scope.get_current_value(v).tolist() == [3.0] * 3
    assert scope.get_current_value(w).tolist() == [0.0] * 3


def test_layer_reads_mapped_weights_with_gradients():
    layer = ketorch.layers.Dense(2, use_bias=False)
    layer.build((None, 3))
    kernel = torch.ones(3, 2, requires_grad=True)
    with ketorch.StatelessScope([(layer.kernel, kernel)]):
        y = layer(torch.ones(1, 3))
    assert y.tolist() == [[3.0, 3.0]]
    y.sum().backward()
    assert kernel.grad.tolist() == [[1.0, 1.0]] * 3


def test_scope_errors_match_keras():
    for lib in (ketorch, keras):
        v = lib.Variable(np.ones(3, "float32"))
        with pytest.raises(ValueError, match="must be Variable"):
            lib.StatelessScope([(np.ones(3), np.ones(3))])
        with pytest.raises(ValueError, match="shape that matches"):
            lib.StatelessScope([(v, np.ones(2, "float32"))])


def test_collect_losses():
    class Penalized(ketorch.layers.Layer):
        def call(self, x):
            self.add_loss(x.sum())
            return x

    layer = Penalized()
    with ketorch.StatelessScope(collect_losses=True) as scope:
        layer(torch.ones(2))
    assert [float(v) for v in scope.losses] == [2.0]


def test_stateless_call_batch_norm_training_matches_keras():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    ours = ketorch.layers.BatchNormalization(momentum=0.8)
    theirs = keras.layers.BatchNormalization(momentum=0.8)
    ours.build((None, 4))
    theirs.build((None, 4))
    values = [rng.normal(size=(4,)).astype("float32") for _ in range(4)]
    values[3] = np.abs(values[3]) + 0.5  # a variance
    ours.set_weights(values)
    theirs.set_weights(values)
    t_vals = [torch.tensor(v) for v in values]
    out, state = ours.stateless_call(t_vals[:2], t_vals[2:], torch.tensor(x), training=True)
    k_out, k_state = theirs.stateless_call(
        [keras.ops.convert_to_tensor(v) for v in values[:2]],
        [keras.ops.convert_to_tensor(v) for v in values[2:]],
        keras.ops.convert_to_tensor(x),
        training=True,
    )
    np.testing.assert_allclose(out.detach().numpy(), keras.ops.convert_to_numpy(k_out), atol=1e-5)
    for got, expected in zip(state, k_state):
        np.testing.assert_allclose(got.numpy(), keras.ops.convert_to_numpy(expected), atol=1e-6)
    for w, v in zip(ours.get_weights(), values):  # no variable changed
        np.testing.assert_array_equal(w, v)
    assert not np.allclose(state[0].numpy(), values[2])


def test_stateless_call_errors():
    layer = ketorch.layers.Dense(2)
    with pytest.raises(ValueError, match="must be built"):
        layer.stateless_call([], [], torch.ones(1, 3))
    layer.build((None, 3))
    with pytest.raises(ValueError, match="trainable_variables"):
        layer.stateless_call([torch.ones(3, 2)], [], torch.ones(1, 3))


def test_symbolic_scope():
    assert not in_symbolic_scope()
    with ketorch.SymbolicScope() as outer:
        with ketorch.SymbolicScope():
            assert in_symbolic_scope()
        assert in_symbolic_scope() and outer is not None
    assert not in_symbolic_scope()
    seen = []

    class Probe(ketorch.layers.Layer):
        def call(self, x):
            seen.append(in_symbolic_scope())
            return x * 2

    Probe()(ketorch.Input((3,)))  # shape inference runs call on meta tensors
    Probe()(torch.ones(2))
    assert seen[0] is True and seen[-1] is False
