"""keras.ops.numpy, array part: creation, shapes, joining and splitting, indexing."""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F

from .. import config
from ..backend import get_device
from ..layers.node import KerasTensor
from . import _dtypes
from ._common import canonical_axis, dtype_of, promote, to_tensor
from .operation import keras_op

__all__ = [
    "append",
    "arange",
    "array",
    "array_split",
    "bartlett",
    "blackman",
    "broadcast_to",
    "concatenate",
    "copy",
    "diag",
    "diagflat",
    "diagonal",
    "dsplit",
    "dstack",
    "empty",
    "empty_like",
    "expand_dims",
    "eye",
    "flip",
    "fliplr",
    "flipud",
    "full",
    "full_like",
    "geomspace",
    "get_item",
    "hamming",
    "hanning",
    "hsplit",
    "hstack",
    "identity",
    "kaiser",
    "linspace",
    "logspace",
    "meshgrid",
    "moveaxis",
    "ndim",
    "ones",
    "ones_like",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "rot90",
    "size",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "tile",
    "transpose",
    "tri",
    "tril",
    "triu",
    "vander",
    "view",
    "vsplit",
    "vstack",
    "zeros",
    "zeros_like",
]

_INTS = (int, np.integer)


# --------------------------------------------------------------------------- argument helpers
def _as_int(v, op, arg):
    """A Python int from an int, NumPy integer or integer scalar tensor."""
    if isinstance(v, _INTS) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, torch.Tensor) and v.ndim == 0:
        if not (v.is_floating_point() or v.is_complex() or v.dtype == torch.bool):
            return int(v)
    elif isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iu":
        return int(v)
    raise TypeError(f"ops.{op}: `{arg}` must be an integer. Received: {arg}={v!r}")


def _int_tuple(shape, op, arg="shape", allow_minus_one=False):
    """A shape given as an int, a sequence of ints/scalar tensors or a 1-D tensor -> ints."""
    if shape.__class__ is tuple and all(d.__class__ is int and d >= 0 for d in shape):
        return shape
    if isinstance(shape, (torch.Tensor, np.ndarray)) and shape.ndim == 1:
        shape = shape.tolist()
    elif isinstance(shape, (_INTS, torch.Tensor, np.ndarray)):
        shape = (shape,)
    if not isinstance(shape, (list, tuple, torch.Size)):
        raise TypeError(
            f"ops.{op}: `{arg}` must be an int or a sequence of ints. Received: {arg}={shape!r}"
        )
    out = []
    for d in shape:
        if d is None:
            raise ValueError(
                f"ops.{op}: `{arg}` must be fully defined (no None dimensions). "
                f"Received: {arg}={shape!r}"
            )
        d = _as_int(d, op, arg)
        if d < 0 and not (allow_minus_one and d == -1):
            raise ValueError(
                f"ops.{op}: every dimension of `{arg}` must be non-negative"
                f"{' (or -1 once)' if allow_minus_one else ''}. Received: {arg}={tuple(shape)!r}"
            )
        out.append(d)
    if allow_minus_one and out.count(-1) > 1:
        raise ValueError(
            f"ops.{op}: `{arg}` can have at most one -1 (unknown) dimension. "
            f"Received: {arg}={tuple(shape)!r}"
        )
    return tuple(out)


def _torch_dtype(dtype, op):
    """The torch dtype for ``dtype`` (floatx when None); a bad dtype names the op."""
    if dtype is None:
        dtype = config.floatx()
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        return _dtypes.torch_dtype(dtype)
    except (ValueError, TypeError) as e:
        raise ValueError(f"ops.{op}: invalid `dtype`. {e} Received: dtype={dtype!r}") from None


def _resolve_key(x):
    """What Keras's ``result_type`` sees for a creation-op argument (Python types are weak)."""
    if isinstance(x, bool):
        return bool
    if isinstance(x, int):
        return int
    if isinstance(x, float):
        return float
    if isinstance(x, (list, tuple)):
        return dtype_of(to_tensor(x))
    return dtype_of(x)


def _tensors(xs, op, arg="xs"):
    """A non-empty list of tensors promoted to their Keras result dtype."""
    if isinstance(xs, (torch.Tensor, np.ndarray)):
        xs = list(xs)
    if not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError(f"ops.{op}: `{arg}` must be a non-empty list of tensors. Received: {xs!r}")
    return promote(*xs)


# ------------------------------------------------------------------------------ creation
@keras_op
def array(x, dtype=None):
    """A tensor from array-like ``x`` (Keras's conversion rules), optionally cast to ``dtype``."""
    return to_tensor(x, None if dtype is None else _torch_dtype(dtype, "array"))


@keras_op
def copy(x):
    """A copy of ``x`` in new memory (differentiable)."""
    return torch.clone(to_tensor(x))


@keras_op
def zeros(shape, dtype=None):
    """A tensor of ``shape`` filled with 0 (``dtype`` defaults to floatx).

    Example:

    >>> from ketorch import ops
    >>> ops.zeros((2, 3)).shape
    torch.Size([2, 3])
    """
    shape = _int_tuple(shape, "zeros")
    return torch.zeros(shape, dtype=_torch_dtype(dtype, "zeros"), device=get_device())


@keras_op
def ones(shape, dtype=None):
    """A tensor of ``shape`` filled with 1 (``dtype`` defaults to floatx)."""
    shape = _int_tuple(shape, "ones")
    return torch.ones(shape, dtype=_torch_dtype(dtype, "ones"), device=get_device())


@keras_op
def empty(shape, dtype=None):
    """An uninitialised tensor of ``shape`` (``dtype`` defaults to floatx)."""
    shape = _int_tuple(shape, "empty")
    return torch.empty(shape, dtype=_torch_dtype(dtype, "empty"), device=get_device())


