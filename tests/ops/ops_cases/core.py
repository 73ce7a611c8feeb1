"""Cases for keras.ops.core: casts and conversion, scatter/slice updates, control flow.

Control-flow cases pass Python functions; they run on plain torch tensors on both sides. The
parity harness compares flat lists of outputs, so dict outputs are tested in test_core_ops.py.
"""

import numpy as np
import torch
from op_cases import Case, T


def _int(shape, high, seed=0):
    return T(shape, "int32", 0, high, seed, "int")


def _vals(shape, values, dtype="float32"):
    return T(shape, dtype, kind="values", values=tuple(values))


def _slice_to_end(x, start_indices, shape):
    return x[tuple(slice(s, None if n == -1 else s + n) for s, n in zip(start_indices, shape))]


def _saturate_ref(x, dtype):
    info = np.iinfo(dtype)
    hi = np.nextafter(np.float32(info.max), np.float32(0))  # int32 max is not a float32
    return np.clip(x, info.min, hi).astype(dtype)


CASES = [
    # ----------------------------------------------------------- cast
    Case("cast", (T((2, 3)), "int32")),
    Case("cast", (T((2, 3)), "float16"), grad=True, atol=1e-3, id="to-float16"),
    Case("cast", (T((2, 3)), "float64"), grad=True, id="to-float64"),
    Case("cast", (T((2, 3), "int32", -5, 5), "float32"), id="int-to-float"),
    Case("cast", (T((4,), "bool"), "float32"), id="bool-to-float"),
    Case("cast", (T((4,)), "bool"), id="float-to-bool"),
    Case("cast", (T((3, 2)), "bfloat16"), atol=1e-2, id="to-bfloat16"),
    Case("cast", (T((3, 2), "int32"), "int8"), id="int8"),
    Case("cast", ([1.5, -2.7], "int32"), id="list"),
    Case("cast", (2.5, "float16"), id="scalar"),
    # ----------------------------------------------------------- convert_to_tensor
    Case("convert_to_tensor", (T((2, 3)),)),
    Case("convert_to_tensor", (T((2, 3), "int32"), "float32"), id="dtype"),
    Case("convert_to_tensor", (T((2, 3)),), {"dtype": "float16"}, atol=1e-3, id="kw-float16"),
    Case("convert_to_tensor", (np.arange(6, dtype="float64").reshape(2, 3),), id="numpy-f64"),
    Case("convert_to_tensor", (np.arange(4, dtype="int64"),), id="numpy-int64"),
    Case("convert_to_tensor", (np.array(2.5, dtype="float32"),), id="numpy-0d"),
    Case("convert_to_tensor", (np.float32(3.0),), id="numpy-scalar"),
    Case("convert_to_tensor", ([[1, 2], [3, 4]],), id="int-list"),
    Case("convert_to_tensor", ([1, 2.5],), id="mixed-list"),
    Case("convert_to_tensor", ([True, False],), id="bool-list"),
    Case("convert_to_tensor", (7,), id="int"),
    Case("convert_to_tensor", (2**40,), id="big-int"),
    Case("convert_to_tensor", (1.5,), id="float"),
    Case("convert_to_tensor", (True,), id="bool"),
    Case("convert_to_tensor", ([1, 2], "float32"), id="list-dtype"),
    # ----------------------------------------------------------- saturate_cast
    Case("saturate_cast", (T((3, 4), low=-300, high=600), "uint8")),
    Case("saturate_cast", (T((3, 4), low=-300, high=300), "int8"), id="int8"),
    Case("saturate_cast", (T((3, 4), "int32", -1000, 1000), "uint8"), id="int32-uint8"),
    Case("saturate_cast", (T((3, 4), "int32", -1000, 1000), "int64"), id="int32-int64"),
    Case("saturate_cast", (T((2, 3), low=-1e5, high=1e5), "float16"), id="float16"),
    Case(
        "saturate_cast",
        (_vals((4,), [np.inf, -np.inf, 1.0, 70000.0]), "float16"),
        id="inf-float16",
    ),
    Case("saturate_cast", (T((4,), "bool"), "int32"), id="bool"),
    Case("saturate_cast", (T((2, 3), "int16", -500, 500), "int8"), id="int16-int8"),
    Case("saturate_cast", (T((2, 3), low=-3, high=3), "float64"), id="widen"),
    Case(
        "saturate_cast",
        (_vals((4,), [1e10, -1e10, 2.0e9, 5.5]), "int32"),
        ref=_saturate_ref,
        note="Keras computes the upper bound with NumPy 2's weak-scalar rules, rounds int32's "
        "max up to 2**31 in float32 and overflows to -2**31; the bound is the largest float32 "
        "below 2**31",
        id="float32-int32",
    ),
    # ----------------------------------------------------------- scatter
    Case("scatter", ([[0, 1], [1, 1], [2, 0]], T((3,)), (3, 2)), grad=True),
    Case(
        "scatter",
        ([[0, 1], [1, 1], [0, 1]], T((3,)), (2, 2)),
        grad=True,
        id="duplicates-sum",
    ),
    Case("scatter", ([[1], [3]], T((2, 3)), (4, 3)), grad=True, id="slices"),
    Case("scatter", (_int((5, 2), 3), T((5,), "int32", -5, 5), (3, 3)), id="int-values"),
    Case("scatter", (np.array([[0, 0, 1], [1, 2, 0]]), T((2,)), (2, 3, 2)), id="numpy-idx"),
    # ----------------------------------------------------------- scatter_update
    Case("scatter_update", (T((4, 3)), [[0, 1], [3, 2]], T((2,), seed=1)), grad=True),
    Case("scatter_update", (T((4, 3)), [[1], [2]], T((2, 3), seed=1)), grad=True, id="rows"),
    Case(
        "scatter_update",
        (T((4, 3)), [[0, 1], [0, 1], [2, 2]], T((3,), seed=1)),
        {"reduction": "add"},
        grad=True,
        id="add",
    ),
    Case(
        "scatter_update",
        (T((4, 3)), [[1], [2], [1]], T((3, 3), seed=1)),
        {"reduction": "max"},
        id="max",
    ),
    Case(
        "scatter_update",
        (T((4, 3)), [[1, 0], [2, 2], [1, 0]], T((3,), seed=1)),
        {"reduction": "min"},
        id="min",
    ),
    Case(
        "scatter_update",
        (T((4, 3)), [[1, 0], [2, 2], [1, 0]], T((3,), seed=1)),
        {"reduction": "MUL"},
        id="mul",
    ),
    Case(
        "scatter_update",
        (T((3, 3), "int32", 0, 9), [[0, 0], [2, 1]], T((2,), "int32", 10, 20)),
        id="int",
    ),
    Case(
        "scatter_update",
        (T((3, 3)), [[0, 0], [2, 1]], T((2,), "int32", 10, 20)),
        id="int-updates-cast",
    ),
    # ----------------------------------------------------------- slice
    Case("slice", (T((3, 4)), (1, 1), (2, 2)), grad=True),
    Case("slice", (T((2, 5, 4)), [0, 2, 1], [2, 3, 2]), grad=True, id="3d"),
    Case("slice", (T((3, 4), "int32", -9, 9), (0, 2), (3, 2)), id="int"),
    Case(
        "slice",
        (T((3, 4)), (1, 2), (2, -1)),
        ref=_slice_to_end,
        note="-1 means 'to the end' (Keras's shape inference and the JAX/TF backends); Keras's "
        "torch kernel slices to start - 1 instead",
        id="to-end",
    ),
    Case("slice", (T((3, 4)), _vals((2,), [1, 0], "int32"), (2, 3)), grad=True, id="tensor-idx"),
    # ----------------------------------------------------------- slice_update
    Case("slice_update", (T((4, 5)), (1, 2), T((2, 2), seed=1)), grad=True),
    Case("slice_update", (T((2, 4, 3)), [0, 1, 0], T((2, 2, 3), seed=1)), grad=True, id="3d"),
    Case("slice_update", (T((4, 5), "int32", 0, 9), (0, 0), T((1, 5), "int32", 10, 20)), id="int"),
    Case(
        "slice_update",
        (T((4, 5)), _vals((2,), [2, 1], "int32"), T((2, 3), seed=1)),
        grad=True,
        id="tensor-idx",
    ),
    # ----------------------------------------------------------- stop_gradient, unstack
    Case("stop_gradient", (T((2, 3)),)),
    Case("stop_gradient", (T((2, 3), "int32"),), id="int"),
    Case("unstack", (T((3, 2, 4)),), grad=True),
    Case("unstack", (T((3, 2, 4)),), {"axis": 1}, grad=True, id="axis1"),
    Case("unstack", (T((3, 2, 4), "int32"),), {"axis": -1}, id="axis-neg"),
    Case("unstack", (T((2, 3)),), {"num": 3, "axis": 1}, id="num"),
    # ----------------------------------------------------------- control flow
    Case("associative_scan", (lambda a, b: a + b, T((7, 3))), grad=True, symbolic=False),
    Case(
        "associative_scan",
        (lambda a, b: a + b, T((3, 8))),
        {"axis": 1, "reverse": True},
        grad=True,
        symbolic=False,
        id="reverse-axis1",
    ),
    Case(
        "associative_scan",
        (lambda a, b: a * b, T((6,), "int32", -3, 4)),
        symbolic=False,
        ref=lambda f, x: np.cumprod(x).astype("int32"),
        note="Keras's torch kernel interleaves the partial results through float32 zeros, so "
        "integer scans come back as float32",
        id="int-product",
    ),
    Case(
        "associative_scan",
        (torch.maximum, T((9, 2))),
        grad=True,
        symbolic=False,
        id="max",
    ),
    Case(
        "associative_scan",
        (lambda a, b: a @ b, T((5, 2, 2), low=-1, high=1)),
        grad=True,
        atol=1e-4,
        symbolic=False,
        id="matmul-noncommutative",
    ),
    Case(
        "associative_scan",
        (lambda a, b: [a[0] + b[0], a[1] * b[1]], [T((6, 2)), T((6, 2), seed=1)]),
        grad=True,
        symbolic=False,
        id="list",
    ),
    Case(
        "scan",
        (lambda c, x: (c + x, c * x), T((3,)), T((5, 3), seed=1)),
        grad=True,
        symbolic=False,
    ),
    Case(
        "scan",
        (lambda c, x: (c + x, c * x), T((3,)), T((5, 3), seed=1)),
        {"reverse": True},
        grad=True,
        symbolic=False,
        id="reverse",
    ),
    Case(
        "scan",
        (lambda c, x: (c * 2.0, c + 1.0), T((2,))),
        {"length": 4},
        grad=True,
        symbolic=False,
        id="length",
    ),
    Case(
        "scan",
        (
            lambda c, x: ((c[0] + x["a"], c[1] * 2), [c[0], x["b"]]),
            (T((2,)), T((2,), "int32", 0, 5)),
            {"a": T((4, 2), seed=1), "b": T((4, 3), seed=2)},
        ),
        grad=True,
        symbolic=False,
        id="nested",
    ),
    Case("scan", (lambda c, x: (c + x, None), 0.0, T((3, 2))), symbolic=False, id="y-none"),
    Case("map", (lambda x: x * x + 1.0, T((4, 3))), grad=True, symbolic=False),
    Case(
        "map",
        (lambda x: (x.sum(), x[0]), T((3, 2), "int32", 0, 9)),
        symbolic=False,
        id="tuple-out",
    ),
    Case(
        "map",
        (lambda x: x[0] * x[1], [T((4, 2)), T((4, 2), seed=1)]),
        grad=True,
        symbolic=False,
        id="list-in",
    ),
    Case("fori_loop", (0, 4, lambda i, v: v * 1.5 + i, T((3,))), grad=True, symbolic=False),
    Case(
        "fori_loop",
        (1, 4, lambda i, v: (v[0] * i, v[1] + v[0]), (T((2,)), T((2,), seed=1))),
        grad=True,
        symbolic=False,
        id="tuple",
    ),
    Case(
        "while_loop",
        (lambda i, x: i < 3, lambda i, x: (i + 1, x * 2.0), (0, T((3,)))),
        grad=True,
        symbolic=False,
    ),
    Case(
        "while_loop",
        (lambda x: x.sum() < 100.0, lambda x: x * 2.0 + 1.0, T((3,), low=0.5, high=1.0)),
        grad=True,
        symbolic=False,
        id="single",
    ),
    Case(
        "while_loop",
        (lambda i, x: i < 10, lambda i, x: [i + 1, x + 1.0], [0, T((2,))]),
        {"maximum_iterations": 4},
        grad=True,
        symbolic=False,
        id="max-iterations",
    ),
    Case("switch", (1, [lambda x: x + 1.0, lambda x: x * 2.0], T((3,))), grad=True, symbolic=False),
    Case(
        "switch",
        (7, [lambda x, y: x + y, lambda x, y: x * y], T((3,)), T((3,), seed=1)),
        grad=True,
        symbolic=False,
        id="clipped-high",
    ),
    Case(
        "switch",
        (_vals((), [-2], "int32"), [lambda x: x - 1.0, lambda x: x * 2.0], T((3,))),
        grad=True,
        symbolic=False,
        id="tensor-index-clipped-low",
    ),
    Case(
        "cond",
        (True, lambda: torch.ones(2), lambda: torch.zeros(2)),
        symbolic=False,
    ),
    Case(
        "cond",
        (_vals((), [False], "bool"), lambda: torch.ones(2), lambda: torch.zeros(2)),
        symbolic=False,
        id="tensor-pred",
    ),
    Case(
        "vectorized_map",
        (lambda x: (x * x).sum(), T((4, 3))),
        grad=True,
        symbolic=False,
    ),
    Case(
        "vectorized_map",
        (lambda e: e[0] @ e[1], [T((3, 2, 4)), T((3, 4), seed=1)]),
        grad=True,
        symbolic=False,
        id="list",
    ),
]
