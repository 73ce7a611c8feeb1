"""Cases for products, contractions and selection ops (ketorch/ops/_numpy_products.py)."""

import numpy as np
from op_cases import Case, T

F16 = {"atol": 1e-2, "rtol": 1e-2}


def _idx(shape, low, high, seed=0, dtype="int32"):
    return T(shape, dtype, low, high, seed, kind="int")


CASES = [
    # ------------------------------------------------------------------ matmul
    Case("matmul", (T((2, 3, 4)), T((4, 5), seed=1)), grad=True),
    Case("matmul", (T((2, 1, 3, 4)), T((5, 4, 2), seed=1)), grad=True, id="broadcast"),
    Case("matmul", (T((3, 4)), T((4,), seed=1)), grad=True, id="2d-1d"),
    Case(
        "matmul",
        (T((4,)), T((4, 3), seed=1)),
        grad=True,
        symbolic=False,
        note="(4,) @ (None, 3): the meta-tensor inference cannot leave the contracted axis unknown",
        id="1d-2d",
    ),
    Case("matmul", (T((4,)), T((4,), seed=1)), grad=True, id="1d-1d"),
    Case("matmul", (_idx((2, 3, 4), -5, 5), _idx((4, 2), -5, 5, 1, "int8")), id="int32-int8"),
    Case("matmul", (_idx((2, 3, 4), -9, 9, 0, "int8"), _idx((4, 2), -9, 9, 1, "int8")), id="int8"),
    Case("matmul", (_idx((2, 3, 4), -5, 5, 0, "int8"), _idx((4, 2), 0, 5, 1, "uint8")), id="i8-u8"),
    Case("matmul", (T((2, 3, 4), "bool"), T((4, 2), "bool", seed=1)), id="bool"),
    Case("matmul", (T((2, 3, 4), "float16"), T((4, 5), "float16", seed=1)), id="f16", **F16),
    Case("matmul", (T((2, 3, 4), "bfloat16"), T((4, 5), "bfloat16", seed=1)), id="bf16", **F16),
    Case("matmul", (_idx((2, 3, 4), -5, 5), T((4, 5), "float16", seed=1)), id="i32-f16", **F16),
    Case("matmul", (T((2, 3, 4), "float64"), T((4, 5), "float64", seed=1)), id="f64"),
    Case("matmul", (T((2, 3, 4)), T((4, 5), "float64", seed=1)), id="f32-f64"),
    # ------------------------------------------------------------------ dot
    Case("dot", (T((2, 3, 4)), T((4, 5), seed=1)), grad=True),
    Case("dot", (T((3, 4)), T((4,), seed=1)), grad=True, id="nd-1d"),
    Case("dot", (T((4,)), T((4,), seed=1)), grad=True, id="1d-1d"),
    Case("dot", (T((2, 3)), 2.0), grad=True, id="scalar"),
    Case("dot", (_idx((2, 3, 4), -5, 5), _idx((4, 2), -5, 5, 1)), id="int32"),
    Case("dot", (_idx((2, 3), -3, 3, 0, "int8"), _idx((3,), -3, 3, 1, "int8")), id="int8"),
    Case("dot", (T((2, 3, 4), "bool"), T((4, 2), "bool", seed=1)), id="bool"),
    Case("dot", (T((2, 3, 4), "float16"), T((4, 2), "float16", seed=1)), id="f16", **F16),
    Case(
        "dot",
        (T((2, 2, 3)), T((4, 3, 5), seed=1)),
        grad=False,
        ref=np.dot,
        note="Keras's torch backend calls torch.matmul (batch broadcasting, an error here); "
        "NumPy's dot (and Keras's symbolic shape) contracts x1's last axis with x2's "
        "second-to-last: (2, 2, 4, 5).",
        id="nd-md",
    ),
    # ------------------------------------------------------------------ einsum
    Case("einsum", ("bij,bjk->bik", T((2, 3, 4)), T((2, 4, 5), seed=1)), grad=True),
    Case("einsum", ("...ij,jk", T((2, 3, 4)), T((4, 5), seed=1)), grad=True, id="ellipsis"),
    Case(
        "einsum",
        ("bi,bj,bk->bijk", T((2, 3)), T((2, 4), seed=1), T((2, 2), seed=2)),
        grad=True,
        id="3",
    ),
    Case(
        "einsum",
        (
            "bii->bi",
            T((2, 3, 3)),
        ),
        grad=True,
        id="diag",
    ),
    Case(
        "einsum",
        (
            "bij->",
            T((2, 3, 4)),
        ),
        grad=True,
        id="sum",
    ),
    Case(
        "einsum",
        ("bij,jk->bik", _idx((2, 3, 4), -9, 9, 0, "int8"), _idx((4, 2), -9, 9, 1, "int8")),
        id="int8",
    ),
    Case("einsum", ("bij,jk->bik", _idx((2, 3, 4), -5, 5), _idx((4, 2), -5, 5, 1)), id="int32"),
    Case(
        "einsum",
        ("bij,jk->bik", T((2, 3, 4), "float16"), T((4, 2), "float16", seed=1)),
        id="f16",
        **F16,
    ),
    Case(
        "einsum",
        ("ij,jk->ik", T((2, 3), "float64"), T((3, 4), "float64", seed=1)),
        symbolic=False,
        note="Keras's symbolic dtype is float32; its eager result (and ketorch's) float64",
        id="f64",
    ),
    Case(
        "einsum",
        ("bij,jk->bik", T((2, 3, 4)), T((4, 2), "float16", seed=1)),
        ref=lambda s, a, b: np.einsum(s, a, b).astype("float32"),
        note="Keras's torch backend raises on mixed dtypes; ketorch promotes (float32).",
        id="mixed",
    ),
    # ------------------------------------------------------------------ inner / vdot / outer
    Case("inner", (T((2, 3)), T((4, 3), seed=1)), grad=True),
    Case("inner", (T((2, 3, 4)), T((4,), seed=1)), grad=True, id="nd-1d"),
    Case("inner", (T((2, 3)), 2.0), grad=True, id="scalar"),
    Case("inner", (_idx((2, 3), -5, 5), _idx((4, 3), -5, 5, 1)), id="int32"),
    Case("inner", (_idx((2, 3), -5, 5, 0, "int8"), _idx((3,), 0, 5, 1, "uint8")), id="i8-u8"),
    Case("vdot", (T((5,)), T((5,), seed=1)), grad=True),
    Case("vdot", (_idx((5,), -5, 5), _idx((5,), -5, 5, 1)), id="int32"),
    Case("vdot", (T((4,), "complex64"), T((4,), "complex64", seed=1)), id="complex"),
    Case(
        "vdot",
        (T((2, 3)), T((3, 2), seed=1)),
        ref=np.vdot,
        note="Keras's torch backend requires 1-D inputs; NumPy (and ketorch) flatten them.",
        id="2d",
    ),
    Case("outer", (T((3,)), T((4,), seed=1)), grad=True),
    Case("outer", (T((2, 2)), T((3,), seed=1)), grad=True, id="flatten"),
    Case("outer", (_idx((3,), -5, 5), T((4,), "float16", seed=1)), id="i32-f16", **F16),
    Case("outer", (T((3,), "bool"), T((2,), "bool", seed=1)), id="bool"),
    # ------------------------------------------------------------------ kron / tensordot / cross
    Case("kron", (T((2, 3)), T((3, 2), seed=1)), grad=True),
    Case(
        "kron",
        (T((2,)), T((2, 3), seed=1)),
        grad=True,
        symbolic=False,
        note="Keras's symbolic shape drops axes when the ranks differ ((None,) here)",
        id="ranks",
    ),
    Case("kron", (_idx((2, 2), -5, 5, 0, "int8"), _idx((2, 2), 0, 5, 1, "uint8")), id="i8-u8"),
    Case("tensordot", (T((2, 3, 4)), T((3, 4), seed=1)), grad=True),
    Case(
        "tensordot",
        (T((2, 3, 4)), T((4, 3), seed=1)),
        {"axes": ([1, 2], [1, 0])},
        grad=True,
        id="pairs",
    ),
    Case("tensordot", (T((2, 3)), T((4,), seed=1)), {"axes": 0}, grad=True, id="outer"),
    Case("tensordot", (T((2, 3, 4)), T((4, 5), seed=1)), {"axes": (2, 0)}, grad=True, id="ints"),
    Case(
        "tensordot", (T((2, 3, 4)), T((5, 4), seed=1)), {"axes": ([-1], [-1])}, grad=True, id="neg"
    ),
    Case("tensordot", (_idx((2, 3, 4), -5, 5), _idx((4, 2), -5, 5, 1)), {"axes": 1}, id="int32"),
    Case("cross", (T((4, 3)), T((4, 3), seed=1)), grad=True),
    Case("cross", (T((1, 3)), T((4, 3), seed=1)), grad=True, id="broadcast"),
    Case(
        "cross",
        (T((3, 5)), T((3, 5), seed=1)),
        {"axis": 0},
        grad=True,
        symbolic=False,
        note="the vector axis would be the unknown batch axis",
        id="axis0",
    ),
    Case("cross", (_idx((4, 3), -5, 5), _idx((4, 3), -5, 5, 1)), id="int32"),
    Case("cross", (T((4, 3), "float16"), T((4, 3), "float16", seed=1)), id="f16", **F16),
    Case(
        "cross",
        (T((4, 2)), T((4, 2), seed=1)),
        ref=np.cross,
        note="Keras's torch backend only takes 3-vectors; NumPy gives the z component.",
        id="2d-vectors",
    ),
    Case(
        "cross",
        (T((4, 2)), T((4, 3), seed=1)),
        ref=np.cross,
        note="Keras's torch backend only takes 3-vectors.",
        id="2-and-3",
    ),
    Case(
        "cross",
        (T((3, 4)), T((3, 4), seed=1)),
        {"axisa": 0, "axisb": 0, "axisc": 1},
        ref=lambda a, b, **k: np.cross(a, b, **k),
        note="Keras's torch backend rejects axisa/axisb/axisc.",
        id="axisabc",
    ),
    Case(
        "cross",
        (T((3, 3)), T((3, 3), seed=1)),
        ref=np.cross,
        note="Keras's torch backend calls torch.cross(dim=None), which picks the first axis of "
        "size 3 (axis 0 here) instead of the last.",
        id="square",
    ),
    # ------------------------------------------------------------------ trace / slogdet
    Case("trace", (T((3, 4)),), grad=True),
    Case("trace", (T((3, 4)),), {"offset": 1}, grad=True, id="offset"),
    Case("trace", (T((2, 4, 3)),), {"offset": -1, "axis1": 2, "axis2": 1}, grad=True, id="axes"),
    Case("trace", (T((3, 3), "bool"),), id="bool"),
    Case("trace", (_idx((3, 3), 0, 9, 0, "uint8"),), id="uint8"),
    Case("trace", (_idx((3, 3), -9, 9, 0, "int8"),), id="int8"),
    Case("trace", (_idx((3, 3), -9, 9, 0, "int64"),), id="int64"),
    Case("trace", (T((3, 3), "float16"),), id="f16", **F16),
    Case(
        "slogdet",
        (T((3, 3)),),
        grad=True,
        symbolic=False,
        note="a (None, 3) matrix is not square: no symbolic check",
    ),
    Case(
        "slogdet",
        (T((2, 3, 3), seed=4),),
        grad=True,
        symbolic=False,
        note="Keras's symbolic sign has shape () for a batch; ketorch's is (batch,) as eager",
        id="batch",
    ),
    Case("slogdet", (T((3, 3), "float64"),), symbolic=False, id="f64"),
    # ------------------------------------------------------------------ take / take_along_axis
    Case("take", (T((5, 4)), _idx((3,), -5, 5)), {"axis": 0}, grad=True),
    Case("take", (T((3, 4)), _idx((2, 2), -4, 4)), {"axis": 1}, grad=True, id="axis1"),
    Case("take", (T((3, 4, 2)), _idx((2,), -4, 4)), {"axis": -2}, grad=True, id="axis-neg"),
    Case("take", (T((3, 4)), _idx((2, 3), 0, 12)), grad=True, id="flat"),
    Case("take", (T((3, 4)), [0, -1, 2]), {"axis": 1}, grad=True, id="list"),
    Case("take", (T((3, 4)), 2), {"axis": 0}, grad=True, id="int"),
    Case("take", (T((3, 4)), _idx((2,), 0, 3, 0, "int64")), {"axis": 0}, id="int64-idx"),
    Case("take", (_idx((3, 4), -9, 9, 0, "int8"), _idx((2,), -4, 4)), {"axis": 1}, id="int8"),
    Case("take", (T((3, 4), "bool"), _idx((2,), -3, 3)), {"axis": 0}, id="bool"),
    Case("take_along_axis", (T((3, 4)), _idx((3, 2), -4, 4)), {"axis": 1}, grad=True),
    Case("take_along_axis", (T((3, 4)), _idx((2, 4), -3, 3)), {"axis": 0}, grad=True, id="axis0"),
    Case("take_along_axis", (T((3, 4)), _idx((1, 2), 0, 4)), {"axis": 1}, grad=True, id="bcast"),
    Case("take_along_axis", (T((2, 3, 4)), _idx((2, 3, 1), 0, 4)), {"axis": -1}, id="rank3"),
    Case("take_along_axis", (T((3, 4)), _idx((5,), 0, 12)), grad=True, id="flat"),
    Case(
        "take_along_axis",
        (_idx((3, 4), -9, 9, 0, "int8"), _idx((3, 2), 0, 4)),
        {"axis": 1},
        id="int8",
    ),
    # ------------------------------------------------------------------ where / select / nonzero
    Case("where", (T((2, 3), "bool"), T((2, 3), seed=1), T((2, 3), seed=2)), grad=True),
    Case("where", (T((2, 1), "bool"), T((1, 3), seed=1), 0.5), grad=True, id="broadcast"),
    Case("where", (T((3,), "bool"), _idx((3,), -9, 9, 0, "int8"), 1), id="int8-weak"),
    Case("where", (T((3,), "bool"), _idx((3,), -9, 9, 0, "int8"), 1.5), id="int8-float"),
    Case("where", (T((3,), "bool"), T((3,), "float16", seed=1), 0.5), id="f16-weak"),
    Case(
        "where",
        (T((3,), "bool"), _idx((3,), -9, 9, 0, "int8"), _idx((3,), 0, 9, 1, "uint8")),
        id="i8-u8",
    ),
    Case("where", (T((3,), "bool"), 1, 2), id="python"),
    Case("where", (_idx((2, 3), 0, 2), T((2, 3), seed=1), T((2, 3), seed=2)), id="int-cond"),
    Case(
        "where",
        (T((3, 4), "bool"),),
        symbolic=False,
        note="one-argument form: Keras's symbolic spec gives condition's shape and int32, its "
        "eager result (and ketorch's spec) an int64 (ndim, count) tensor.",
        id="indices",
    ),
    Case("select", ([T((4,), "bool"), T((4,), "bool", seed=1)], [T((4,)), T((4,), seed=2)])),
    Case(
        "select",
        ([T((2, 4), "bool"), T((2, 4), "bool", seed=1)], [T((2, 4)), T((2, 4), seed=2)], 0.5),
        grad=True,
        id="default",
    ),
    Case(
        "select",
        ([T((4,), "bool")], [_idx((4,), -9, 9, 0, "int8")], -1),
        id="int8",
    ),
    Case(
        "select",
        ([T((4,), "bool"), T((4,), "bool", seed=1)], [T((4,), "bool", seed=3), T((4,), "bool")]),
        symbolic=False,
        note="bool choices with the int default give int32 (eager Keras); Keras's symbolic "
        "spec says bool.",
        id="bool",
    ),
    Case(
        "nonzero",
        (_idx((3, 4), 0, 2),),
        symbolic=False,
        note="Keras's symbolic spec is a tuple of (None,) tensors while its eager result is one "
        "(ndim, count) int32 tensor; ketorch's spec follows the eager result.",
    ),
    Case("nonzero", (T((5,), "bool"),), symbolic=False, note="as above", id="bool"),
    # ------------------------------------------------------------------ unravel_index
    Case("unravel_index", (_idx((5,), 0, 12), (3, 4))),
    Case("unravel_index", (_idx((2, 3), 0, 24), (2, 3, 4)), id="2d"),
    Case("unravel_index", (_idx((5,), 0, 12, 0, "int64"), (3, 4)), symbolic=False, id="int64"),
    Case("unravel_index", (_idx((5,), 0, 12, 0, "uint8"), (3, 4)), id="uint8"),
]
