"""keras.ops.numpy, reductions: sums and means, statistics, sorting and searching, nan-ops.

Reductions take ``axis`` as ``None`` (every axis), an int or a sequence of ints; an empty
sequence reduces nothing (as in NumPy), and ``keepdims=True`` keeps every reduced axis with
size 1, ``axis=None`` included. Output dtypes follow Keras: ``mean``/``var``/``quantile`` of
integers are float32, ``sum``/``prod`` of bool and small integers are int32, index results
(``argmax``, ``argsort``, ``searchsorted``...) are int32.
"""

from __future__ import annotations

import builtins
import math

import torch
import torch.nn.functional as F

from ..layers.node import KerasTensor
from . import _dtypes
from ._common import canonical_axis, dtype_of, floatx_dtype, promote, to_tensor
from .operation import describe, keras_op

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argpartition",
    "argsort",
    "average",
    "bincount",
    "correlate",
    "corrcoef",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "diff",
    "digitize",
    "histogram",
    "max",
    "mean",
    "median",
    "min",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmedian",
    "nanmin",
    "nanpercentile",
    "nanprod",
    "nanquantile",
    "nanstd",
    "nansum",
    "nanvar",
    "percentile",
    "prod",
    "ptp",
    "quantile",
    "searchsorted",
    "sort",
    "std",
    "sum",
    "trapezoid",
    "unique",
    "var",
]

_HALF = (torch.float16, torch.bfloat16)
_SMALL_INTS = (torch.bool, torch.uint8, torch.int8, torch.int16)
_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


# --------------------------------------------------------------------------------- helpers
def _dims(x, axis, op):
    """The reduced axes as a tuple (every axis for ``None``; ``()`` reduces nothing)."""
    if axis is None:
        return tuple(range(x.ndim))
    a = canonical_axis(axis, x.ndim, op)
    return (a,) if isinstance(a, int) else a


def _one_axis(x, axis, op):
    """A single non-negative axis; sequences are rejected with a ``TypeError``."""
    if isinstance(axis, (list, tuple)):
        raise TypeError(f"ops.{op}: `axis` must be an int or None. Received: axis={axis!r}")
    return canonical_axis(axis, x.ndim, op)


def _reduced_shape(shape, dims, keepdims):
    if keepdims:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def _check_nonempty(x, dims, op):
    if builtins.any(x.shape[d] == 0 for d in dims):
        raise ValueError(
            f"ops.{op}: cannot reduce a zero-size axis (the reduction has no identity). "
            f"Received: x={describe(x)}, axis={dims}"
        )


def _sum_dtype(x):
    return torch.int32 if x.dtype in _SMALL_INTS else x.dtype


def _float_dtypes(x):
    """(compute, result) torch dtypes for float statistics of ``x`` (Keras's rules: integers
    give float32, float16/bfloat16 are computed in float32, float64 results are float32)."""
    result = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(x), float))
    if x.dtype == torch.float64 or x.is_complex():
        return x.dtype, result
    return (torch.float32 if result in _HALF else result), result


def _nan_fill(x, value):
    """``x`` with NaNs replaced by ``value`` (infinities kept); non-floats unchanged."""
    if x.is_floating_point():
        return torch.where(torch.isnan(x), torch.full((), value, dtype=x.dtype, device=x.device), x)
    return x


# ---------------------------------------------------------------------------- sums, means
@keras_op
def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Sum over ``axis`` (all axes when ``None``); bool/int8/uint8/int16 sum as int32.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.sum(torch.ones(2, 3), axis=1)
    tensor([3., 3.])
    """
    x = to_tensor(x)
    dims = _dims(x, axis, "sum")
    dtype = _sum_dtype(x)
    if not dims:
        return x.to(dtype)
    return torch.sum(x, dim=dims, keepdim=keepdims, dtype=dtype)


@keras_op
def nansum(x, axis=None, keepdims=False):
    """Sum over ``axis`` treating NaNs as zero (dtypes as :func:`sum`)."""
    x = to_tensor(x)
    dims = _dims(x, axis, "nansum")
    dtype = _sum_dtype(x)
    if not dims:
        return _nan_fill(x, 0).to(dtype)
    if x.is_floating_point():
        return torch.nansum(x, dim=dims, keepdim=keepdims, dtype=dtype)
    return torch.sum(x, dim=dims, keepdim=keepdims, dtype=dtype)


def _prod_dtype(x, dtype):
    if dtype is not None:
        return _dtypes.torch_dtype(dtype)
    td = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(x)))
    return torch.int32 if td in _SMALL_INTS else td


def _prod(x, axis, keepdims, dtype, op):
    x = to_tensor(x)
    dims = _dims(x, axis, op)
    out = _prod_dtype(x, dtype)
    compute = torch.float32 if out in _HALF else out
    if not dims:
        return x.to(out)
    if len(dims) == x.ndim and not keepdims:
        return torch.prod(x, dtype=compute).to(out)
    for d in builtins.sorted(dims, reverse=True):
        x = torch.prod(x, dim=d, keepdim=keepdims, dtype=compute)
    return x.to(out)


@keras_op
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis``; bool and small integers multiply as int32 unless ``dtype``."""
    return _prod(x, axis, keepdims, dtype, "prod")