def _full_spec(shape, fill_value, dtype=None):
    target = _int_tuple(shape, "full")
    fill_shape = tuple(getattr(fill_value, "shape", ()))
    _broadcast_to_spec(KerasTensor(fill_shape, "float32"), target)
    return KerasTensor(target, _dtypes.standardize_dtype(_torch_dtype(dtype, "full")))


# Recorded as Keras records it: ``Full(shape, dtype)`` called on ``fill_value``.
@keras_op(spec=_full_spec)
def full(shape, fill_value, dtype=None):
    """A tensor of ``shape`` filled with ``fill_value`` (a scalar or a broadcastable tensor).

    ``dtype`` defaults to floatx, whatever the type of ``fill_value``.

    Example:

    >>> from ketorch import ops
    >>> ops.full((2,), 7)
    tensor([7., 7.])
    """
    shape = _int_tuple(shape, "full")
    td = _torch_dtype(dtype, "full")
    if isinstance(fill_value, (numbers.Number, np.generic)):
        return torch.full(shape, fill_value, dtype=td, device=get_device())
    fill = to_tensor(fill_value, td)
    return torch.broadcast_to(fill, shape).clone(memory_format=torch.contiguous_format)


def _like(x, dtype, op):
    x = to_tensor(x)
    return x, (x.dtype if dtype is None else _torch_dtype(dtype, op))


@keras_op
def zeros_like(x, dtype=None):
    """Zeros with the shape (and, by default, the dtype) of ``x``."""
    x, td = _like(x, dtype, "zeros_like")
    return torch.zeros_like(x, dtype=td)


@keras_op
def ones_like(x, dtype=None):
    """Ones with the shape (and, by default, the dtype) of ``x``."""
    x, td = _like(x, dtype, "ones_like")
    return torch.ones_like(x, dtype=td)


@keras_op
def empty_like(x, dtype=None):
    """An uninitialised tensor with the shape (and, by default, the dtype) of ``x``."""
    x, td = _like(x, dtype, "empty_like")
    return torch.empty_like(x, dtype=td)


@keras_op
def full_like(x, fill_value, dtype=None):
    """``fill_value`` broadcast to the shape of ``x`` (dtype defaults to ``x``'s)."""
    x, td = _like(x, dtype, "full_like")
    if isinstance(fill_value, (numbers.Number, np.generic)):
        return torch.full_like(x, fill_value, dtype=td)
    fill = to_tensor(fill_value, td)
    if fill.device != x.device and fill.ndim == 0:
        fill = fill.to(x.device)
    return torch.broadcast_to(fill, x.shape).clone(memory_format=torch.contiguous_format)


@keras_op
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; ``arange(n)`` counts from 0.

    The default dtype follows Keras's promotion of the arguments: int32 for Python ints,
    floatx when any of them is a float.

    Example:

    >>> from ketorch import ops
    >>> ops.arange(4)
    tensor([0, 1, 2, 3], dtype=torch.int32)
    """
    if (
        dtype is None
        and start.__class__ is int
        and stop.__class__ in (int, type(None))
        and step.__class__ in (int, type(None))
    ):  # the common case: Python ints give int32
        if stop is None:
            start, stop = 0, start
        return torch.arange(start, stop, step or 1, dtype=torch.int32, device=get_device())
    if dtype is None:
        keys = [_resolve_key(v) for v in (start, stop, step) if v is not None]
        dtype = _dtypes.result_type(*keys)
    td = _torch_dtype(dtype, "arange")
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    device = next((v.device for v in (start, stop, step) if isinstance(v, torch.Tensor)), None)
    return torch.arange(start, stop, step, dtype=td, device=device or get_device())


def _space_dtype(start, stop, dtype, op):
    if dtype is None:
        dtype = _dtypes.result_type(_resolve_key(start), _resolve_key(stop), float)
    td = _torch_dtype(dtype, op)
    compute = torch.float64 if td in (torch.float64, torch.complex128) else torch.float32
    if td.is_complex:
        compute = td
    return td, compute


def _ramp(start, stop, num, endpoint, axis, compute, op):
    """``num`` points from ``start`` to ``stop`` (broadcast tensors) along a new ``axis``."""
    num = _as_int(num, op, "num")
    if num < 0:
        raise ValueError(f"ops.{op}: `num` must be non-negative. Received: num={num}")
    s, e = promote(start, stop, dtype=compute)
    s, e = torch.broadcast_tensors(s, e)
    div = num - 1 if endpoint else num
    steps = torch.arange(num, dtype=compute, device=s.device).reshape((num,) + (1,) * s.ndim)
    delta = e - s
    y = s + steps * (delta / div) if div > 0 else s + steps * delta
    if endpoint and num > 1:
        y = torch.cat([y[:-1], e.unsqueeze(0)])
    if axis != 0:
        y = torch.movedim(y, 0, canonical_axis(axis, y.ndim, op))
    return y, delta, div


def _finish(y, td):
    if td.is_floating_point or td.is_complex:
        return y.to(td)
    return torch.floor(y).to(td) if td != torch.bool else y.to(td)


@keras_op
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced samples from ``start`` to ``stop`` (``stop`` excluded when
    ``endpoint=False``); array ``start``/``stop`` give one sequence per element along ``axis``.

    With ``retstep=True`` returns ``(samples, step)``. Integer dtypes floor the samples, as NumPy
    does.
    """
    td, compute = _space_dtype(start, stop, dtype, "linspace")
    y, delta, div = _ramp(start, stop, num, endpoint, axis, compute, "linspace")
    y = _finish(y, td)
    if not retstep:
        return y
    if isinstance(start, numbers.Number) and isinstance(stop, numbers.Number):
        step = (stop - start) / div if div > 0 else float("nan")
    else:
        step = delta / div if div > 0 else torch.full_like(delta, float("nan"))
    return y, step


