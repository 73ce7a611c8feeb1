"""Cases for keras.ops math (segments, top-k, FFT/STFT, special functions), linalg and rearrange."""

import numpy as np
import torch
from op_cases import Case, T


def _values(array, dtype="float32"):
    array = np.asarray(array)
    return T(array.shape, dtype, kind="values", values=tuple(array.ravel().tolist()))


def _spd(n, batch=(), seed=0, dtype="float32"):
    """A well-conditioned symmetric positive-definite matrix (or batch)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, size=tuple(batch) + (n, n))
    return _values(a @ np.swapaxes(a, -1, -2) + n * np.eye(n), dtype)


def _well_conditioned(n, batch=(), seed=0):
    rng = np.random.default_rng(seed)
    return _values(rng.uniform(-1, 1, size=tuple(batch) + (n, n)) + 3 * np.eye(n))


def _triangular(n, lower, batch=(), seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, size=tuple(batch) + (n, n)) + 3 * np.eye(n)
    return _values(np.tril(a) if lower else np.triu(a))


def _cholesky_factor(n, batch=(), seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, size=tuple(batch) + (n, n))
    return _values(np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + n * np.eye(n)))


_IDS = _values([0, 0, 1, 3, 3, 3], "int32")
_IDS_OUT_OF_RANGE = _values([0, -1, 1, 7, 2, 2], "int32")
_PAIR = (T((3, 8)), T((3, 8), seed=1))
_PAIR2 = (T((2, 4, 6)), T((2, 4, 6), seed=1))
_SPEC = (T((2, 9, 9)), T((2, 9, 9), seed=1))  # 9 frames of 16-point rffts


def _sin(x):
    return torch.sin(x)


def _mul_sin(x, y):
    return x * torch.sin(y)


def _with_aux(x):
    return x * x, torch.cos(x)


_KERAS_INT_SYMBOLIC = (
    "Keras's symbolic dtype for integer input is the input dtype, its eager one float"
)
_SQUARE = "a (None, 3) KerasTensor is not square: Keras does not check, ketorch raises"
_TOPK_NOTE = "Keras's torch backend returns int64 indices; its symbolic (documented) dtype is int32"

CASES = [
    # ------------------------------------------------------------------ special functions
    Case("erf", (T((3, 4)),), grad=True),
    Case("erf", (T((3, 4), "float16"),), atol=1e-3, rtol=1e-3, id="float16"),
    Case("erf", (T((5,), "int32"),), symbolic=False, id="int32", note=_KERAS_INT_SYMBOLIC),
    Case("erfc", (T((3, 4)),), grad=True),
    Case("erfc", (T((5,), "int32", -2, 3),), id="int32"),
    Case("erfinv", (T((3, 4), low=-0.9, high=0.9),), grad=True),
    Case("rsqrt", (T((3, 4), low=0.5, high=3.0),), grad=True),
    Case("rsqrt", (T((4,), "int32", 1, 9),), symbolic=False, id="int32", note=_KERAS_INT_SYMBOLIC),
    Case("logsumexp", (T((3, 4)),), grad=True),
    Case("logsumexp", (T((2, 3, 4)),), {"axis": 1, "keepdims": True}, grad=True, id="axis-keep"),
    Case("logsumexp", (T((2, 3, 4)),), {"axis": (0, 2)}, grad=True, id="axes"),
    Case("logsumexp", (T((2, 3), "int32", -3, 3),), {"axis": -1}, id="int32"),
    Case(
        "logsumexp",
        (T((2, 3), "float16"),),
        {"axis": 0},
        atol=1e-3,
        rtol=1e-3,
        symbolic=False,
        id="float16",
        note="Keras's symbolic dtype is always floatx; eagerly float16 stays float16",
    ),
    Case("logdet", (_spd(3),), grad=True, atol=1e-4, rtol=1e-4, symbolic=False, note=_SQUARE),
    Case("logdet", (_spd(3, batch=(2,), seed=1),), grad=True, atol=1e-4, rtol=1e-4, id="batch"),
    # ------------------------------------------------------------------ distances, frames
    Case("cdist", (T((4, 3)), T((5, 3), seed=1)), grad=True),
    Case("cdist", (T((2, 4, 3)), T((5, 3), seed=1)), grad=True, id="broadcast"),
    Case("cdist", (T((4, 3), "int32", -3, 3), T((2, 3), "int32", -3, 3, seed=1)), id="int32"),
    Case("extract_sequences", (T((2, 10)), 4, 2), grad=True),
    Case("extract_sequences", (T((10,), "int32", 0, 9), 3, 3), id="int32"),
    Case("extract_sequences", (T((2, 3, 9)), 9, 1), id="full-length"),
    # ------------------------------------------------------------------ segments
    Case("segment_sum", (T((6, 3)), _IDS), {"num_segments": 5}, grad=True),
    Case("segment_sum", (T((6,)), _IDS), {"num_segments": 4, "sorted": True}, id="sorted"),
    Case("segment_sum", (T((6, 2)), _IDS_OUT_OF_RANGE), {"num_segments": 4}, id="dropped-ids"),
    Case("segment_sum", (T((6, 2), "int32", -5, 5), _IDS), {"num_segments": 4}, id="int32"),
    Case("segment_sum", (T((6, 2)), _IDS), id="inferred-num", note="num_segments from the data"),
    Case("segment_max", (T((6, 3)), _IDS), {"num_segments": 5}, grad=True),
    Case("segment_max", (T((6, 2), "int32", -5, 5), _IDS), {"num_segments": 4}, id="int32"),
    Case("segment_min", (T((6, 3)), _IDS), {"num_segments": 4}, grad=True),
    Case("segment_min", (T((6, 2)), _IDS_OUT_OF_RANGE), {"num_segments": 3}, id="dropped-ids"),
    Case("segment_prod", (T((6, 3), low=0.5, high=1.5), _IDS), {"num_segments": 5}, grad=True),
    Case("segment_prod", (T((6,), "int32", -3, 4), _IDS), {"num_segments": 4}, id="int32"),
    # ------------------------------------------------------------------ top-k
    Case("top_k", (T((3, 6)), 2), grad=True, check_dtype=False, note=_TOPK_NOTE),
    Case(
        "top_k", (T((2, 3, 6), "int32", 0, 50), 3), check_dtype=False, id="int32", note=_TOPK_NOTE
    ),
    Case(
        "top_k", (T((8,)), 3), {"sorted": False}, check_dtype=False, id="unsorted", note=_TOPK_NOTE
    ),
    Case("in_top_k", (_values([1, 4, 0, 5], "int32"), T((4, 6)), 2)),
    Case("in_top_k", (_values([1, 4, 0, 5], "int64"), T((4, 6), seed=3), 4), id="k4"),
    # ------------------------------------------------------------------ FFT
    Case("fft", (_PAIR,), grad=True, atol=1e-4),
    Case("fft", ((T((4,), "float64"), T((4,), "float64", seed=1)),), id="float64"),
    Case("fft2", (_PAIR2,), grad=True, atol=1e-4),
    Case("ifft2", (_PAIR2,), grad=True, atol=1e-5),
    Case("rfft", (T((3, 8)),), grad=True, atol=1e-4),
    Case("rfft", (T((3, 8)),), {"fft_length": 5}, atol=1e-4, id="crop"),
    Case("rfft", (T((2, 7)),), {"fft_length": 12}, atol=1e-4, id="pad"),
    Case("irfft", (_PAIR,), grad=True, atol=1e-5),
    Case("irfft", (_PAIR,), {"fft_length": 15}, atol=1e-5, id="odd-length"),
    # ------------------------------------------------------------------ STFT
    Case("stft", (T((2, 64)), 16, 4, 16), grad=True, atol=1e-4),
    Case("stft", (T((64,)), 12, 5, 16), {"window": "hamming", "center": False}, atol=1e-4, id="1d"),
    Case("stft", (T((2, 3, 40)), 8, 4, 8), {"window": None}, atol=1e-4, id="rect-3d"),
    Case(
        "stft",
        (T((2, 40), "float64"), 8, 3, 16),
        {"window": T((8,), "float64", 0.0, 1.0, seed=5)},
        id="tensor-window",
    ),
    Case("istft", (_SPEC, 16, 4, 16), grad=True, atol=1e-5),
    Case("istft", (_SPEC, 16, 4, 16), {"length": 30}, atol=1e-5, id="length"),
    Case("istft", (_SPEC, 16, 4, 16), {"length": 50}, atol=1e-5, id="length-padded"),
    Case("istft", (_SPEC, 16, 4, 16), {"center": False}, grad=True, atol=1e-5, id="no-center"),
    Case("istft", (_SPEC, 12, 4, 16), {"window": "hamming"}, grad=True, atol=1e-5, id="short"),
    Case("istft", (_SPEC, 16, 8, 16), {"window": None}, atol=1e-5, id="rect"),
    Case(
        "istft",
        ((T((2, 3, 5, 9), "float64"), T((2, 3, 5, 9), "float64", seed=1)), 16, 4, 16),
        id="batch-3d-float64",
    ),
    # ------------------------------------------------------------------ complex views
    Case("view_as_complex", (T((3, 2)),)),
    Case("view_as_complex", (T((2, 4, 2), "float64"),), id="float64"),
    Case("view_as_real", (T((3, 4), "complex64"),)),
    # ------------------------------------------------------------------ linalg: factorizations
    Case("linalg.cholesky", (_spd(3),), grad=True, atol=1e-4, rtol=1e-4),
    Case(
        "cholesky",
        (_spd(4, batch=(2,), seed=1),),
        {"upper": True},
        grad=True,
        atol=1e-4,
        id="upper",
    ),
    Case("linalg.cholesky_inverse", (_cholesky_factor(3),), grad=True, atol=1e-4, rtol=1e-4),
    Case(
        "cholesky_inverse",
        (_values(np.asarray(_cholesky_factor(3, seed=2).array()).T.copy()),),
        {"upper": True},
        atol=1e-4,
        rtol=1e-4,
        id="upper",
    ),
    Case("cholesky_inverse", (_cholesky_factor(3, batch=(2,), seed=3),), atol=1e-4, id="batch"),
    Case("linalg.det", (T((3, 3)),), grad=True, atol=1e-4, rtol=1e-4),
    Case("det", (_well_conditioned(4, batch=(2,)),), grad=True, atol=1e-3, rtol=1e-4, id="batch"),
    Case(
        "linalg.eig",
        (_spd(3),),
        atol=1e-4,
        rtol=1e-4,
        check_dtype=False,
        note="Keras's symbolic dtype is the input's; eagerly (torch) the results are complex",
    ),
    Case("eig", (T((2, 3, 3)),), atol=1e-4, rtol=1e-4, check_dtype=False, id="batch"),
    Case("linalg.eigh", (_spd(3),), grad=True, atol=1e-4, rtol=1e-4),
    Case("eigh", (_spd(3, batch=(2,), seed=4),), atol=1e-4, rtol=1e-4, id="batch"),
    Case("linalg.inv", (_well_conditioned(3),), grad=True, atol=1e-4, rtol=1e-4),
    Case("inv", (_spd(3, batch=(2,)),), atol=1e-4, rtol=1e-4, id="batch"),
    Case(
        "linalg.lu_factor",
        (T((4, 4)),),
        atol=1e-4,
        rtol=1e-4,
        check_dtype=False,
        note="Keras's symbolic pivots dtype is the input's; eagerly (torch) they are int32",
    ),
    Case("lu_factor", (T((3, 5)),), atol=1e-4, check_dtype=False, id="wide"),
    Case("lu_factor", (T((2, 4, 4)),), atol=1e-4, check_dtype=False, id="batch"),
    Case("linalg.qr", (T((4, 3)),), grad=True, atol=1e-4, rtol=1e-4),
    Case("qr", (T((4, 3)),), {"mode": "complete"}, atol=1e-4, rtol=1e-4, id="complete"),
    Case("qr", (T((2, 3, 5)),), atol=1e-4, rtol=1e-4, id="wide-batch"),
    Case("linalg.svd", (T((4, 3)),), atol=1e-4, rtol=1e-4),
    Case("svd", (T((4, 3)),), {"full_matrices": False}, grad=True, atol=1e-4, id="reduced"),
    Case("svd", (T((2, 3, 5)),), {"compute_uv": False}, grad=True, atol=1e-4, id="values"),
    Case("svd", (T((2, 4, 3)),), atol=1e-4, rtol=1e-4, id="batch"),
    Case("svd", (T((2, 3, 4)),), {"full_matrices": False}, atol=1e-4, id="batch-reduced"),
    # ------------------------------------------------------------------ linalg: solvers
    Case("linalg.solve", (_well_conditioned(3), T((3,), seed=1)), grad=True, atol=1e-4),
    Case("solve", (_well_conditioned(3), T((3, 2), seed=1)), grad=True, atol=1e-4, id="matrix"),
    Case(
        "solve",
        (_well_conditioned(3, batch=(2,), seed=2), T((2, 3), seed=1)),
        atol=1e-4,
        symbolic=False,
        id="batch-vector",
        note="the harness makes only `a` (highest rank) batch-unknown, so the batches differ",
    ),
    Case(
        "solve",
        (_well_conditioned(3, batch=(2,), seed=3), T((2, 3, 2), seed=1)),
        grad=True,
        atol=1e-4,
        id="batch-matrix",
    ),
    Case("linalg.solve_triangular", (_triangular(3, False), T((3, 2), seed=1)), grad=True),
    Case(
        "solve_triangular",
        (_triangular(3, True), T((3,), seed=1)),
        {"lower": True},
        grad=True,
        atol=1e-4,
        id="lower-vector",
    ),
    Case(
        "solve_triangular",
        (_triangular(3, False, batch=(2,)), T((2, 3, 2), seed=1)),
        atol=1e-4,
        id="batch",
    ),
    Case("linalg.lstsq", (T((5, 3)), T((5,), seed=1)), atol=1e-4, rtol=1e-4),
    Case("lstsq", (T((5, 3)), T((5, 2), seed=1)), {"rcond": 1e-3}, atol=1e-4, id="rcond"),
    Case("linalg.pinv", (T((4, 3)),), grad=True, atol=1e-4, rtol=1e-4),
    Case("pinv", (T((2, 3, 4)),), {"rcond": 1e-2}, atol=1e-4, rtol=1e-4, id="rcond"),
    Case("linalg.matrix_rank", (T((4, 3)),)),
    Case("matrix_rank", (_values([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]),), id="deficient"),
    Case("matrix_rank", (_values([[1.0, 0.0], [0.0, 1e-3]]),), {"tol": 1e-2}, id="tol"),
    # ------------------------------------------------------------------ linalg: norms
    Case("linalg.norm", (T((3, 4)),), grad=True),
    Case("norm", (T((3, 4)),), {"axis": 1, "ord": 1}, grad=True, id="l1"),
    Case("norm", (T((3, 4)),), {"axis": -1, "ord": float("inf")}, grad=True, id="inf"),
    Case("norm", (T((3, 4)),), {"axis": 0, "ord": 0}, id="l0"),
    Case("norm", (T((3, 4)),), {"axis": 1, "ord": 3, "keepdims": True}, grad=True, id="l3-keep"),
    Case("norm", (T((2, 3, 4)),), {"axis": (1, 2), "ord": "fro"}, grad=True, id="fro"),
    Case("norm", (T((3, 4)),), {"ord": "nuc"}, grad=True, atol=1e-4, id="nuc"),
    Case("norm", (T((3, 4)),), {"ord": 2}, atol=1e-4, id="spectral"),
    Case("norm", (T((3, 4)),), {"ord": -1}, grad=True, id="matrix-min-col"),
    Case("norm", (T((2, 3, 4)),), {"axis": (2, 1), "ord": float("inf")}, id="matrix-inf-swapped"),
    Case("norm", (T((3, 4), "int32", -3, 3),), id="int32"),
    Case("norm", (T((5,), "int64", -3, 3),), id="int64"),
    Case("norm", (T((3, 4), "float16"),), {"axis": 1}, atol=1e-2, rtol=1e-3, id="float16"),
    # ------------------------------------------------------------------ linalg: jvp
    Case("linalg.jvp", (_sin, (T((3,)),), (T((3,), seed=1),)), grad=True),
    Case("jvp", (_mul_sin, (T((2, 3)), T((2, 3), seed=1)), (T((2, 3), seed=2), T((2, 3), seed=3)))),
    Case("jvp", (_with_aux, (T((4,)),), (T((4,), seed=1),)), {"has_aux": True}, id="aux"),
    # ------------------------------------------------------------------ einops
    Case("rearrange", (T((2, 6, 4, 3)), "b h w c -> b c h w"), grad=True),
    Case("rearrange", (T((2, 6, 4, 3)), "b (h p) w c -> (b h) p w c"), {"p": 3}, id="split"),
    Case("rearrange", (T((2, 6, 4, 3)), "b h w c -> b (h w c)"), id="flatten"),
    Case("rearrange", (T((2, 6, 4, 3), "int32", 0, 9), "b h w c -> (h w) (c b)"), id="merge"),
    Case(
        "rearrange",
        (T((2, 6, 4, 3)), "b (h p1) (w p2) c -> b h w (p1 p2 c)"),
        {"p1": 2, "p2": 2},
        id="space-to-depth",
    ),
    Case(
        "rearrange",
        (T((2, 6, 4, 3)), "b ... c -> b c ..."),
        ref=lambda x, pattern: np.moveaxis(x, -1, 1),
        id="ellipsis",
        note="Keras's rearrange has no ellipsis; NumPy reference",
    ),
    Case(
        "rearrange",
        (T((2, 6, 4, 3)), "b ... c -> (b ...) c"),
        ref=lambda x, pattern: x.reshape(-1, 3),
        id="ellipsis-grouped",
        note="Keras's rearrange has no ellipsis; NumPy reference",
    ),
    Case(
        "rearrange",
        (T((2, 1, 3)), "b 1 c -> b c () 1"),
        ref=lambda x, pattern: x.reshape(2, 3, 1, 1),
        id="unit-axes",
        note="Keras's rearrange has no unit axes; NumPy reference",
    ),
]