@keras_op
def nanprod(x, axis=None, keepdims=False):
    """Product over ``axis`` treating NaNs as one (dtypes as :func:`prod`)."""
    return _prod(_nan_fill(to_tensor(x), 1), axis, keepdims, None, "nanprod")


def _mean_dtypes(x):
    """(compute, result) for ``mean``: integers give float32, half floats compute in float32."""
    if x.is_floating_point() or x.is_complex():
        return (torch.float32 if x.dtype in _HALF else x.dtype), x.dtype
    return torch.float32, torch.float32


@keras_op
def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``; integer and bool inputs give float32."""
    x = to_tensor(x)
    dims = _dims(x, axis, "mean")
    if x.dtype is torch.float32 and dims:  # the common case: no casts
        return torch.mean(x, dim=dims, keepdim=keepdims)
    compute, out = _mean_dtypes(x)
    if not dims:
        return x.to(out)
    return torch.mean(x, dim=dims, keepdim=keepdims, dtype=compute).to(out)


@keras_op
def nanmean(x, axis=None, keepdims=False):
    """Mean over ``axis`` ignoring NaNs (NaN where a slice is all NaN)."""
    x = to_tensor(x)
    dims = _dims(x, axis, "nanmean")
    compute, out = _float_dtypes(x)
    if not dims:
        return x.to(out)
    return torch.nanmean(x.to(compute), dim=dims, keepdim=keepdims).to(out)


# Recorded as Keras records it: ``Average(axis)`` called on ``(x, weights)``.
@keras_op
def average(x, axis=None, weights=None):
    """Mean over ``axis``, weighted by ``weights`` (same shape as ``x``, or 1-D along an int
    ``axis``); integer inputs give float32."""
    x = to_tensor(x)
    names = [dtype_of(x), float]
    if weights is not None:
        weights = to_tensor(weights)
        names.append(dtype_of(weights))
    dtype = _dtypes.torch_dtype(_dtypes.result_type(*names))
    x = x.to(dtype)
    dims = _dims(x, axis, "average")
    if weights is None:
        if not dims:
            return x
        compute = torch.float32 if dtype in _HALF else dtype
        return torch.mean(x, dim=dims, dtype=compute).to(dtype)
    w = weights.to(device=x.device, dtype=dtype)
    if tuple(w.shape) != tuple(x.shape):
        if axis is not None and w.ndim == 1 and len(dims) == 1 and w.shape[0] == x.shape[dims[0]]:
            w = w.reshape([-1 if i == dims[0] else 1 for i in range(x.ndim)])
        else:
            raise ValueError(
                "ops.average: `weights` must have the shape of `x`, or be 1-D with the length "
                f"of `x` along an int `axis`. Received: x={describe(x)}, "
                f"weights={describe(weights)}, axis={axis!r}"
            )
    if not dims:
        return x
    w = w.expand(x.shape)
    return torch.sum(x * w, dim=dims) / torch.sum(w, dim=dims)


# ---------------------------------------------------------------------- variance, std
def _var(x, dims, keepdims, ignore_nan):
    """Population variance (ddof 0) of ``x`` (already in its compute dtype)."""
    if not dims:
        return (x - x).abs().square() if x.is_complex() else (x - x).square()
    if not ignore_nan:
        return torch.var(x, dim=dims, keepdim=keepdims, correction=0)
    valid = ~torch.isnan(x)
    centered = torch.where(valid, x - torch.nanmean(x, dim=dims, keepdim=True), 0)
    sq = centered.abs().square() if centered.is_complex() else centered.square()
    return sq.sum(dim=dims, keepdim=keepdims) / valid.sum(dim=dims, keepdim=keepdims)


@keras_op
def var(x, axis=None, keepdims=False):
    """Population variance (``ddof=0``) over ``axis``; integer inputs give float32."""
    x = to_tensor(x)
    dims = _dims(x, axis, "var")
    if x.dtype is torch.float32 and dims:
        return torch.var(x, dim=dims, keepdim=keepdims, correction=0)
    compute, out = _float_dtypes(x)
    return _var(x.to(compute), dims, keepdims, False).to(out)


@keras_op
def std(x, axis=None, keepdims=False):
    """Population standard deviation (``ddof=0``) over ``axis``; integers give float32."""
    x = to_tensor(x)
    dims = _dims(x, axis, "std")
    if x.is_complex():
        out = compute = x.dtype
    else:
        out = x.dtype if x.is_floating_point() else torch.float32
        compute = torch.float32 if out in _HALF else out
    y = x.to(compute)
    return torch.sqrt(_var(y, dims, keepdims, False)).to(out.to_real())


@keras_op
def nanvar(x, axis=None, keepdims=False):
    """Population variance over ``axis`` ignoring NaNs."""
    x = to_tensor(x)
    dims = _dims(x, axis, "nanvar")
    compute, out = _float_dtypes(x)
    return _var(x.to(compute), dims, keepdims, True).to(out)


@keras_op
def nanstd(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis`` ignoring NaNs."""
    x = to_tensor(x)
    dims = _dims(x, axis, "nanstd")
    compute, out = _float_dtypes(x)
    return torch.sqrt(_var(x.to(compute), dims, keepdims, True)).to(out)