@keras_op
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, ...)``: ``num`` samples evenly spaced on a log scale."""
    td, compute = _space_dtype(start, stop, dtype, "logspace")
    y, _, _ = _ramp(start, stop, num, endpoint, axis, compute, "logspace")
    if isinstance(base, (torch.Tensor, np.ndarray, list, tuple)):
        base = to_tensor(base, compute).to(y.device)
        if base.ndim:
            base = base.unsqueeze(canonical_axis(axis, y.ndim, "logspace"))
    return torch.pow(base, y).to(td)


@keras_op
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` samples forming a geometric progression from ``start`` to ``stop``."""
    td, compute = _space_dtype(start, stop, dtype, "geomspace")
    s, e = promote(start, stop, dtype=compute)
    sign = torch.sign(s)
    y, _, _ = _ramp(
        torch.log10(torch.abs(s)), torch.log10(torch.abs(e)), num, endpoint, 0, compute, "geomspace"
    )
    y = torch.pow(10.0, y) * sign
    if axis != 0:
        y = torch.movedim(y, 0, canonical_axis(axis, y.ndim, "geomspace"))
    return _finish(y, td)


@keras_op
def eye(N, M=None, k=0, dtype=None):
    """A 2-D tensor with ones on the ``k``-th diagonal and zeros elsewhere."""
    n = _as_int(N, "eye", "N")
    m = n if M is None else _as_int(M, "eye", "M")
    k = 0 if k is None else _as_int(k, "eye", "k")
    td = _torch_dtype(dtype, "eye")
    device = get_device()
    if k == 0:
        return torch.eye(n, m, dtype=td, device=device)
    rows = torch.arange(n, device=device).unsqueeze(1)
    return (torch.arange(m, device=device) - rows == k).to(td)


@keras_op
def identity(n, dtype=None):
    """The ``n x n`` identity matrix (``dtype`` defaults to floatx)."""
    n = _as_int(n, "identity", "n")
    return torch.eye(n, dtype=_torch_dtype(dtype, "identity"), device=get_device())


@keras_op
def tri(N, M=None, k=0, dtype=None):
    """An ``N x M`` tensor with ones at and below the ``k``-th diagonal, zeros above."""
    n = _as_int(N, "tri", "N")
    m = n if M is None else _as_int(M, "tri", "M")
    k = _as_int(k, "tri", "k")
    device = get_device()
    rows = torch.arange(n, device=device).unsqueeze(1)
    return (torch.arange(m, device=device) - rows <= k).to(_torch_dtype(dtype, "tri"))


def _window(x, op):
    if isinstance(x, KerasTensor):
        raise TypeError(
            f"ops.{op} needs a concrete window length; it does not run on symbolic tensors. "
            f"Received: x={x!r}"
        )
    m = _as_int(x, op, "x")
    if m < 0:
        raise ValueError(f"ops.{op}: the window length `x` must be non-negative. Received: x={m}")
    return m, {"dtype": _torch_dtype(None, op), "device": get_device()}


@keras_op(symbolic=False)
def bartlett(x):
    """The Bartlett (triangular) window of length ``x``."""
    m, kw = _window(x, "bartlett")
    return torch.signal.windows.bartlett(m, **kw)


@keras_op(symbolic=False)
def blackman(x):
    """The Blackman window of length ``x``."""
    m, kw = _window(x, "blackman")
    return torch.signal.windows.blackman(m, **kw)


@keras_op(symbolic=False)
def hamming(x):
    """The Hamming window of length ``x``."""
    m, kw = _window(x, "hamming")
    return torch.signal.windows.hamming(m, **kw)


@keras_op(symbolic=False)
def hanning(x):
    """The Hann window of length ``x``."""
    m, kw = _window(x, "hanning")
    return torch.signal.windows.hann(m, **kw)


@keras_op(symbolic=False)
def kaiser(x, beta):
    """The Kaiser window of length ``x`` with shape parameter ``beta``."""
    m, kw = _window(x, "kaiser")
    if isinstance(beta, (torch.Tensor, np.ndarray, np.generic)):
        beta = float(beta)
    return torch.signal.windows.kaiser(m, beta=beta, **kw)


# --------------------------------------------------------------------------------- shapes
@keras_op(symbolic=False)
def ndim(x):
    """The number of dimensions of ``x`` (a Python int; also for symbolic tensors)."""
    if isinstance(x, (torch.Tensor, np.ndarray, KerasTensor)):
        return len(x.shape)
    return to_tensor(x).ndim


@keras_op
def size(x):
    """The number of elements of ``x``, as an integer scalar tensor."""
    x = to_tensor(x)
    return torch.tensor(x.numel(), dtype=torch.int64, device=x.device)


def _meta_shape(fn, x, *args):
    """``fn``'s output shape on a meta tensor shaped like the KerasTensor ``x`` (fully known)."""
    return tuple(
        fn(torch.empty(x.shape, dtype=_dtypes.torch_dtype(x.dtype), device="meta"), *args).shape
    )


def _reshape_spec(x, newshape):
    shape = _int_tuple(newshape, "reshape", "newshape", allow_minus_one=True)
    if None in x.shape:  # the -1 dimension depends on the unknown size
        return KerasTensor(tuple(None if d == -1 else d for d in shape), x.dtype)
    try:
        return KerasTensor(_meta_shape(torch.reshape, x, shape), x.dtype)
    except RuntimeError as e:
        raise ValueError(
            f"ops.reshape: cannot reshape a tensor of shape {x.shape} to {newshape}: {e}"
        ) from None


