"""The array ops: bad arguments raise errors naming the op; symbolic recording, saving and the
behaviours the parity cases cannot compare (undefined values, devices, gradients)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import ketorch as keras
from ketorch import ops
from ketorch.backend import get_device
from ketorch.layers.node import KerasTensor

X = torch.arange(12, dtype=torch.float32).reshape(3, 4)
X3 = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)

BAD = [
    ("expand_dims", (X, 3), {}),
    ("concatenate", ([X, X],), {"axis": 2}),
    ("concatenate", ([X, X3],), {}),
    ("append", (X, X), {"axis": -3}),
    ("stack", ([X, X],), {"axis": 3}),
    ("stack", ([X, X[:2]],), {}),
    ("hstack", ([X, X3],), {}),
    ("reshape", (X, (5, 3)), {}),
    ("reshape", (X, (-1, -1)), {}),
    ("reshape", (X, (-2, 6)), {}),
    ("squeeze", (X,), {"axis": 0}),
    ("squeeze", (X,), {"axis": 2}),
    ("transpose", (X3, (0, 1)), {}),
    ("transpose", (X3, (0, 1, 1)), {}),
    ("swapaxes", (X, 0, 2), {}),
    ("moveaxis", (X3, (0, 1), 2), {}),
    ("moveaxis", (X3, 3, 0), {}),
    ("flip", (X,), {"axis": 2}),
    ("fliplr", (X[0],), {}),
    ("flipud", (X[0, 0],), {}),
    ("rot90", (X[0],), {}),
    ("rot90", (X3,), {"axes": (1, 1)}),
    ("rot90", (X3,), {"axes": (0, 3)}),
    ("roll", (X, 1), {"axis": 2}),
    ("diag", (X3,), {}),
    ("diagonal", (X,), {"axis1": 1, "axis2": -1}),
    ("diagonal", (X[0],), {}),
    ("tril", (X[0],), {}),
    ("triu", (X[0],), {}),
    ("vander", (X,), {}),
    ("vander", (X[0],), {"N": -1}),
    ("split", (X, 5), {}),
    ("split", (X, 2), {"axis": 2}),
    ("split", (X, 0), {}),
    ("array_split", (X, 0), {}),
    ("hsplit", (X, 3), {}),
    ("vsplit", (X[0], 2), {}),
    ("dsplit", (X, 2), {}),
    ("repeat", (X, [1, 2]), {"axis": 0}),
    ("repeat", (X, -1), {}),
    ("repeat", (X, 2), {"axis": 2}),
    ("tile", (X, (2, -1)), {}),
    ("broadcast_to", (X, (2, 4)), {}),
    ("broadcast_to", (X3, (3, 4)), {}),
    ("pad", (X, 1), {"mode": "bogus"}),
    ("pad", (X, -1), {}),
    ("pad", (X, ((1, 1), (1, 1), (1, 1))), {}),
    ("pad", (X, 1), {"mode": "reflect", "constant_values": 2.0}),
    ("pad", (torch.zeros(0, 2), 1), {"mode": "edge"}),
    ("meshgrid", (X[0], X[0]), {"indexing": "yx"}),
    ("zeros", ((2, -1),), {}),
    ("zeros", ((2, None),), {}),
    ("ones", ((2,),), {"dtype": "float5"}),
    ("full", ((2, 3), torch.ones(4)), {}),
    ("linspace", (0.0, 1.0), {"num": -1}),
    ("linspace", (0.0, 1.0, 3), {"axis": 2}),
    ("view", (torch.zeros(3, dtype=torch.int8), "int32"), {}),
    ("get_item", (X, (0, 7)), {}),
    ("get_item", (X, (0, 0, 0)), {}),
    ("get_item", (X, [0, 5]), {}),
    ("bartlett", (-1,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_name_the_op(name, args, kwargs):
    with pytest.raises(ValueError, match=f"ops.{name}"):
        getattr(ops, name)(*args, **kwargs)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ops.eye(2.0),
        lambda: ops.eye(2, 3.0),
        lambda: ops.tri(2.5),
        lambda: ops.identity("3"),
        lambda: ops.array_split(X, [1, 2]),
        lambda: ops.vander(X[0], increasing=1),
        lambda: ops.split(X, 1.5),
        lambda: ops.zeros("3"),
        lambda: ops.transpose(X, (0.0, 1)),
        lambda: ops.kaiser(KerasTensor((), "int32"), 1.0),
        lambda: ops.hanning(KerasTensor((), "int32")),
    ],
)
def test_type_errors(call):
    with pytest.raises(TypeError, match=r"ops\.\w+"):
        call()


def test_symbolic_errors_name_the_op():
    kt = KerasTensor((None, 3, 4))
    with pytest.raises(ValueError, match="ops.squeeze"):
        ops.squeeze(kt, axis=1)
    with pytest.raises(ValueError, match="ops.reshape"):
        ops.reshape(KerasTensor((3, 4)), (5, 3))
    with pytest.raises(ValueError, match="ops.broadcast_to"):
        ops.broadcast_to(kt, (2, 5, 4))
    with pytest.raises(ValueError, match="ops.split"):
        ops.split(kt, 5, axis=2)
    with pytest.raises(ValueError, match="ops.repeat"):
        ops.repeat(kt, [1, 2], axis=1)


# ----------------------------------------------------------------------- symbolic shapes
def test_symbolic_shapes():
    kt = KerasTensor((None, 3, 4))
    assert ops.reshape(kt, (-1, 4)).shape == (None, 4)
    assert ops.reshape(kt, (-1, 12)).shape == (None, 12)
    assert ops.reshape(KerasTensor((2, 3, 4)), (-1, 4)).shape == (6, 4)
    assert ops.reshape(kt, newshape=(2, -1)).shape == (2, None)
    assert ops.ones_like(kt).shape == (None, 3, 4)
    assert ops.zeros_like(kt, dtype="int32").dtype == "int32"
    assert ops.full_like(kt, 2.0).shape == (None, 3, 4)
    assert ops.get_item(kt, (slice(None), None, 0)).shape == (None, 1, 4)
    assert ops.get_item(kt, (Ellipsis, slice(1, 3))).shape == (None, 3, 2)
    assert ops.get_item(kt, slice(None, None, 2)).shape == (None, 3, 4)
    assert ops.get_item(kt, [slice(None), 0]).shape == (None, 4)  # a list is a tuple in graphs
    assert ops.get_item(kt, torch.tensor([0, 2])).shape == (2, 3, 4)
    assert [t.shape for t in ops.split(kt, 3)] == [(None, 3, 4)] * 3
    assert [t.shape for t in ops.split(kt, [1, 3], axis=-1)] == [(None, 3, 1), (None, 3, 2)] * 1 + [
        (None, 3, 1)
    ]
    assert [t.shape for t in ops.array_split(kt, 2, axis=1)] == [(None, 2, 4), (None, 1, 4)]
    assert ops.pad(kt, ((0, 0), (1, 2), (0, 1)), mode="symmetric").shape == (None, 6, 5)
    assert ops.full((2, 4), KerasTensor((4,))).shape == (2, 4)
    assert ops.repeat(kt, 2, axis=0).shape == (None, 3, 4)
    assert ops.repeat(kt, 2).shape == (None,)
    assert ops.tile(kt, (1, 2, 1)).shape == (None, 6, 4)
    assert ops.ndim(kt) == 3
    assert ops.size(kt).shape == () and ops.size(kt).dtype == "int64"
    grid = ops.meshgrid(KerasTensor((3,)), KerasTensor((5,), "int32"))
    assert [g.shape for g in grid] == [(5, 3), (5, 3)] and grid[1].dtype == "int32"


def test_functional_model_saves_and_reloads_keys_and_configs():
    inp = keras.Input((3, 4))
    outs = [
        ops.reshape(inp, (-1, 4)),
        ops.get_item(inp, (0, 1)),  # comes back from JSON as [0, 1]: still a tuple index
        ops.get_item(inp, (slice(None), None, Ellipsis, slice(1, 3))),
        ops.pad(inp, ((0, 0), (1, 1), (2, 0)), mode="reflect"),
        ops.pad(inp, ((0, 0), (1, 0), (0, 0)), constant_values=ops.get_item(inp, (0, 0, 0))),
        ops.full((2, 3), ops.get_item(inp, (0, 0, 0))),
        *ops.split(inp, 2, axis=2),
    ]
    model = keras.Model(inp, outs)
    config = json.loads(json.dumps(model.get_config()))
    clone = keras.Model.from_config(config)
    x = torch.randn(2, 3, 4)
    want = [
        x.reshape(-1, 4),
        x[0, 1],
        x[:, None, ..., 1:3],
        torch.from_numpy(np.pad(x.numpy(), ((0, 0), (1, 1), (2, 0)), mode="reflect")),
        torch.nn.functional.pad(x, (0, 0, 1, 0), value=float(x[0, 0, 0])),
        torch.full((2, 3), float(x[0, 0, 0])),
        x[..., :2],
        x[..., 2:],
    ]
    for got_model in (model, clone):
        for got, w in zip(got_model(x), want):
            torch.testing.assert_close(got, w)


# --------------------------------------------------------------- eager-only behaviours
def test_empty_shapes_dtypes_devices():
    e = ops.empty((2, 3))
    assert e.shape == (2, 3) and e.dtype == torch.float32 and e.device.type == get_device().type
    e = ops.empty(4, dtype="int32")
    assert e.shape == (4,) and e.dtype == torch.int32
    like = ops.empty_like(X3, dtype="float16")
    assert like.shape == X3.shape and like.dtype == torch.float16
    assert ops.empty_like(X3).dtype == torch.float32


def test_creation_ops_use_the_ketorch_device():
    dev = get_device().type
    for t in (
        ops.zeros(2),
        ops.ones((1, 2)),
        ops.full((2,), 3),
        ops.arange(3),
        ops.linspace(0, 1, 3),
        ops.logspace(0, 1, 3),
        ops.geomspace(1, 2, 3),
        ops.eye(2, k=1),
        ops.identity(2),
        ops.tri(2),
        ops.hanning(4),
        ops.kaiser(4, 1.0),
        ops.array([1, 2]),
    ):
        assert t.device.type == dev


def test_shapes_given_as_tensors_and_numpy():
    assert ops.zeros(torch.tensor([2, 3])).shape == (2, 3)
    assert ops.ones([np.int64(2), torch.tensor(3)]).shape == (2, 3)
    assert ops.reshape(X, torch.tensor([2, -1])).shape == (2, 6)
    assert ops.tile(X, np.array([2, 1])).shape == (6, 4)
    assert ops.eye(torch.tensor(3)).shape == (3, 3)


def test_ndim_and_size_values():
    assert ops.ndim(X3) == 3 and isinstance(ops.ndim(X3), int)
    assert ops.ndim([[1, 2]]) == 2
    s = ops.size(X3)
    assert int(s) == 24 and s.dtype == torch.int64


def test_get_item_eager_list_is_an_index_array():
    assert ops.get_item(X, [0, 2]).shape == (2, 4)
    torch.testing.assert_close(ops.get_item(X, [slice(None), 1]), X[:, 1])
    torch.testing.assert_close(ops.get_item(X, np.array([2, 0])), X[[2, 0]])
    torch.testing.assert_close(
        ops.get_item(X, (slice(None), np.array([True, False] * 2))), X[:, ::2]
    )


def test_view_round_trip_and_linspace_retstep():
    torch.testing.assert_close(ops.view(ops.view(X, "int32"), "float32"), X)
    assert ops.view(X).dtype == torch.float32
    y, step = ops.linspace(0.0, 1.0, 5, retstep=True)
    assert step == 0.25 and isinstance(step, float)
    y, step = ops.linspace(torch.zeros(2), torch.ones(2), 3, retstep=True)
    torch.testing.assert_close(step, torch.full((2,), 0.5))


def test_pad_modes_against_numpy():
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    widths = ((4, 2), (6, 7))
    for mode in ("edge", "reflect", "symmetric", "wrap", "maximum", "minimum", "mean", "median"):
        got = ops.pad(torch.from_numpy(x), widths, mode=mode)
        np.testing.assert_allclose(got.numpy(), np.pad(x, widths, mode=mode), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        ops.pad(torch.from_numpy(x), widths, mode="circular").numpy(), np.pad(x, widths, "wrap")
    )
    got = ops.pad(torch.tensor([[1, 2], [3, 4]]), 1, constant_values=torch.tensor(9))
    np.testing.assert_array_equal(got.numpy(), np.pad([[1, 2], [3, 4]], 1, constant_values=9))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.vander(x),
        lambda x: ops.vander(x, N=5, increasing=True),
        lambda x: ops.pad(x, (2, 3), mode="reflect"),
        lambda x: ops.pad(x, (2, 1), mode="symmetric"),
        lambda x: ops.pad(x, (2, 1), mode="mean"),
        lambda x: ops.pad(x, (2, 2), mode="linear_ramp"),
        lambda x: ops.linspace(x, x * 2 + 1, 4, dtype="float64"),
        lambda x: ops.repeat(x, [1, 0, 2, 1]),
        lambda x: ops.full((3, 4), x, dtype="float64"),
    ],
)
def test_gradients_numerically(fn):
    x = torch.tensor([0.0, 1.5, -2.0, 0.7], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(fn, (x,))


def test_full_returns_new_memory():
    fill = torch.ones(2, 3)
    out = ops.full((2, 3), fill)
    out += 1
    assert float(fill.sum()) == 6.0