# ------------------------------------------------------------------------ max, min, ptp
def _extreme(x, axis, keepdims, initial, op, largest):
    x = to_tensor(x)
    dims = _dims(x, axis, op)
    if builtins.any(x.shape[d] == 0 for d in dims):
        if initial is None:
            _check_nonempty(x, dims, op)
        shape = _reduced_shape(x.shape, dims, keepdims)
        return torch.full(shape, initial, dtype=x.dtype, device=x.device)
    if not dims:
        out = x
    else:
        reduce = torch.amax if largest else torch.amin
        out = reduce(x, dim=dims, keepdim=keepdims)
    if initial is not None:
        init = torch.full((), initial, dtype=out.dtype, device=out.device)
        out = torch.maximum(out, init) if largest else torch.minimum(out, init)
    return out


@keras_op
def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """Maximum over ``axis``, at least ``initial`` when given (which also allows reducing
    zero-size axes)."""
    return _extreme(x, axis, keepdims, initial, "max", True)


@keras_op
def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """Minimum over ``axis``, at most ``initial`` when given (which also allows reducing
    zero-size axes)."""
    return _extreme(x, axis, keepdims, initial, "min", False)


@keras_op
def amax(x, axis=None, keepdims=False):
    """Maximum over ``axis`` (NaN propagates)."""
    return _extreme(x, axis, keepdims, None, "amax", True)


@keras_op
def amin(x, axis=None, keepdims=False):
    """Minimum over ``axis`` (NaN propagates)."""
    return _extreme(x, axis, keepdims, None, "amin", False)


def _nan_extreme(x, axis, keepdims, op, largest):
    x = to_tensor(x)
    dims = _dims(x, axis, op)
    if not dims:
        return x
    _check_nonempty(x, dims, op)
    reduce = torch.amax if largest else torch.amin
    if not x.is_floating_point():
        return reduce(x, dim=dims, keepdim=keepdims)
    nan = torch.isnan(x)
    fill = float("-inf") if largest else float("inf")
    out = reduce(x.masked_fill(nan, fill), dim=dims, keepdim=keepdims)
    return out.masked_fill(nan.all(dim=dims, keepdim=keepdims), float("nan"))


@keras_op
def nanmax(x, axis=None, keepdims=False):
    """Maximum over ``axis`` ignoring NaNs (NaN where a slice is all NaN)."""
    return _nan_extreme(x, axis, keepdims, "nanmax", True)


@keras_op
def nanmin(x, axis=None, keepdims=False):
    """Minimum over ``axis`` ignoring NaNs (NaN where a slice is all NaN)."""
    return _nan_extreme(x, axis, keepdims, "nanmin", False)


@keras_op
def ptp(x, axis=None, keepdims=False):
    """Range (maximum minus minimum) over ``axis``."""
    x = to_tensor(x)
    if x.dtype == torch.bool:
        raise TypeError(f"ops.ptp: boolean inputs are not supported. Received: x={describe(x)}")
    dims = _dims(x, axis, "ptp")
    if not dims:
        return x - x
    _check_nonempty(x, dims, "ptp")
    mn = torch.amin(x, dim=dims, keepdim=keepdims)
    mx = torch.amax(x, dim=dims, keepdim=keepdims)
    return mx - mn


