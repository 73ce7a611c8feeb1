"""keras.ops.core beyond the parity cases: custom gradients, vmap, control flow with nested
structures and on KerasTensors, introspection (shape, dtype, is_tensor, convert_to_numpy), and
error messages. Keras (torch backend) is the oracle wherever it behaves the same way.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ketorch  # noqa: E402
from ketorch import ops  # noqa: E402
from ketorch.layers.node import KerasTensor  # noqa: E402

kops = keras.ops


def _grads(fn, *shapes, seed=0):
    """Values and input gradients of ``sum(fn(*xs) * w)`` for random float inputs."""
    g = torch.Generator().manual_seed(seed)
    xs = [torch.randn(s, generator=g).requires_grad_(True) for s in shapes]
    out = fn(*xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    total = sum((o * torch.linspace(0.5, 1.5, o.numel()).reshape(o.shape)).sum() for o in outs)
    grads = torch.autograd.grad(total, xs, allow_unused=True)
    return [o.detach() for o in outs], grads


def _close(a, b, atol=1e-5):
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            assert x is None and y is None
        else:
            np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), atol=atol)


# ----------------------------------------------------------------- custom_gradient
def _make_log1pexp(ops_mod):
    @ops_mod.custom_gradient
    def log1pexp(x):
        e = torch.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return upstream * (1.0 - 1.0 / (1.0 + e))

        return torch.log(1.0 + e), grad

    return log1pexp


def test_custom_gradient_matches_keras():
    ours = _grads(_make_log1pexp(ops), (5,))
    want = _grads(_make_log1pexp(kops), (5,))
    _close(ours[0], want[0])
    _close(ours[1], want[1])


def _make_scaled_product(ops_mod):
    @ops_mod.custom_gradient
    def prod(x, y):
        def grad(*args, upstream):
            a, b = args
            return 2.0 * upstream * b, 3.0 * upstream * a

        return x * y, grad

    return prod


def test_custom_gradient_two_arguments_matches_keras():
    ours = _grads(_make_scaled_product(ops), (3,), (3,))
    want = _grads(_make_scaled_product(kops), (3,), (3,))
    _close(ours[0], want[0])
    _close(ours[1], want[1])


def test_custom_gradient_is_used_not_autograd():
    @ops.custom_gradient
    def clip_grad(x):
        def grad(*args, upstream=None):
            return torch.clamp(upstream, -0.1, 0.1)

        return x * 1.0, grad

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (clip_grad(x) * 10.0).sum().backward()
    assert torch.equal(x.grad, torch.tensor([0.1, 0.1]))


def test_custom_gradient_tensorflow_style_grad_fn():
    @ops.custom_gradient
    def double_grad(x):
        def grad(upstream):  # TF/JAX style: only the upstream gradient
            return upstream * 2.0

        return x + 0.0, grad

    x = torch.ones(3, requires_grad=True)
    double_grad(x).sum().backward()
    assert torch.equal(x.grad, torch.full((3,), 2.0))


def test_custom_gradient_several_outputs_and_non_tensor_args():
    @ops.custom_gradient
    def split(x, scale):
        def grad(*args, upstream):
            ua, ub = upstream
            return (ua + ub) * scale, None

        return (x * scale, x + 1.0), grad

    x = torch.ones(2, requires_grad=True)
    a, b = split(x, 3.0)
    (a.sum() + 2 * b.sum()).backward()
    assert torch.equal(x.grad, torch.full((2,), 9.0))


def test_custom_gradient_inside_a_layer_trains():
    @ops.custom_gradient
    def no_grad_to_input(x):
        def grad(*args, upstream=None):
            return torch.zeros_like(upstream)

        return x * 1.0, grad

    class Block(ketorch.layers.Layer):
        def call(self, x):
            return no_grad_to_input(x)

    model = ketorch.Sequential([ketorch.Input((3,)), Block(), ketorch.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, epochs=1, verbose=0)  # the Dense kernel still gets gradients


def test_custom_gradient_errors():
    @ops.custom_gradient
    def bad(x):
        return x * 2.0

    with pytest.raises(TypeError, match="ops.custom_gradient"):
        bad(torch.ones(2, requires_grad=True))

    @ops.custom_gradient
    def wrong_count(x, y):
        return x * y, lambda *a, upstream: (upstream,) * 3

    out = wrong_count(torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True))
    with pytest.raises(ValueError, match="ops.custom_gradient"):
        out.sum().backward()
    with pytest.raises(ValueError, match="ops.custom_gradient"):
        _make_log1pexp(ops)(ketorch.Input((3,)))


# ----------------------------------------------------------------- vectorized_map
def test_vectorized_map_matches_keras_and_gradients():
    def fn(x):
        return torch.sin(x).sum() * x

    ours = _grads(lambda x: ops.vectorized_map(fn, x), (4, 3))
    want = _grads(lambda x: kops.vectorized_map(fn, x), (4, 3))
    _close(ours[0], want[0])
    _close(ours[1], want[1])


def test_vectorized_map_structures():
    x, y = torch.randn(5, 3), torch.randn(5, 3)
    out = ops.vectorized_map(
        lambda e: {"s": e["x"] + e["y"], "p": e["x"] * e["y"]}, {"x": x, "y": y}
    )
    assert torch.allclose(out["s"], x + y) and torch.allclose(out["p"], x * y)
    out = ops.vectorized_map(lambda e: e[0] - e[1], [x, np.ones((5, 3), "float32")])
    assert torch.allclose(out, x - 1.0)


# ----------------------------------------------------------------- control flow
def test_map_and_scan_dict_structures_match_keras():
    xs = {"a": torch.arange(4.0), "b": torch.ones(4, 2)}

    def f(x):
        return {"y": x["a"] * 2.0, "z": x["b"].sum()}

    ours, want = ops.map(f, xs), kops.map(f, xs)
    assert set(ours) == set(want)
    for k in want:
        assert torch.equal(ours[k], want[k])

    def step(c, x):
        return {"t": c["t"] + x["a"]}, {"seen": c["t"]}

    init = {"t": torch.tensor(0.0)}
    oc, oy = ops.scan(step, init, xs)
    kc, ky = kops.scan(step, init, xs)
    assert torch.equal(oc["t"], kc["t"]) and torch.equal(oy["seen"], ky["seen"])


def test_scan_with_reverse_matches_python_loop():
    xs = torch.randn(6, 2)
    carry, ys = ops.scan(lambda c, x: (c * 0.5 + x, c), torch.zeros(2), xs, reverse=True)
    c, expected = torch.zeros(2), [None] * 6
    for i in reversed(range(6)):
        expected[i] = c
        c = c * 0.5 + xs[i]
    assert torch.allclose(carry, c) and torch.allclose(ys, torch.stack(expected))


def test_loops_return_structures_like_keras():
    assert ops.fori_loop(0, 10, lambda i, v: v + i, 0) == kops.fori_loop(
        0, 10, lambda i, v: v + i, 0
    )
    ours = ops.while_loop(lambda i, j: i < 5, lambda i, j: [i + 1, j * 2], [0, 1])
    want = kops.while_loop(lambda i, j: i < 5, lambda i, j: [i + 1, j * 2], [0, 1])
    assert type(ours) is type(want) is tuple
    assert [int(v) for v in ours] == [int(v) for v in want] == [5, 32]
    single = ops.while_loop(lambda x: x < 10, lambda x: x + 3, 1)
    assert isinstance(single, torch.Tensor) and int(single) == 10
    capped = ops.while_loop(lambda x: x < 100, lambda x: x + 1, 0, maximum_iterations=7)
    assert int(capped) == 7


def test_cond_and_switch_select_branches():
    assert ops.cond(torch.tensor(2.0) > 1.0, lambda: "yes", lambda: "no") == "yes"
    assert ops.cond(False, lambda: "yes", lambda: "no") == "no"
    branches = [lambda x: x + 1, lambda x: x * 10, lambda x: -x]
    for index in (-3, 0, 1, 2, 9, torch.tensor(1)):
        assert ops.switch(index, branches, 2) == kops.switch(index, branches, torch.tensor(2))


def test_associative_scan_uses_logarithmic_calls():
    calls = []

    def add(a, b):
        calls.append(1)
        return a + b

    x = torch.randn(1000, 3)
    out = ops.associative_scan(add, x)
    assert torch.allclose(out, x.cumsum(0), atol=1e-3)
    assert len(calls) <= 2 * 10  # 2 * ceil(log2(1000))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 13, 16, 17])
def test_associative_scan_non_commutative(n):
    m = torch.randn(n, 2, 2)
    out = ops.associative_scan(lambda a, b: a @ b, m)
    ref = [m[0]]
    for i in range(1, n):
        ref.append(ref[-1] @ m[i])
    assert torch.allclose(out, torch.stack(ref), atol=1e-4)
    # reverse=True scans from the end: out[i] = f(...f(m[n-1], m[n-2])..., m[i]), as Keras/JAX
    rev = ops.associative_scan(lambda a, b: a @ b, m, reverse=True)
    ref = [m[n - 1]]
    for i in range(n - 2, -1, -1):
        ref.append(ref[-1] @ m[i])
    assert torch.allclose(rev, torch.stack(ref[::-1]), atol=1e-4)
    if n > 1:
        want = keras.ops.associative_scan(lambda a, b: a @ b, m, reverse=True)
        assert torch.allclose(rev, want, atol=1e-4)


def test_control_flow_symbolic_shapes_match_keras():
    cases = [
        lambda m, T: m.map(lambda x: x.sum(), T((None, 3))),
        lambda m, T: m.scan(lambda c, x: (c + x, c * x), T((3,)), T((5, 3))),
        lambda m, T: m.scan(lambda c, x: (c * 2, c), T((None, 3)), length=4),
        lambda m, T: m.associative_scan(lambda a, b: a + b, T((None, 7)), axis=1),
        lambda m, T: m.vectorized_map(lambda x: x.sum(), T((None, 3))),
        lambda m, T: m.fori_loop(0, 3, lambda i, v: v * 2, T((None, 3))),
        lambda m, T: m.while_loop(lambda x: True, lambda x: x, T((None, 3)), 2),
        lambda m, T: m.switch(1, [lambda x: x + 1, lambda x: x * 2], T((None, 3))),
        lambda m, T: m.cond(T((), "bool"), lambda: torch.ones(2), lambda: torch.zeros(2)),
        lambda m, T: m.scatter(T((None, 2), "int32"), T((None,)), (4, 4)),
        lambda m, T: m.scatter_update(T((None, 4)), T((3, 2), "int32"), T((3,))),
        lambda m, T: m.slice(T((None, 5)), T((2,), "int32"), (2, 3)),
        lambda m, T: m.slice(T((4, 5)), (1, 2), (2, -1)),
        lambda m, T: m.unstack(T((None, 2)), num=3),
        lambda m, T: m.convert_to_tensor(T((None, 2)), "int32"),
    ]
    for case in cases:
        want = keras.tree.flatten(case(kops, keras.KerasTensor))
        ours = keras.tree.flatten(case(ops, KerasTensor))
        assert [(o.shape, o.dtype) for o in ours] == [(tuple(w.shape), w.dtype) for w in want]


def test_control_flow_in_a_functional_model():
    inputs = ketorch.Input((4,))
    doubled = ops.map(lambda row: row * 2.0, inputs)
    _, prefix = ops.scan(lambda c, row: (c + row, c + row), torch.zeros(4), inputs)
    cums = ops.associative_scan(lambda a, b: a + b, inputs, axis=1)
    sat = ops.saturate_cast(ops.cast(inputs, "int32"), "uint8")
    model = ketorch.Model(inputs, [doubled, prefix, cums, sat])
    x = np.arange(12, dtype="float32").reshape(3, 4) * 30
    d, p, c, s = model(x)
    t = torch.from_numpy(x)
    assert torch.equal(d, t * 2) and torch.equal(p, t.cumsum(0)) and torch.equal(c, t.cumsum(1))
    assert s.dtype == torch.uint8 and int(s.max()) == 255


def test_nested_and_static_first_ops_in_a_functional_model():
    a, b = ketorch.Input((3,)), ketorch.Input((3,))
    outs = [
        ops.map(lambda d: d["a"] * d["b"], {"a": a, "b": b}),
        ops.vectorized_map(lambda d: d["a"].sum() + d["b"], {"a": a, "b": b}),
        ops.vectorized_map(lambda r: r * 3.0, a),
        ops.while_loop(lambda i, x: i < 2, lambda i, x: (i + 1, x * 2.0), (0, a))[1],
        ops.while_loop(lambda d: False, lambda d: d, {"x": a})["x"],
        ops.fori_loop(0, 2, lambda i, v: v + 1.0, a),
        ops.fori_loop(0, 2, lambda i, d: {"x": d["x"] * 2.0}, {"x": b})["x"],
        ops.scan(lambda c, x: (c + x["a"], c), torch.zeros(3), {"a": a})[1],
    ]
    model = ketorch.Model([a, b], outs)
    x1 = torch.arange(6.0).reshape(2, 3)
    x2 = torch.full((2, 3), 2.0)
    got = model([x1, x2])
    want = [
        x1 * x2,
        x1.sum(1, keepdim=True) + x2,
        x1 * 3,
        x1 * 4,
        x1,
        x1 + 2,
        x2 * 4,
        torch.cat([torch.zeros(1, 3), x1[:1]]),
    ]
    for g, w in zip(got, want, strict=True):
        assert torch.allclose(g, w)


# ----------------------------------------------------------------- introspection
def test_shape_dtype_is_tensor_match_keras():
    x = torch.zeros(2, 3, dtype=torch.float16)
    assert ops.shape(x) == kops.shape(x) == (2, 3)
    assert all(type(d) is int for d in ops.shape(x))
    assert ops.shape(np.zeros((4, 1))) == (4, 1)
    assert ops.shape(KerasTensor((None, 3))) == kops.shape(keras.KerasTensor((None, 3)))
    assert ops.dtype(x) == kops.dtype(x) == "float16"
    assert ops.dtype(KerasTensor((2,), "int32")) == "int32"
    assert ops.dtype(np.zeros(2, "int64")) == "int64"
    assert ops.is_tensor(x) and not ops.is_tensor(np.zeros(2)) and not ops.is_tensor(3)
    assert ops.is_tensor(KerasTensor((2,))) == kops.is_tensor(keras.KerasTensor((2,))) is False


def test_convert_to_numpy_matches_keras():
    x = torch.randn(3, requires_grad=True)
    ours, want = ops.convert_to_numpy(x), kops.convert_to_numpy(x)
    assert ours.dtype == want.dtype and np.array_equal(ours, want)
    ours[0] = 100.0  # a copy: the tensor is unchanged
    assert float(x[0]) != 100.0
    bf = torch.tensor([1.5, -2.0], dtype=torch.bfloat16)
    assert ops.convert_to_numpy(bf).dtype == kops.convert_to_numpy(bf).dtype == ml_dtypes.bfloat16
    pair = [torch.ones(2), torch.zeros(2)]
    assert np.array_equal(ops.convert_to_numpy(pair), kops.convert_to_numpy(pair))
    assert np.array_equal(ops.convert_to_numpy(3.0), kops.convert_to_numpy(3.0))
    with pytest.raises(ValueError, match="ops.convert_to_numpy"):
        ops.convert_to_numpy(KerasTensor((None, 2)))


def test_convert_to_tensor_keeps_tensors_and_keras_tensors():
    x = torch.ones(3)
    assert ops.convert_to_tensor(x) is x
    kt = KerasTensor((None, 2))
    assert ops.convert_to_tensor(kt) is kt
    cast = ops.convert_to_tensor(kt, "int32")
    assert isinstance(cast, KerasTensor) and cast.dtype == "int32"
    bf = np.ones(3, dtype=ml_dtypes.bfloat16)
    assert ops.convert_to_tensor(bf).dtype == kops.convert_to_tensor(bf).dtype == torch.bfloat16


def test_stop_gradient_blocks_gradients():
    x = torch.ones(3, requires_grad=True)
    y = (ops.stop_gradient(x * 2.0) * x).sum()
    y.backward()
    assert torch.equal(x.grad, torch.full((3,), 2.0))


# ----------------------------------------------------------------- errors
def test_errors_name_the_op():
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="ops.unstack"):
        ops.unstack(x, axis=2)
    with pytest.raises(ValueError, match="ops.unstack.*num"):
        ops.unstack(x, num=4)
    with pytest.raises(ValueError, match="ops.associative_scan"):
        ops.associative_scan(lambda a, b: a + b, x, axis=3)
    with pytest.raises(ValueError, match="ops.associative_scan"):
        ops.associative_scan(lambda a, b: [a[0] + b[0], a[1]], [x, torch.zeros(3, 3)])
    with pytest.raises(TypeError, match="ops.associative_scan.*callable"):
        ops.associative_scan(3, x)
    with pytest.raises(ValueError, match="ops.scatter_update.*reduction"):
        ops.scatter_update(x, [[0, 0]], torch.ones(1), reduction="avg")
    with pytest.raises(ValueError, match="ops.scatter_update.*reduction"):
        ops.scatter_update(KerasTensor((None, 3)), [[0, 0]], torch.ones(1), reduction="avg")
    with pytest.raises(TypeError, match="ops.scatter.*integers"):
        ops.scatter([[0.5, 1.0]], torch.ones(1), (2, 2))
    with pytest.raises(ValueError, match="ops.scatter"):
        ops.scatter([[0, 1, 0]], torch.ones(1), (2, 2))
    with pytest.raises(ValueError, match="ops.slice"):
        ops.slice(x, (0,), (1, 1))
    with pytest.raises(ValueError, match="ops.slice"):
        ops.slice(x, (0, 0), (1,))
    with pytest.raises(ValueError, match="ops.slice_update"):
        ops.slice_update(x, (0, 0), torch.ones(3))
    with pytest.raises(ValueError, match="ops.slice_update"):
        ops.slice_update(x, (1, 2), torch.ones(2, 2))
    with pytest.raises(ValueError, match="ops.scan.*unroll"):
        ops.scan(lambda c, x: (c, x), 0.0, x, unroll=0)
    with pytest.raises(ValueError, match="ops.scan"):
        ops.scan(lambda c, x: (c, x), 0.0)
    with pytest.raises(TypeError, match="ops.scan.*callable"):
        ops.scan(None, 0.0, x)
    with pytest.raises(ValueError, match="ops.switch"):
        ops.switch(0, [], x)
    with pytest.raises(ValueError, match="ops.cond"):
        ops.cond(torch.ones(3), lambda: 1, lambda: 2)
    with pytest.raises(ValueError, match="ops.convert_to_tensor.*sparse"):
        ops.convert_to_tensor(x, sparse=True)
    with pytest.raises(ValueError, match="ops.convert_to_tensor.*ragged"):
        ops.convert_to_tensor(x, ragged=True)
    with pytest.raises(ValueError, match="ops.cond"):
        ops.cond(KerasTensor((), "bool"), lambda: torch.ones(2), lambda: torch.ones(3))
    with pytest.raises(ValueError, match="ops.unstack"):
        ops.unstack(KerasTensor((None, 2)))
    with pytest.raises(ValueError, match="Invalid dtype"):
        ops.cast(x, "float17")
