"""Products, contractions and selection ops: bad arguments raise errors naming the op; what the
parity cases cannot compare (``vectorize``, which returns a function; gradients where Keras's
torch backend fails; graph nodes run on tensors)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ketorch  # noqa: E402
from ketorch import ops  # noqa: E402
from ketorch.layers.node import KerasTensor  # noqa: E402

A = torch.rand(2, 3)
B = torch.rand(4, 3)
V3 = torch.rand(3)
IDX = torch.tensor([0, 1])
COND = torch.tensor([True, False, True])

BAD_CALLS = [
    ("matmul", lambda: ops.matmul(A, A)),
    ("matmul", lambda: ops.matmul(torch.tensor(2.0), A)),
    ("dot", lambda: ops.dot(A, A)),
    ("dot", lambda: ops.dot(torch.rand(2, 3), torch.rand(2, 2, 5))),
    ("tensordot", lambda: ops.tensordot(A, A, axes=3)),
    ("tensordot", lambda: ops.tensordot(A, A, axes=-1)),
    ("tensordot", lambda: ops.tensordot(A, A, axes=([0, 1], [0]))),
    ("tensordot", lambda: ops.tensordot(A, A, axes=([2], [0]))),
    ("tensordot", lambda: ops.tensordot(A, A, axes=([1], [0]))),
    ("tensordot", lambda: ops.tensordot(A, A, axes="last")),
    ("einsum", lambda: ops.einsum("ij,jk->ik", A, A)),
    ("einsum", lambda: ops.einsum("ij,jk->ik", A)),
    ("einsum", lambda: ops.einsum("ij", torch.rand(2, 3, 4))),
    ("einsum", lambda: ops.einsum("ij")),
    ("inner", lambda: ops.inner(A, torch.rand(3, 2))),
    ("vdot", lambda: ops.vdot(A, V3)),
    ("cross", lambda: ops.cross(torch.rand(2, 4), torch.rand(2, 4))),
    ("cross", lambda: ops.cross(B, B, axisa=2)),
    ("cross", lambda: ops.cross(B, B, axisc=3)),
    ("cross", lambda: ops.cross(torch.tensor(1.0), V3)),
    ("cross", lambda: ops.cross(torch.rand(2, 3), torch.rand(5, 3))),
    ("trace", lambda: ops.trace(V3)),
    ("trace", lambda: ops.trace(A, axis1=0, axis2=-2)),
    ("trace", lambda: ops.trace(A, axis2=2)),
    ("slogdet", lambda: ops.slogdet(A)),
    ("take", lambda: ops.take(A, IDX, axis=2)),
    ("take", lambda: ops.take(A, torch.tensor([5]), axis=0)),
    ("take", lambda: ops.take(torch.tensor(1.0), IDX, axis=0)),
    ("take_along_axis", lambda: ops.take_along_axis(A, IDX, axis=1)),
    ("take_along_axis", lambda: ops.take_along_axis(A, IDX[None], axis=2)),
    ("where", lambda: ops.where(COND, V3)),
    ("where", lambda: ops.where(COND, x2=V3)),
    ("where", lambda: ops.where(COND, V3, torch.rand(2))),
    ("select", lambda: ops.select(COND, [V3])),
    ("select", lambda: ops.select([], [])),
    ("select", lambda: ops.select([COND, COND], [V3])),
    ("vectorize", lambda: ops.vectorize(3)),
    ("vectorize", lambda: ops.vectorize(torch.sum, signature="(n)->")),
    ("vectorize", lambda: ops.vectorize(torch.sum, signature="n->()")),
]


@pytest.mark.parametrize(
    "name,call", BAD_CALLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_CALLS)]
)
def test_bad_arguments_name_the_op(name, call):
    with pytest.raises(ValueError, match=rf"ops\.{name}"):
        call()


def test_type_errors_name_the_op():
    with pytest.raises(TypeError, match=r"ops\.unravel_index"):
        ops.unravel_index(torch.tensor([1.0]), (2, 3))
    with pytest.raises(TypeError, match=r"ops\.einsum"):
        ops.einsum(3, A)
    with pytest.raises(TypeError, match=r"ops\.cross"):
        ops.cross(B, B, axisa=1.5)


def test_symbolic_bad_arguments_name_the_op():
    with pytest.raises(ValueError, match=r"ops\.matmul"):
        ops.matmul(KerasTensor((None, 3)), KerasTensor((4, 5)))
    with pytest.raises(ValueError, match=r"ops\.trace"):
        ops.trace(KerasTensor((None, 3)), axis1=1, axis2=-1)


# --------------------------------------------------------------------------- symbolic specs
def test_data_dependent_ops_have_specs():
    x = KerasTensor((None, 3, 4), "float32")
    nz = ops.nonzero(x)
    assert (nz.shape, nz.dtype) == ((3, None), "int32")
    w = ops.where(KerasTensor((None, 3), "bool"))
    assert (w.shape, w.dtype) == ((2, None), "int64")
    w = ops.where(KerasTensor((None, 3), "bool"), KerasTensor((None, 3), "int8"), 1.5)
    assert (w.shape, w.dtype) == ((None, 3), "float32")


def test_graph_nodes_run_on_tensors():
    """Recorded ops (``einsum`` holds ``subscripts`` in its config) rerun in a model."""
    inp = ketorch.Input((3, 4))
    w = torch.rand(4, 5)
    y = ops.einsum("bij,jk->bik", inp, w)
    y = ops.where(y > 1.0, y, 0.0)
    y = ops.take(y, [0, 2], axis=1)
    model = ketorch.Model(inp, y)
    x = torch.rand(2, 3, 4)
    expect = torch.einsum("bij,jk->bik", x, w)
    expect = torch.where(expect > 1.0, expect, 0.0)[:, [0, 2]]
    torch.testing.assert_close(model(x), expect)


# --------------------------------------------------------------------------- gradients
def _grads(fn, *shapes):
    torch.manual_seed(0)
    xs = [torch.rand(s, dtype=torch.float32, requires_grad=True) for s in shapes]
    out = fn(*xs)
    w = torch.rand(out.shape)
    return torch.autograd.grad((out * w).sum(), xs)


@pytest.mark.parametrize(
    "ours,ref,shapes",
    [
        (
            lambda a, b: ops.cross(a, b),
            lambda a, b: a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0],
            ((4, 2), (4, 2)),
        ),
        (
            lambda a, b: ops.cross(a, b),
            lambda a, b: torch.linalg.cross(torch.nn.functional.pad(a, (0, 1)), b),
            ((4, 2), (4, 3)),
        ),
        (
            lambda a, b: ops.vdot(a, b),
            lambda a, b: (a.reshape(-1) * b.reshape(-1)).sum(),
            ((2, 3), (3, 2)),
        ),
        (
            lambda a, b: ops.dot(a, b),
            lambda a, b: torch.einsum("xyi,jik->xyjk", a, b),
            ((2, 2, 3), (4, 3, 5)),
        ),
        (
            lambda a, b: ops.cross(a, b, axisa=0, axisb=0, axisc=1),
            lambda a, b: torch.linalg.cross(a.T, b.T),
            ((3, 4), (3, 4)),
        ),
    ],
)
def test_gradients_where_keras_fails(ours, ref, shapes):
    for g, r in zip(_grads(ours, *shapes), _grads(ref, *shapes)):
        torch.testing.assert_close(g, r)


# --------------------------------------------------------------------------- vectorize
def _both(fn, *args, signature=None):
    ours = ops.vectorize(fn, signature=signature)(*args)
    want = keras.ops.vectorize(fn, signature=signature)(*args)
    return ours, want


def _assert_same(ours, want):
    ours = ours if isinstance(ours, tuple) else (ours,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(ours) == len(want)
    for o, w in zip(ours, want):
        assert o.shape == w.shape and o.dtype == w.dtype
        torch.testing.assert_close(o, w)


@pytest.mark.parametrize(
    "shapes",
    [((4, 1), (1, 5)), ((3,), (2, 3)), ((1, 1), (1, 5)), ((2, 1, 3), (4, 1)), ((), (3,))],
)
def test_vectorize_elementwise_matches_keras(shapes):
    args = [torch.rand(s) for s in shapes]
    _assert_same(*_both(lambda a, b: a * b + torch.sin(a), *args))


@pytest.mark.parametrize(
    "signature,fn,shapes",
    [
        ("(n),(n)->()", lambda a, b: torch.dot(a, b), ((4, 3), (3,))),
        ("(n),(n)->()", lambda a, b: torch.dot(a, b), ((2, 1, 3), (5, 3))),
        ("(m,n),(n)->(m)", lambda m, v: m @ v, ((2, 4, 3), (3,))),
        ("(n)->(),()", lambda a: (a.sum(), a.max()), ((4, 3),)),
        ("(n)->(n)", lambda a: a.cumsum(0), ((1, 2, 3),)),
    ],
)
def test_vectorize_signature_matches_keras(signature, fn, shapes):
    args = [torch.rand(s) for s in shapes]
    _assert_same(*_both(fn, *args, signature=signature))


def test_vectorize_excluded_none_and_kwargs():
    calls = []

    def f(x, scale, offset=None, *, shift=0.0):
        calls.append(scale)
        return x * scale + (0.0 if offset is None else offset) + shift

    x = torch.rand(3, 4)
    got = ops.vectorize(f, excluded={1})(x, 2.0, None, shift=1.0)
    torch.testing.assert_close(got, x * 2.0 + 1.0)
    assert all(c == 2.0 for c in calls)


def test_vectorize_checks_core_dimensions():
    f = ops.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")
    with pytest.raises(ValueError, match="core dimension"):
        f(torch.rand(2, 3), torch.rand(4))
    g = ops.vectorize(lambda a: a, signature="(n)->()")
    with pytest.raises(ValueError, match="core dimensions"):
        g(torch.rand(2, 3))
    h = ops.vectorize(lambda a: a.sum(), signature="(n),(n)->()")
    with pytest.raises(TypeError, match="vectorized arguments"):
        h(torch.rand(2, 3))
    k = ops.vectorize(lambda a: a.repeat(2))
    with pytest.raises(ValueError, match="core dimensions"):
        k(torch.rand(2, 3))


def test_vectorize_keeps_gradients():
    x = torch.rand(3, 4, requires_grad=True)
    y = ops.vectorize(lambda a: torch.tanh(a) * a)(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    xd = x.detach()
    torch.testing.assert_close(g, torch.tanh(xd) + xd * (1 - torch.tanh(xd) ** 2))


# --------------------------------------------------------------------------- odd inputs
def test_python_and_numpy_inputs():
    assert ops.matmul([[1, 2]], [[3], [4]]).dtype == torch.int32
    np.testing.assert_array_equal(ops.dot([1, 2], [3, 4]).numpy(), 11)
    np.testing.assert_array_equal(ops.take(np.arange(6).reshape(2, 3), 1, axis=1).numpy(), [1, 4])
    np.testing.assert_array_equal(ops.take(torch.arange(6), -1).numpy(), 5)
    rows, cols = ops.nonzero(np.eye(2))
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [0, 1])
    r, c = ops.unravel_index(7, (2, 4))
    assert (int(r), int(c)) == (1, 3)
    assert ops.where([True, False], 1, 2).tolist() == [1, 2]
