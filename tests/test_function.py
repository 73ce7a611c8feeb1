"""keras.Function: a callable graph of ops and layers, compared with Keras."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch


def _graph(lib):
    a = lib.KerasTensor((None, 3))
    b = lib.KerasTensor((None, 3))
    out = lib.ops.sigmoid(a + b) * 2.0
    return lib.Function(inputs=[a, b], outputs={"sum": a + b, "act": out}), a, b


def test_ops_graph_matches_keras():
    rng = np.random.default_rng(0)
    x1, x2 = (rng.normal(size=(4, 3)).astype("float32") for _ in range(2))
    ours, a, b = _graph(ketorch)
    theirs, _, _ = _graph(keras)
    got, expected = ours([x1, x2]), theirs([x1, x2])
    assert sorted(got) == sorted(expected) == ["act", "sum"]
    for key in got:
        np.testing.assert_allclose(got[key].numpy(), expected[key].numpy(), atol=1e-6)
    assert ours.inputs == [a, b] and len(ours.outputs) == 2
    assert isinstance(ours, ketorch.Operation)
    assert ours.name == "function"


def test_layers_in_graph_and_intermediate_input():
    inputs = ketorch.Input((3,))
    dense = ketorch.layers.Dense(2)
    hidden = dense(inputs)
    out = ketorch.ops.relu(hidden) + 1.0
    fn = ketorch.Function(inputs, out)
    x = torch.randn(5, 3)
    np.testing.assert_allclose(
        fn(x).detach().numpy(), (torch.relu(dense(x)) + 1.0).detach().numpy(), atol=1e-6
    )
    assert list(fn.parameters()) == []  # a Function tracks no weights
    assert dense in fn.operations
    tail = ketorch.Function(hidden, out)  # an intermediate tensor as the input
    h = torch.randn(5, 2)
    np.testing.assert_allclose(tail(h).numpy(), (torch.relu(h) + 1.0).numpy())


def test_compute_output_spec_and_symbolic_call():
    for lib in (ketorch, keras):
        fn, _, _ = _graph(lib)
        spec = fn.compute_output_spec([lib.KerasTensor((7, 3)), lib.KerasTensor((7, 3))])
        assert spec["act"].shape == (7, 3)
        assert fn.compute_output_shape([(2, 3), (2, 3)])["sum"] == (2, 3)
    fn, _, _ = _graph(ketorch)
    p, q = ketorch.Input((3,)), ketorch.Input((3,))
    res = fn([p, q])
    model = ketorch.Model([p, q], res["act"])
    x = torch.zeros(2, 3)
    np.testing.assert_allclose(model([x, x]).numpy(), np.ones((2, 3)))


def test_errors_match_keras():
    for lib in (ketorch, keras):
        fn, _, _ = _graph(lib)
        with pytest.raises(ValueError, match="invalid input structure"):
            fn(np.zeros((2, 3), "float32"))
        with pytest.raises(ValueError, match="incompatible inputs"):
            fn([np.zeros((2, 4), "float32"), np.zeros((2, 4), "float32")])
        with pytest.raises(ValueError, match="cannot be empty"):
            lib.Function([], [])