# --------------------------------------------------------------------------- logic, counts
@keras_op
def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Whether every element along ``axis`` is truthy (a bool tensor)."""
    x = to_tensor(x)
    dims = _dims(x, axis, "all")
    if not dims:
        return x.bool()
    out = torch.all(x, dim=dims, keepdim=keepdims)
    return out if out.dtype == torch.bool else out.bool()


@keras_op
def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Whether any element along ``axis`` is truthy (a bool tensor)."""
    x = to_tensor(x)
    dims = _dims(x, axis, "any")
    if not dims:
        return x.bool()
    out = torch.any(x, dim=dims, keepdim=keepdims)
    return out if out.dtype == torch.bool else out.bool()


@keras_op
def count_nonzero(x, axis=None):
    """Number of non-zero elements along ``axis`` (int32)."""
    x = to_tensor(x)
    dims = _dims(x, axis, "count_nonzero")
    if not dims:
        return (x != 0).to(torch.int32)
    return torch.count_nonzero(x, dim=dims).to(torch.int32)


# ----------------------------------------------------------------------------- arg-ops
def _arg_extreme(x, axis, keepdims, op, largest, ignore_nan=False):
    x = to_tensor(x)
    if axis is not None:
        axis = _one_axis(x, axis, op)
    dims = tuple(range(x.ndim)) if axis is None else (axis,)
    _check_nonempty(x, dims, op)
    if x.dtype == torch.bool:
        x = x.view(torch.uint8)
    fn = torch.argmax if largest else torch.argmin
    if not (ignore_nan and x.is_floating_point()):
        return fn(x, dim=axis, keepdim=keepdims).to(torch.int32)
    nan = torch.isnan(x)
    out = fn(x.masked_fill(nan, float("-inf") if largest else float("inf")), axis, keepdims)
    all_nan = nan.all(dim=axis, keepdim=keepdims) if axis is not None else nan.all()
    if axis is None and keepdims:
        all_nan = all_nan.reshape(out.shape)
    return out.masked_fill(all_nan, -1).to(torch.int32)


@keras_op
def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (of the flattened tensor when ``None``), int32."""
    return _arg_extreme(x, axis, keepdims, "argmax", True)


@keras_op
def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` (of the flattened tensor when ``None``), int32."""
    return _arg_extreme(x, axis, keepdims, "argmin", False)


@keras_op
def nanargmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` ignoring NaNs; -1 where a slice is all NaN."""
    return _arg_extreme(x, axis, keepdims, "nanargmax", True, ignore_nan=True)


@keras_op
def nanargmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` ignoring NaNs; -1 where a slice is all NaN."""
    return _arg_extreme(x, axis, keepdims, "nanargmin", False, ignore_nan=True)


def _sortable(x, axis, op):
    """``x`` (flattened when ``axis`` is None) viewed as a sortable dtype, and the axis."""
    x = to_tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = _one_axis(x, axis, op)
    if x.dtype == torch.bool:
        x = x.view(torch.uint8)
    return x, axis


@keras_op
def sort(x, axis=-1):
    """``x`` sorted in ascending order along ``axis`` (flattened when ``None``)."""
    x = to_tensor(x)
    y, axis = _sortable(x, axis, "sort")
    out = torch.sort(y, dim=axis).values
    return out.view(torch.bool) if x.dtype == torch.bool else out


@keras_op
def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (stable; flattened when ``None``), int32."""
    y, axis = _sortable(x, axis, "argsort")
    return torch.argsort(y, dim=axis, stable=True).to(torch.int32)


@keras_op
def argpartition(x, kth, axis=-1):
    """Indices partitioning ``x`` along ``axis`` around its ``kth`` smallest element, int32.

    The element at position ``kth`` is the one a full sort would put there, smaller elements
    come before it and larger ones after. Ketorch returns the (stable) full sort order, which
    is one valid partition for every ``kth``.
    """
    if isinstance(kth, bool) or not isinstance(kth, int):
        raise TypeError(f"ops.argpartition: `kth` must be an int. Received: kth={kth!r}")
    y, axis = _sortable(x, axis, "argpartition")
    n = y.shape[axis] if y.ndim else 1
    if not -n <= kth < n:
        raise ValueError(
            f"ops.argpartition: `kth` {kth} is out of bounds for an axis of size {n}. "
            f"Received: kth={kth}, axis={axis}"
        )
    return torch.argsort(y, dim=axis, stable=True).to(torch.int32)


# -------------------------------------------------------------------- cumulative, diff
def _cumulative(fn, x, axis, dtype, op, fill):
    x = to_tensor(x)
    if fill is not None:
        x = _nan_fill(x, fill)
    if axis is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = _one_axis(x, axis, op)
    name = _dtypes.result_type(_dtypes.standardize_dtype(dtype) if dtype else dtype_of(x))
    out = torch.int32 if name == "bool" else _dtypes.torch_dtype(name)
    if out in _HALF:
        return fn(x, dim=axis, dtype=torch.float32).to(out)
    return fn(x, dim=axis, dtype=out)