@keras_op(spec=_reshape_spec)
def reshape(x, newshape):
    """``x`` with shape ``newshape`` (an int or a sequence; one dimension may be -1).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.reshape(torch.zeros(2, 6), (-1, 4)).shape
    torch.Size([3, 4])
    """
    x = to_tensor(x)
    if newshape.__class__ is tuple and newshape.count(-1) < 2:
        for d in newshape:
            if d.__class__ is not int or d < -1:
                break
        else:
            return x.reshape(newshape)
    return x.reshape(_int_tuple(newshape, "reshape", "newshape", allow_minus_one=True))


@keras_op
def ravel(x):
    """``x`` flattened to 1-D."""
    return torch.ravel(to_tensor(x))


def _broadcast_to_spec(x, shape):
    target = _int_tuple(shape, "broadcast_to")
    ok = len(x.shape) <= len(target) and all(
        d is None or d == 1 or d == t for d, t in zip(reversed(x.shape), reversed(target))
    )
    if not ok:
        raise ValueError(
            f"ops.broadcast_to: cannot broadcast a tensor of shape {x.shape} to {target}."
        )
    return KerasTensor(target, x.dtype)


@keras_op(spec=_broadcast_to_spec)
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (a view, as in NumPy)."""
    shape = _int_tuple(shape, "broadcast_to")
    x = to_tensor(x)
    if x.ndim > len(shape):
        raise ValueError(
            f"ops.broadcast_to: cannot broadcast a tensor of shape {tuple(x.shape)} to the "
            f"lower-rank shape {shape}."
        )
    return torch.broadcast_to(x, shape)


@keras_op
def squeeze(x, axis=None):
    """Remove length-1 axes: all of them, or those in ``axis`` (which must have length 1)."""
    x = to_tensor(x)
    if axis is None:
        return torch.squeeze(x)
    axes = canonical_axis(axis, x.ndim, "squeeze")
    for a in axes if isinstance(axes, tuple) else (axes,):
        if x.ndim and x.shape[a] != 1:
            raise ValueError(
                f"ops.squeeze: cannot squeeze axis {a} of a tensor of shape {tuple(x.shape)}: "
                f"its size is not 1. Received: axis={axis!r}"
            )
    return torch.squeeze(x, dim=axes)


@keras_op
def transpose(x, axes=None):
    """Permute the axes of ``x`` (reverse them when ``axes`` is None)."""
    x = to_tensor(x)
    if axes is None:
        return x.permute(tuple(range(x.ndim - 1, -1, -1)))
    if axes.__class__ is tuple and len(axes) == x.ndim:
        try:
            return x.permute(axes)  # torch rejects repeated and out-of-range axes itself
        except (TypeError, RuntimeError, IndexError):  # canonical_axis below names the op
            pass
    perm = canonical_axis(tuple(axes), x.ndim, "transpose", "axes")
    if len(perm) != x.ndim:
        raise ValueError(
            f"ops.transpose: `axes` must list each of the {x.ndim} axes once. "
            f"Received: axes={axes!r}"
        )
    return x.permute(perm)


@keras_op
def swapaxes(x, axis1, axis2):
    """``x`` with axes ``axis1`` and ``axis2`` interchanged."""
    x = to_tensor(x)
    a = canonical_axis(axis1, x.ndim, "swapaxes", "axis1")
    b = canonical_axis(axis2, x.ndim, "swapaxes", "axis2")
    return torch.swapaxes(x, a, b)


@keras_op
def moveaxis(x, source, destination):
    """Move axes ``source`` to positions ``destination`` (ints or sequences of equal length)."""
    x = to_tensor(x)
    src = canonical_axis(source, x.ndim, "moveaxis", "source")
    dst = canonical_axis(destination, x.ndim, "moveaxis", "destination")
    src = src if isinstance(src, tuple) else (src,)
    dst = dst if isinstance(dst, tuple) else (dst,)
    if len(src) != len(dst):
        raise ValueError(
            "ops.moveaxis: `source` and `destination` must have the same number of axes. "
            f"Received: source={source!r}, destination={destination!r}"
        )
    return torch.movedim(x, src, dst)


@keras_op
def view(x, dtype=None):
    """``x``'s memory reinterpreted as ``dtype`` (the last axis rescales with the item size)."""
    x = to_tensor(x)
    if dtype is None:
        return x.view(x.dtype)
    return x.view(_torch_dtype(dtype, "view"))