@keras_op
def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (of the flattened tensor when ``None``)."""
    return _cumulative(torch.cumsum, x, axis, dtype, "cumsum", None)


@keras_op
def cumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis`` (of the flattened tensor when ``None``)."""
    return _cumulative(torch.cumprod, x, axis, dtype, "cumprod", None)


@keras_op
def nancumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` treating NaNs as zero."""
    return _cumulative(torch.cumsum, x, axis, dtype, "nancumsum", 0)


@keras_op
def nancumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis`` treating NaNs as one."""
    return _cumulative(torch.cumprod, x, axis, dtype, "nancumprod", 1)


@keras_op
def diff(a, n=1, axis=-1):
    """``n``-th discrete difference along ``axis`` (bool inputs give "not equal")."""
    a = to_tensor(a)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"ops.diff: `n` must be a non-negative int. Received: n={n!r}")
    if a.ndim == 0:
        raise ValueError(f"ops.diff: `a` must be at least 1-D. Received: a={describe(a)}")
    axis = _one_axis(a, axis, "diff")
    if n == 0:
        return a
    return torch.diff(a, n=n, dim=axis)


def _trapezoid_spec(y, x=None, dx=1.0, axis=-1):
    a = canonical_axis(axis, len(y.shape), "trapezoid")
    shape = tuple(d for i, d in enumerate(y.shape) if i != a)
    return KerasTensor(shape, _dtypes.result_type(y.dtype, float))


@keras_op(spec=_trapezoid_spec)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule, at sample points ``x`` or
    with spacing ``dx``."""
    y = to_tensor(y)
    dtype = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(y), float))
    y = y.to(dtype)
    axis = _one_axis(y, axis, "trapezoid")
    if x is not None:
        x = to_tensor(x).to(device=y.device, dtype=dtype)
        return torch.trapezoid(y, x, dim=axis)
    if isinstance(dx, torch.Tensor):
        return torch.trapezoid(y, dim=axis) * dx.to(device=y.device, dtype=dtype)
    return torch.trapezoid(y, dx=float(dx), dim=axis)


# ------------------------------------------------------------------------- quantiles
def _as_q(q, x, compute, op, scale):
    """``q`` as a tensor of ``compute`` dtype on ``x``'s device, divided by ``scale``."""
    hi = 100 if scale == 100 else 1
    if not isinstance(q, torch.Tensor):
        vals = q.tolist() if hasattr(q, "tolist") else q
        flat = vals if isinstance(vals, (list, tuple)) else [vals]
        if builtins.any(isinstance(v, (list, tuple)) for v in flat):
            raise ValueError(f"ops.{op}: `q` must be a scalar or 1-D. Received: q={q!r}")
        if not builtins.all(0 <= v <= hi for v in flat):
            raise ValueError(f"ops.{op}: `q` must be in [0, {hi}]. Received: q={q!r}")
        q = to_tensor(q, floatx_dtype())
    elif q.device.type == "cpu" and q.numel() and bool(((q < 0) | (q > hi)).any()):
        raise ValueError(f"ops.{op}: `q` must be in [0, {hi}]. Received: q={q!r}")
    if q.ndim > 1:
        raise ValueError(f"ops.{op}: `q` must be a scalar or 1-D. Received: q={describe(q)}")
    if scale != 1:
        q = q.to(floatx_dtype()) / scale
    return q.to(device=x.device, dtype=compute)


def _quantile(x, q, axis, method, keepdims, op, ignore_nan, scale=1):
    x = to_tensor(x)
    if method not in _QUANTILE_METHODS:
        raise ValueError(
            f"ops.{op}: `method` must be one of {_QUANTILE_METHODS}. Received: method={method!r}"
        )
    compute, out = _float_dtypes(x)
    q = _as_q(q, x, compute, op, scale)
    dims = _dims(x, axis, op)
    lead = [s for i, s in enumerate(x.shape) if i not in dims]
    n = math.prod(x.shape[d] for d in dims)
    y = x.to(compute)
    if dims:
        y = torch.movedim(y, dims, tuple(range(-len(dims), 0)))
    y = y.reshape(lead + [n])
    qf = q.reshape(-1)
    if n == 0:
        res = torch.full(lead + [qf.shape[0]], float("nan"), dtype=compute, device=x.device)
    else:
        s = torch.sort(y, dim=-1).values
        if ignore_nan:
            count = (~torch.isnan(y)).sum(dim=-1, keepdim=True)
            pos = qf * (count - 1).to(compute)
            missing = count == 0
        else:
            pos = (qf * (n - 1)).expand(lead + [qf.shape[0]])
            missing = torch.isnan(s[..., -1:])
        lo = pos.floor()
        if method == "nearest":
            res = s.gather(-1, pos.round().clamp(0, n - 1).long())
        elif method == "lower":
            res = s.gather(-1, lo.clamp(0, n - 1).long())
        else:
            hi = pos.ceil()
            v_hi = s.gather(-1, hi.clamp(0, n - 1).long())
            if method == "higher":
                res = v_hi
            else:
                v_lo = s.gather(-1, lo.clamp(0, n - 1).long())
                weight = pos - lo if method == "linear" else torch.full_like(pos, 0.5)
                res = torch.lerp(v_lo, v_hi, weight)
        res = res.masked_fill(missing, float("nan"))
    shape = list(_reduced_shape(x.shape, dims, keepdims))
    if q.ndim == 0:
        res = res.reshape(shape)
    else:
        res = res.movedim(-1, 0).reshape([qf.shape[0]] + shape)
    return res.to(out)


@keras_op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1], scalar or 1-D) of ``x`` over ``axis``.

    ``method`` is one of "linear", "lower", "higher", "midpoint", "nearest". A 1-D ``q`` adds
    a leading output axis; slices containing NaN give NaN.
    """
    return _quantile(x, q, axis, method, keepdims, "quantile", False)


@keras_op
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """Like :func:`quantile`, ignoring NaNs (NaN where a slice is all NaN)."""
    return _quantile(x, q, axis, method, keepdims, "nanquantile", True)


@keras_op
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentiles (``q`` in [0, 100]) of ``x`` over ``axis``; see
    :func:`quantile`."""
    return _quantile(x, q, axis, method, keepdims, "percentile", False, scale=100)


@keras_op
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """Like :func:`percentile`, ignoring NaNs."""
    return _quantile(x, q, axis, method, keepdims, "nanpercentile", True, scale=100)


@keras_op
def median(x, axis=None, keepdims=False):
    """Median over ``axis`` (the mean of the two middle values for even sizes)."""
    return _quantile(x, 0.5, axis, "linear", keepdims, "median", False)


@keras_op
def nanmedian(x, axis=None, keepdims=False):
    """Median over ``axis`` ignoring NaNs."""
    return _quantile(x, 0.5, axis, "linear", keepdims, "nanmedian", True)


# ------------------------------------------------------------------ correlation, search
@keras_op
def corrcoef(x):
    """Pearson correlation coefficients of the rows (variables) of a 1-D or 2-D ``x``."""
    x = to_tensor(x)
    if x.ndim > 2:
        raise ValueError(f"ops.corrcoef: `x` must be 1-D or 2-D. Received: x={describe(x)}")
    if x.dtype == torch.int64:
        dtype = torch.float64
    else:
        dtype = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(x), float))
    m = x.to(dtype)
    m2 = m.reshape(1, -1) if m.ndim < 2 else m
    centered = m2 - m2.mean(dim=1, keepdim=True)
    cov = centered @ centered.transpose(0, 1).conj() / (m2.shape[1] - 1)
    sd = torch.sqrt(torch.diagonal(cov).real if cov.is_complex() else torch.diagonal(cov))
    c = cov / sd[:, None] / sd[None, :]
    if c.is_complex():
        c = torch.complex(c.real.clamp(-1, 1), c.imag.clamp(-1, 1))
    else:
        c = c.clamp(-1, 1)
    return c.reshape(()) if x.ndim < 2 else c


@keras_op
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D tensors (``mode``: "valid", "same" or "full")."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(
            f"ops.correlate: `mode` must be 'valid', 'same' or 'full'. Received: mode={mode!r}"
        )
    x1, x2 = to_tensor(x1), to_tensor(x2)
    if x1.ndim != 1 or x2.ndim != 1 or x1.shape[0] == 0 or x2.shape[0] == 0:
        raise ValueError(
            "ops.correlate: `x1` and `x2` must be non-empty 1-D tensors. Received: "
            f"x1={describe(x1)}, x2={describe(x2)}"
        )
    name = _dtypes.result_type(dtype_of(x1), dtype_of(x2))
    name = name if name in ("bfloat16", "float16", "float64") else "float32"
    dtype = _dtypes.torch_dtype(name)
    n1, n2 = x1.shape[0], x2.shape[0]
    a = x1.to(dtype).reshape(1, 1, n1)
    v = x2.to(device=a.device, dtype=dtype).reshape(1, 1, n2)
    full = F.conv1d(a, v, padding=n2 - 1).reshape(-1)
    if mode == "full":
        return full
    if mode == "valid":
        return full[builtins.min(n1, n2) - 1 : builtins.max(n1, n2)]
    start = (n2 - 1) // 2 if n1 >= n2 else n1 - 1 - (n1 - 1) // 2
    return full[start : start + builtins.max(n1, n2)]


@keras_op
def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices of ``values`` into the 1-D ascending ``sorted_sequence`` (int32)."""
    if side not in ("left", "right"):
        raise ValueError(f"ops.searchsorted: `side` must be 'left' or 'right'. Received: {side!r}")
    seq, vals = to_tensor(sorted_sequence), to_tensor(values)
    if seq.ndim != 1:
        raise ValueError(
            "ops.searchsorted: `sorted_sequence` must be 1-D (use ops.vectorized_map for N-D). "
            f"Received: sorted_sequence={describe(seq)}"
        )
    seq, vals = promote(seq, vals)
    if seq.dtype == torch.bool:
        seq, vals = seq.view(torch.uint8), vals.view(torch.uint8)
    if vals.device != seq.device:
        vals = vals.to(seq.device)
    out_int32 = seq.shape[0] <= 2**31 - 1
    out = torch.searchsorted(seq, vals, side=side, out_int32=out_int32)
    return out


@keras_op
def digitize(x, bins):
    """Index of the bin of ``bins`` (1-D, increasing) each element of ``x`` falls in, such
    that ``bins[i - 1] <= x < bins[i]`` (int32)."""
    x, bins = to_tensor(x), to_tensor(bins)
    if bins.ndim != 1:
        raise ValueError(f"ops.digitize: `bins` must be 1-D. Received: bins={describe(bins)}")
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if bins.dtype == torch.bool:
        bins = bins.to(torch.uint8)
    x, bins = promote(x, bins)
    return torch.bucketize(x, bins.to(x.device), right=True, out_int32=True)


# ----------------------------------------------------------------- data-dependent shapes
def _histogram_checks(bins, range):
    if isinstance(bins, bool) or not isinstance(bins, int):
        raise TypeError(f"ops.histogram: `bins` must be an int. Received: bins={bins!r}")
    if bins < 1:
        raise ValueError(f"ops.histogram: `bins` must be positive. Received: bins={bins}")
    if range is not None:
        if not isinstance(range, (tuple, list)) or len(range) != 2:
            raise ValueError(
                f"ops.histogram: `range` must be a tuple of two numbers. Received: range={range!r}"
            )
        if range[1] < range[0]:
            raise ValueError(
                f"ops.histogram: `range` must be increasing (lower, upper). Received: range={range!r}"
            )


@keras_op
def histogram(x, bins=10, range=None):  # noqa: A002 - Keras's name
    """Counts of the 1-D ``x`` in ``bins`` equal-width bins over ``range`` (default: the data's
    minimum and maximum). Returns ``(counts, bin_edges)``; values outside ``range`` are not
    counted, the last bin includes its upper edge."""
    _histogram_checks(bins, range)
    x = to_tensor(x)
    if x.ndim > 1:
        raise ValueError(f"ops.histogram: `x` must be 1-D. Received: x={describe(x)}")
    if not x.is_floating_point():
        x = x.to(floatx_dtype())
    x = x.reshape(-1)
    # Edges computed in float64 (as NumPy does), then in x's dtype.
    f64 = dict(dtype=torch.float64, device=x.device)
    if range is not None:
        lo, hi = torch.full((), float(range[0]), **f64), torch.full((), float(range[1]), **f64)
    elif x.numel():
        lo, hi = (v.to(torch.float64) for v in torch.aminmax(x))
    else:
        lo, hi = torch.zeros((), **f64), torch.ones((), **f64)
    same = lo == hi
    lo, hi = torch.where(same, lo - 0.5, lo), torch.where(same, hi + 0.5, hi)
    edges = lo + torch.arange(bins + 1, **f64) * ((hi - lo) / bins)
    edges = torch.cat([edges[:-1], hi.reshape(1)]).to(x.dtype)
    idx = (torch.bucketize(x, edges, right=True) - 1).clamp(0, bins - 1)
    inside = (x >= edges[0]) & (x <= edges[-1])
    counts = torch.zeros(bins, dtype=x.dtype, device=x.device)
    counts = counts.index_add(0, idx, inside.to(x.dtype))
    return counts, edges


def _bincount_dtype(x, weights):
    if weights is None:
        return "int32"
    return _dtypes.result_type(dtype_of(x), dtype_of(weights))


def _bincount_spec(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("ops.bincount: `sparse=True` is not supported. Received: sparse=True")
    return KerasTensor(tuple(x.shape[:-1]) + (None,), _bincount_dtype(x, weights))


@keras_op(spec=_bincount_spec)
def bincount(x, weights=None, minlength=0, sparse=False):
    """Occurrences of each value ``0..max(x)`` in the non-negative integer ``x`` (1-D, or 2-D
    counted per row), weighted by ``weights`` when given; at least ``minlength`` bins."""
    if sparse:
        raise ValueError("ops.bincount: `sparse=True` is not supported. Received: sparse=True")
    x = to_tensor(x)
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"ops.bincount: `x` must be an integer tensor. Received: x={describe(x)}")
    if x.ndim not in (1, 2):
        raise ValueError(f"ops.bincount: `x` must be 1-D or 2-D. Received: x={describe(x)}")
    dtype = _dtypes.torch_dtype(_bincount_dtype(x, weights))
    length = int(minlength)
    if x.numel():
        lo, hi = torch.stack(torch.aminmax(x)).tolist()
        if lo < 0:
            raise ValueError(f"ops.bincount: `x` must be non-negative. Received: min(x)={lo}")
        length = builtins.max(length, hi + 1)
    rows = x.shape[0] if x.ndim == 2 else 1
    flat = x.long()
    if x.ndim == 2:
        flat = flat + torch.arange(rows, device=x.device)[:, None] * length
    flat = flat.reshape(-1)
    if weights is None:
        out = torch.bincount(flat, minlength=rows * length).to(dtype)
    else:
        w = to_tensor(weights).to(device=x.device, dtype=dtype)
        if tuple(w.shape) != tuple(x.shape):
            raise ValueError(
                "ops.bincount: `weights` must have the shape of `x`. Received: "
                f"x={describe(x)}, weights={describe(w)}"
            )
        out = torch.zeros(rows * length, dtype=dtype, device=x.device)
        out = out.index_add(0, flat, w.reshape(-1))
    return out.reshape(rows, length) if x.ndim == 2 else out


def _unique_spec(
    x,
    sorted=True,  # noqa: A002 - Keras's name
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    n = size
    if axis is None:
        values = KerasTensor((n,), x.dtype)
    else:
        a = canonical_axis(axis, len(x.shape), "unique")
        values = KerasTensor(tuple(n if i == a else d for i, d in enumerate(x.shape)), x.dtype)
    outputs = [values]
    if return_index:
        outputs.append(KerasTensor((n,), "int32"))
    if return_inverse:
        shape = tuple(x.shape) if axis is None else (x.shape[a],)
        outputs.append(KerasTensor(shape, "int32"))
    if return_counts:
        outputs.append(KerasTensor((n,), "int32"))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


@keras_op(spec=_unique_spec)
def unique(
    x,
    sorted=True,  # noqa: A002 - Keras's name
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """Unique elements of ``x`` (or unique slices along ``axis``), sorted.

    Optionally also returns the index of each one's first occurrence, the inverse indices that
    rebuild ``x``, and the counts (all int32). With ``size``, the results are truncated or
    padded to ``size`` entries (values with ``fill_value``, default 0; counts with 0).
    """
    x = to_tensor(x)
    dim = None if axis is None else _one_axis(x, axis, "unique")
    res = torch.unique(
        x,
        sorted=sorted,
        return_inverse=return_inverse or return_index,
        return_counts=return_counts,
        dim=dim,
    )
    if not isinstance(res, tuple):
        res = (res,)
    values = res[0]
    inverse = res[1] if (return_inverse or return_index) else None
    counts = res[-1] if return_counts else None
    d = 0 if dim is None else dim
    k = values.shape[d]
    index = None
    if return_index:
        flat_inv = inverse.reshape(-1)
        n = flat_inv.shape[0]
        index = torch.full((k,), n, dtype=torch.long, device=x.device)
        index = index.scatter_reduce(
            0, flat_inv, torch.arange(n, device=x.device), reduce="amin", include_self=True
        )
    if size is not None:
        if k >= size:
            values = values.narrow(d, 0, size)
            counts = counts[:size] if counts is not None else None
            index = index[:size] if index is not None else None
        else:
            pad = [0, 0] * (values.ndim - 1 - d) + [0, size - k]
            fill = 0 if fill_value is None else fill_value
            values = F.pad(values, pad, value=fill)
            counts = F.pad(counts, [0, size - k], value=0) if counts is not None else None
            index = F.pad(index, [0, size - k], value=1) if index is not None else None
    out = [values]
    if return_index:
        out.append(index.to(torch.int32))
    if return_inverse:
        out.append(inverse.to(torch.int32))
    if return_counts:
        out.append(counts.to(torch.int32))
    return out[0] if len(out) == 1 else tuple(out)