# ----------------------------------------------------------------------- flips and rotations
@keras_op
def flip(x, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    x = to_tensor(x)
    if axis is None:
        return torch.flip(x, tuple(range(x.ndim)))
    axes = canonical_axis(axis, x.ndim, "flip")
    return torch.flip(x, axes if isinstance(axes, tuple) else (axes,))


def _need_rank(x, rank, op):
    if x.ndim < rank:
        raise ValueError(
            f"ops.{op}: `x` must have at least {rank} dimension{'s' if rank > 1 else ''}. "
            f"Received: a tensor of shape {tuple(x.shape)}"
        )


@keras_op
def fliplr(x):
    """Reverse ``x`` along axis 1 (at least 2-D)."""
    x = to_tensor(x)
    _need_rank(x, 2, "fliplr")
    return torch.flip(x, (1,))


@keras_op
def flipud(x):
    """Reverse ``x`` along axis 0 (at least 1-D)."""
    x = to_tensor(x)
    _need_rank(x, 1, "flipud")
    return torch.flip(x, (0,))


@keras_op
def rot90(array, k=1, axes=(0, 1)):
    """Rotate ``array`` by ``k`` quarter turns in the plane of ``axes`` (first towards second)."""
    x = to_tensor(array)
    _need_rank(x, 2, "rot90")
    if not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise ValueError(f"ops.rot90: `axes` must be a pair of axes. Received: axes={axes!r}")
    dims = canonical_axis(tuple(axes), x.ndim, "rot90", "axes")
    return torch.rot90(x, _as_int(k, "rot90", "k"), dims)


@keras_op
def roll(x, shift, axis=None):
    """Shift elements cyclically by ``shift`` along ``axis`` (flattened when None)."""
    x = to_tensor(x)
    if axis is not None:
        axis = canonical_axis(axis, x.ndim, "roll")
    if isinstance(shift, (torch.Tensor, np.ndarray)):
        shift = shift.tolist()
    return torch.roll(x, shift, axis)


# -------------------------------------------------------------------------- diagonals
@keras_op
def diag(x, k=0):
    """The ``k``-th diagonal of a 2-D ``x``, or a 2-D tensor with 1-D ``x`` on that diagonal."""
    x = to_tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(
            f"ops.diag: `x` must be 1-D or 2-D. Received: a tensor of shape {tuple(x.shape)}"
        )
    return torch.diag(x, _as_int(k, "diag", "k"))


@keras_op
def diagflat(x, k=0):
    """A 2-D tensor with the flattened ``x`` on its ``k``-th diagonal."""
    return torch.diagflat(to_tensor(x), _as_int(k, "diagflat", "k"))


@keras_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    """Diagonals of the ``(axis1, axis2)`` planes of ``x``, along a new last axis."""
    x = to_tensor(x)
    _need_rank(x, 2, "diagonal")
    a = canonical_axis(axis1, x.ndim, "diagonal", "axis1")
    b = canonical_axis(axis2, x.ndim, "diagonal", "axis2")
    if a == b:
        raise ValueError(
            f"ops.diagonal: `axis1` and `axis2` must differ. Received: axis1={axis1}, axis2={axis2}"
        )
    return torch.diagonal(x, _as_int(offset, "diagonal", "offset"), a, b)


def _triangle(fn, x, k, op):
    x = to_tensor(x)
    _need_rank(x, 2, op)
    return fn(x, _as_int(k, op, "k"))


@keras_op
def tril(x, k=0):
    """``x`` with the elements above the ``k``-th diagonal zeroed (last two axes)."""
    return _triangle(torch.tril, x, k, "tril")


@keras_op
def triu(x, k=0):
    """``x`` with the elements below the ``k``-th diagonal zeroed (last two axes)."""
    return _triangle(torch.triu, x, k, "triu")


@keras_op
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-D ``x``: columns are powers of ``x`` (decreasing by
    default)."""
    x = to_tensor(x)
    if x.ndim != 1:
        raise ValueError(
            f"ops.vander: `x` must be 1-D. Received: a tensor of shape {tuple(x.shape)}"
        )
    if N is not None:
        N = _as_int(N, "vander", "N")
        if N < 0:
            raise ValueError(f"ops.vander: `N` must be non-negative. Received: N={N}")
    if not isinstance(increasing, bool):
        raise TypeError(
            f"ops.vander: `increasing` must be a bool. Received: increasing={increasing!r}"
        )
    n = x.shape[0] if N is None else N
    if n == 0:
        return x.new_empty((x.shape[0], 0))
    cols = [torch.ones_like(x).unsqueeze(1), x.unsqueeze(1).expand(-1, n - 1)]
    powers = torch.cumprod(torch.cat(cols, 1), dim=1).to(x.dtype)
    return powers if increasing else torch.flip(powers, (1,))


# ------------------------------------------------------------------------------ joining
@keras_op
def concatenate(xs, axis=0):
    """Join a sequence of tensors along an existing ``axis`` (Keras's dtype promotion).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.concatenate([torch.zeros(2, 1), torch.ones(2, 2)], axis=-1).shape
    torch.Size([2, 3])
    """
    xs = _tensors(xs, "concatenate")
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs])
    axis = canonical_axis(axis, xs[0].ndim, "concatenate")
    return torch.cat(xs, dim=axis)


@keras_op
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when None)."""
    x1, x2 = promote(x1, x2)
    if axis is None:
        return torch.cat((x1.reshape(-1), x2.reshape(-1)))
    return torch.cat((x1, x2), canonical_axis(axis, x1.ndim, "append"))


@keras_op
def stack(x, axis=0):
    """Join tensors of equal shape along a new ``axis``."""
    xs = _tensors(x, "stack", "x")
    return torch.stack(xs, canonical_axis(axis, xs[0].ndim + 1, "stack"))


@keras_op
def hstack(xs):
    """Join tensors column-wise (axis 1; axis 0 for 1-D tensors)."""
    return torch.hstack(_tensors(xs, "hstack"))


@keras_op
def vstack(xs):
    """Join tensors row-wise (axis 0, 1-D tensors become rows)."""
    return torch.vstack(_tensors(xs, "vstack"))


@keras_op
def dstack(xs):
    """Join tensors depth-wise (axis 2, lower-rank tensors are expanded first)."""
    return torch.dstack(_tensors(xs, "dstack"))


@keras_op
def meshgrid(*x, indexing="xy"):
    """Coordinate tensors from 1-D coordinate vectors (``"xy"`` Cartesian or ``"ij"`` matrix
    indexing); each output keeps its input's dtype."""
    if indexing not in ("xy", "ij"):
        raise ValueError(
            f"ops.meshgrid: `indexing` must be 'xy' or 'ij'. Received: indexing={indexing!r}"
        )
    xs = [torch.ravel(to_tensor(v)) for v in x]
    sizes = [v.shape[0] for v in xs]
    if indexing == "xy" and len(xs) > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, v in enumerate(xs):
        pos = i
        if indexing == "xy" and len(xs) > 1 and i < 2:
            pos = 1 - i
        shape = [1] * len(xs)
        shape[pos] = -1
        out.append(v.reshape(shape).expand(sizes))
    return tuple(out)


@keras_op
def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis (NumPy's rank alignment)."""
    x = to_tensor(x)
    reps = _int_tuple(repeats, "tile", "repeats")
    return torch.tile(x, reps)


def _repeat_spec(x, repeats, axis=None):
    if isinstance(repeats, (torch.Tensor, np.ndarray)):
        repeats = repeats.tolist()
    counts = [repeats] if isinstance(repeats, _INTS) else repeats
    if axis is None:
        shape = [None if None in x.shape else math.prod(x.shape)]
        axis = 0
    else:
        shape = list(x.shape)
        axis = canonical_axis(axis, len(shape), "repeat")
    n = shape[axis]
    if not isinstance(counts, (list, tuple)):  # symbolic repeats
        shape[axis] = None
    elif len(counts) == 1:
        shape[axis] = None if n is None else n * int(counts[0])
    elif n is not None and len(counts) != n:
        raise ValueError(
            f"ops.repeat: `repeats` must have one count per element along axis {axis} "
            f"({n}) or a single count. Received: {len(counts)} counts"
        )
    else:
        shape[axis] = None if n is None else int(sum(counts))
    return KerasTensor(tuple(shape), x.dtype)


@keras_op(spec=_repeat_spec)
def repeat(x, repeats, axis=None):
    """Repeat each element of ``x`` ``repeats`` times (an int, or one count per element)
    along ``axis`` (the flattened tensor when None)."""
    x = to_tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = canonical_axis(axis, x.ndim, "repeat")
    if isinstance(repeats, (torch.Tensor, np.ndarray)) and repeats.ndim == 0:
        repeats = int(repeats)
    if isinstance(repeats, _INTS):
        if repeats < 0:
            raise ValueError(f"ops.repeat: `repeats` must be non-negative. Received: {repeats}")
        return torch.repeat_interleave(x, int(repeats), dim=axis)
    if isinstance(repeats, (list, tuple)) and all(isinstance(r, _INTS) for r in repeats):
        counts = [int(r) for r in repeats]
        n = x.shape[axis]
        if len(counts) not in (1, n):
            raise ValueError(
                f"ops.repeat: `repeats` must have one count per element along axis {axis} "
                f"({n}) or a single count. Received: {len(counts)} counts"
            )
        if len(counts) == 1:
            return torch.repeat_interleave(x, counts[0], dim=axis)
        rep = torch.tensor(counts, dtype=torch.int64, device=x.device)
        return torch.repeat_interleave(x, rep, dim=axis, output_size=sum(counts))
    rep = to_tensor(repeats, "int64")
    if rep.device != x.device:
        rep = rep.to(x.device)
    return torch.repeat_interleave(x, rep, dim=axis)


_PAD_MODES = (
    "constant",
    "edge",
    "reflect",
    "symmetric",
    "wrap",
    "maximum",
    "minimum",
    "mean",
    "median",
    "linear_ramp",
    "empty",
    "circular",
    "replicate",
)


def _pad_widths(pad_width, rank):
    """NumPy's ``pad_width`` forms -> one ``(before, after)`` pair of ints per axis."""
    pw = pad_width
    if isinstance(pw, (torch.Tensor, np.ndarray)):
        pw = pw.tolist()
    if isinstance(pw, (_INTS, torch.Tensor)):
        pw = [[pw, pw]]
    if not isinstance(pw, (list, tuple)) or not pw:
        raise ValueError(
            f"ops.pad: `pad_width` must be an int, a pair or one pair per axis. "
            f"Received: pad_width={pad_width!r}"
        )
    if not isinstance(pw[0], (list, tuple)):
        pw = [pw]
    pairs = []
    for p in pw:
        if not isinstance(p, (list, tuple)) or len(p) not in (1, 2):
            raise ValueError(
                f"ops.pad: each entry of `pad_width` must be a pair (before, after). "
                f"Received: pad_width={pad_width!r}"
            )
        b = _as_int(p[0], "pad", "pad_width")
        a = _as_int(p[-1], "pad", "pad_width")
        if b < 0 or a < 0:
            raise ValueError(
                f"ops.pad: `pad_width` cannot be negative. Received: pad_width={pad_width!r}"
            )
        pairs.append((b, a))
    if len(pairs) == 1:
        pairs = pairs * rank
    if len(pairs) != rank:
        raise ValueError(
            f"ops.pad: `pad_width` must have one pair per axis ({rank}) or a single pair. "
            f"Received: pad_width={pad_width!r}"
        )
    return pairs


def _pad_index(n, before, after, mode, device):
    i = torch.arange(-before, n + after, device=device)
    if mode == "edge":
        return i.clamp(0, n - 1)
    if mode == "wrap":
        return i.remainder(n)
    if mode == "reflect":
        if n == 1:
            return torch.zeros_like(i)
        period = 2 * (n - 1)
        j = i.remainder(period)
        return torch.where(j >= n, period - j, j)
    period = 2 * n  # symmetric
    j = i.remainder(period)
    return torch.where(j >= n, period - 1 - j, j)


def _pad_stat(x, axis, mode):
    if mode == "maximum":
        return x.amax(axis, keepdim=True)
    if mode == "minimum":
        return x.amin(axis, keepdim=True)
    xf = x if (x.is_floating_point() or x.is_complex()) else x.double()
    if mode == "mean":
        v = xf.mean(axis, keepdim=True)
    else:  # median, averaging the two middle values as NumPy does
        s = xf.sort(axis).values
        n = x.shape[axis]
        v = (s.narrow(axis, (n - 1) // 2, 1) + s.narrow(axis, n // 2, 1)) / 2
    return v if v.dtype == x.dtype else torch.round(v).to(x.dtype)


def _pad_ramp(x, axis, before, after):
    n = x.shape[axis]
    shape = [1] * x.ndim
    ct = x.dtype if x.is_floating_point() else torch.float32
    parts = []
    if before:
        shape[axis] = before
        t = (torch.arange(before, device=x.device, dtype=ct) / before).reshape(shape)
        parts.append(x.narrow(axis, 0, 1).to(ct) * t)
    parts.append(x.to(ct))
    if after:
        shape[axis] = after
        t = (torch.arange(after - 1, -1, -1, device=x.device, dtype=ct) / after).reshape(shape)
        parts.append(x.narrow(axis, n - 1, 1).to(ct) * t)
    y = torch.cat(parts, axis)
    return y if y.dtype == x.dtype else torch.floor(y).to(x.dtype)


# Recorded as Keras records it: ``Pad(pad_width, mode)`` called on ``(x, constant_values)``.
@keras_op
def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad ``x`` with NumPy's ``pad_width`` forms and modes.

    Modes: ``"constant"`` (with ``constant_values``, default 0), ``"edge"``, ``"reflect"``,
    ``"symmetric"``, ``"wrap"``, ``"maximum"``, ``"minimum"``, ``"mean"``, ``"median"``,
    ``"linear_ramp"``, ``"empty"``; torch's ``"replicate"`` and ``"circular"`` are accepted as
    ``"edge"`` and ``"wrap"``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.pad(torch.tensor([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
    tensor([3., 2., 1., 2., 3., 2.])
    """
    if mode not in _PAD_MODES:
        raise ValueError(f"ops.pad: `mode` must be one of {_PAD_MODES}. Received: mode={mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError(
            "ops.pad: `constant_values` can only be given with mode='constant'. "
            f"Received: mode={mode!r}"
        )
    x = to_tensor(x)
    pairs = _pad_widths(pad_width, x.ndim)
    mode = {"replicate": "edge", "circular": "wrap"}.get(mode, mode)
    if mode in ("constant", "empty"):
        flat = []
        for b, a in reversed(pairs):
            flat += [b, a]
        if not isinstance(constant_values, (torch.Tensor, np.ndarray, list, tuple)):
            return F.pad(x, flat, value=constant_values or 0)
        value = to_tensor(constant_values, x.dtype)
        if value.ndim:
            raise ValueError(
                "ops.pad: `constant_values` must be a scalar. "
                f"Received: constant_values={constant_values!r}"
            )
        value = value.to(x.device)
        mask = F.pad(torch.ones_like(x, dtype=torch.bool), flat, value=False)
        return torch.where(mask, F.pad(x, flat), value)
    for axis, (b, a) in enumerate(pairs):
        if not (b or a):
            continue
        n = x.shape[axis]
        if n == 0:
            raise ValueError(
                f"ops.pad: cannot pad the empty axis {axis} with mode={mode!r}. "
                f"Received: a tensor of shape {tuple(x.shape)}"
            )
        if mode in ("edge", "reflect", "symmetric", "wrap"):
            x = x.index_select(axis, _pad_index(n, b, a, mode, x.device))
        elif mode == "linear_ramp":
            x = _pad_ramp(x, axis, b, a)
        else:
            v = _pad_stat(x, axis, mode)
            parts = [v.expand(*x.shape[:axis], b, *x.shape[axis + 1 :])] if b else []
            parts.append(x)
            if a:
                parts.append(v.expand(*x.shape[:axis], a, *x.shape[axis + 1 :]))
            x = torch.cat(parts, axis)
    return x


# ----------------------------------------------------------------------------- splitting
def _split(x, indices_or_sections, axis, op):
    """Split ``x`` along ``axis`` into equal sections (an int) or at indices (a sequence)."""
    ios = indices_or_sections
    if isinstance(ios, (torch.Tensor, np.ndarray)):
        ios = int(ios) if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, _INTS) and not isinstance(ios, bool):
        ios = int(ios)
        if ios <= 0:
            raise ValueError(
                f"ops.{op}: the number of sections must be positive. "
                f"Received: indices_or_sections={ios}"
            )
        n = x.shape[axis]
        if n % ios:
            raise ValueError(
                f"ops.{op}: axis {axis} of size {n} cannot be split into {ios} equal sections. "
                f"Received: a tensor of shape {tuple(x.shape)}, indices_or_sections={ios}"
            )
        return list(torch.split(x, n // ios, dim=axis))  # one backward (a cat) for all parts
    if not isinstance(ios, (list, tuple)):
        raise TypeError(
            f"ops.{op}: `indices_or_sections` must be an int or a sequence of ints. "
            f"Received: indices_or_sections={indices_or_sections!r}"
        )
    idx = [_as_int(i, op, "indices_or_sections") for i in ios]
    return list(torch.tensor_split(x, idx, dim=axis))


def _split_sizes(n, ios, op):
    """Sizes of the parts of an axis of size ``n`` (None if unknown), as Keras infers them."""
    if isinstance(ios, (torch.Tensor, np.ndarray)):
        ios = int(ios) if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, _INTS) and not isinstance(ios, bool):
        ios = int(ios)
        if ios <= 0:
            raise ValueError(
                f"ops.{op}: the number of sections must be positive. "
                f"Received: indices_or_sections={ios}"
            )
        if n is None:
            return [None] * ios
        if n % ios:
            raise ValueError(
                f"ops.{op}: an axis of size {n} cannot be split into {ios} equal sections."
            )
        return [n // ios] * ios
    bounds = [0] + [_as_int(i, op, "indices_or_sections") for i in ios] + [n]
    sizes = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if n is not None:
            sizes.append(len(range(n)[a:b]))
        elif b is not None and a >= 0 and b >= 0:
            sizes.append(max(b - a, 0))
        else:
            sizes.append(None)
    return sizes


def _split_spec_at(x, ios, axis, op, min_rank=1):
    if len(x.shape) < min_rank:
        raise ValueError(
            f"ops.{op}: `x` must have at least {min_rank} dimensions. Received shape {x.shape}"
        )
    axis = canonical_axis(axis, len(x.shape), op)
    out = []
    for size in _split_sizes(x.shape[axis], ios, op):
        shape = list(x.shape)
        shape[axis] = size
        out.append(KerasTensor(tuple(shape), x.dtype))
    return out


def _split_spec(x, indices_or_sections, axis=0):
    return _split_spec_at(x, indices_or_sections, axis, "split")


def _check_sections(indices_or_sections):
    if isinstance(indices_or_sections, bool) or not isinstance(indices_or_sections, _INTS):
        raise TypeError(
            "ops.array_split: `indices_or_sections` must be an int. "
            f"Received: indices_or_sections={indices_or_sections!r}"
        )
    if indices_or_sections <= 0:
        raise ValueError(
            "ops.array_split: `indices_or_sections` must be positive. "
            f"Received: indices_or_sections={indices_or_sections}"
        )


def _array_split_spec(x, indices_or_sections, axis=0):
    _check_sections(indices_or_sections)
    axis = canonical_axis(axis, len(x.shape), "array_split")
    n, k = x.shape[axis], int(indices_or_sections)
    out = []
    for i in range(k):
        shape = list(x.shape)
        shape[axis] = None if n is None else n // k + (1 if i < n % k else 0)
        out.append(KerasTensor(tuple(shape), x.dtype))
    return out


def _hsplit_spec(x, indices_or_sections):
    return _split_spec_at(x, indices_or_sections, 1 if len(x.shape) > 1 else 0, "hsplit")


def _vsplit_spec(x, indices_or_sections):
    return _split_spec_at(x, indices_or_sections, 0, "vsplit", 2)


def _dsplit_spec(x, indices_or_sections):
    return _split_spec_at(x, indices_or_sections, 2, "dsplit", 3)


@keras_op(spec=_split_spec)
def split(x, indices_or_sections, axis=0):
    """Split ``x`` along ``axis`` into equal sections (an int) or at the given indices.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> [t.shape[0] for t in ops.split(torch.zeros(6, 2), [1, 4])]
    [1, 3, 2]
    """
    x = to_tensor(x)
    return _split(x, indices_or_sections, canonical_axis(axis, x.ndim, "split"), "split")


@keras_op(spec=_array_split_spec)
def array_split(x, indices_or_sections, axis=0):
    """Split ``x`` into ``indices_or_sections`` nearly equal parts along ``axis`` (the first
    parts are one longer when the size does not divide)."""
    _check_sections(indices_or_sections)
    x = to_tensor(x)
    axis = canonical_axis(axis, x.ndim, "array_split")
    return list(torch.tensor_split(x, int(indices_or_sections), dim=axis))


@keras_op(spec=_hsplit_spec)
def hsplit(x, indices_or_sections):
    """Split along axis 1 (axis 0 for 1-D tensors)."""
    x = to_tensor(x)
    _need_rank(x, 1, "hsplit")
    return _split(x, indices_or_sections, 1 if x.ndim > 1 else 0, "hsplit")


@keras_op(spec=_vsplit_spec)
def vsplit(x, indices_or_sections):
    """Split along axis 0 (at least 2-D)."""
    x = to_tensor(x)
    _need_rank(x, 2, "vsplit")
    return _split(x, indices_or_sections, 0, "vsplit")


@keras_op(spec=_dsplit_spec)
def dsplit(x, indices_or_sections):
    """Split along axis 2 (at least 3-D)."""
    x = to_tensor(x)
    _need_rank(x, 3, "dsplit")
    return _split(x, indices_or_sections, 2, "dsplit")


# ---------------------------------------------------------------------------- indexing
@keras_op
def expand_dims(x, axis):
    """Insert a length-1 axis at ``axis`` (an int or a tuple of ints).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.expand_dims(torch.zeros(2, 3), -1).shape
    torch.Size([2, 3, 1])
    """
    x = to_tensor(x)
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    out_ndim = x.ndim + len(axes)
    axes = sorted(canonical_axis(tuple(axes), out_ndim, "expand_dims"))
    for a in axes:
        x = x.unsqueeze(a)
    return x


@keras_op(name="get_item")
def _get_item(x, key):
    """``x[key]`` as a graph op: a list key (as a saved tuple comes back) is a tuple index."""
    x = to_tensor(x)
    if key.__class__ is list:
        key = tuple(key)
    return x[key]


def _eager_list_key(key):
    """A list holding slices/None/Ellipsis is a tuple index (NumPy's legacy rule)."""
    if any(k is None or k is Ellipsis or isinstance(k, (slice, list, tuple)) for k in key):
        return tuple(key)
    return key


def get_item(x, key):
    """``x[key]``: ints, slices, ``None`` (newaxis), ``Ellipsis``, index or mask tensors,
    and tuples of them.

    Called eagerly, a list of ints is an index array (as ``x[[0, 2]]``); inside a graph (and in
    a reloaded model, whose saved tuple keys come back as lists) a list key is a tuple, as
    in Keras.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.get_item(torch.arange(12).reshape(3, 4), (slice(1, None), None, -1)).shape
    torch.Size([2, 1])
    """
    if key.__class__ is list and x.__class__ is not KerasTensor:
        if not any(isinstance(k, KerasTensor) for k in key):
            try:
                return to_tensor(x)[_eager_list_key(key)]
            except (RuntimeError, IndexError) as e:
                raise _get_item._keras_op.error(e, (x, key), {}) from e
    return _get_item(x, key)


get_item._keras_op = _get_item._keras_op
