"""Helpers shared by the op modules: Keras's tensor conversion, promotion and axis checks."""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .. import config
from ..backend import get_device
from . import _dtypes

_PY_SCALARS = (bool, int, float, complex)


def to_tensor(x, dtype=None) -> torch.Tensor:
    """``keras.ops.convert_to_tensor`` semantics.

    Tensors keep their device and dtype (unless ``dtype`` is given); Python ``int`` becomes
    int32, ``float`` floatx, ``bool`` bool; NumPy arrays keep their dtype (float64 included);
    new tensors go to ketorch's device.
    """
    if isinstance(x, torch.Tensor):
        if dtype is not None:
            td = _dtypes.torch_dtype(dtype)
            if x.dtype != td:
                x = x.to(td)
        return x
    if dtype is not None:
        td = _dtypes.torch_dtype(dtype)
    else:
        td = _infer_dtype(x)
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            raise TypeError(
                f"Cannot convert an array of Python objects to a tensor. Received: {x!r}"
            )
        arr = np.ascontiguousarray(x) if x.ndim else np.array(x)
        if arr.dtype.name == "bfloat16" or arr.dtype.kind == "V":
            return torch.as_tensor(arr.astype(np.float32), device=get_device()).to(td)
        if not arr.flags.writeable:
            arr = arr.copy()
        return torch.from_numpy(arr).to(device=get_device(), dtype=td)
    if isinstance(x, np.generic):
        return to_tensor(np.asarray(x), dtype)
    if hasattr(x, "__array__") and not isinstance(x, (list, tuple)):
        return to_tensor(np.asarray(x), dtype)
    if isinstance(x, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in _leaves(x)):
        return torch.stack([to_tensor(v, dtype) for v in x])
    try:
        return torch.as_tensor(x, dtype=td, device=get_device())
    except (TypeError, ValueError, RuntimeError) as e:
        raise TypeError(
            f"Cannot convert {type(x).__name__} to a tensor: {e}. Received: {x!r}"
        ) from e


def _leaves(x):
    if isinstance(x, (list, tuple)):
        for v in x:
            yield from _leaves(v)
    else:
        yield x


def _infer_dtype(x) -> torch.dtype:
    """The dtype Keras gives a Python value or array-like."""
    if isinstance(x, bool):
        return torch.bool
    if isinstance(x, int):
        return torch.int32 if -(2**31) <= x < 2**31 else torch.int64
    if isinstance(x, float):
        return _dtypes.torch_dtype(config.floatx())
    if isinstance(x, complex):
        return torch.complex64
    if isinstance(x, np.ndarray):
        return _dtypes.torch_dtype(_dtypes.standardize_dtype(x.dtype))
    if isinstance(x, np.generic):
        return _dtypes.torch_dtype(_dtypes.standardize_dtype(x.dtype))
    if isinstance(x, (list, tuple)):
        kinds = set()
        for v in _leaves(x):
            if isinstance(v, bool):
                kinds.add("bool")
            elif isinstance(v, numbers.Integral):
                kinds.add("int")
            elif isinstance(v, numbers.Real):
                kinds.add("float")
            elif isinstance(v, numbers.Complex):
                kinds.add("complex")
            elif isinstance(v, (np.ndarray, np.generic)):
                kinds.add(_dtypes.standardize_dtype(v.dtype))
        if not kinds:
            return _dtypes.torch_dtype(config.floatx())
        if kinds == {"bool"}:
            return torch.bool
        if kinds <= {"bool", "int"}:
            return torch.int32
        if "complex" in kinds:
            return torch.complex64
        named = [k for k in kinds if k not in ("bool", "int", "float")]
        if named:
            return _dtypes.torch_dtype(
                _dtypes.result_type(*named, *(float for _ in [0] if "float" in kinds))
            )
        return _dtypes.torch_dtype(config.floatx())
    return _dtypes.torch_dtype(config.floatx())


def dtype_of(x) -> str:
    """Keras dtype name of a tensor/array/KerasTensor, or the weak type of a Python scalar."""
    if isinstance(x, torch.Tensor):
        return _dtypes._NAMES[x.dtype]
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int32"
    if isinstance(x, float):
        return config.floatx()
    d = getattr(x, "dtype", None)
    if d is not None:
        return d if isinstance(d, str) else _dtypes.standardize_dtype(d)
    return _dtypes.standardize_dtype(_infer_dtype(x))


def _promotion_key(x):
    """What ``result_type`` sees for ``x``: Python scalars are weak types."""
    if isinstance(x, torch.Tensor):
        return _dtypes._NAMES[x.dtype]
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return int
    if isinstance(x, float):
        return float
    return dtype_of(x)


def promote(*xs, dtype=None):
    """Convert ``xs`` to tensors of their Keras result dtype (or ``dtype``).

    The common case (tensors that already share a dtype) returns them untouched.
    """
    if dtype is None:
        first = xs[0]
        if isinstance(first, torch.Tensor) and all(
            isinstance(x, torch.Tensor) and x.dtype == first.dtype for x in xs
        ):
            return xs
        dtype = _dtypes.result_type(*(_promotion_key(x) for x in xs))
    td = _dtypes.torch_dtype(dtype)
    device = next((x.device for x in xs if isinstance(x, torch.Tensor)), None)
    out = []
    for x in xs:
        if isinstance(x, torch.Tensor):
            out.append(x if x.dtype == td else x.to(td))
        else:
            t = to_tensor(x, td)
            if device is not None and t.device != device:
                t = t.to(device)
            out.append(t)
    return tuple(out)


def canonical_axis(axis, ndim: int, op: str, arg: str = "axis"):
    """Validate ``axis`` (an int, a sequence of ints or ``None``) for a tensor of rank ``ndim``.

    Returns ``None``, a non-negative int, or a tuple of non-negative ints.

    Raises:
        ValueError: naming ``ops.<op>`` and the argument when an axis is out of range or repeated.
        TypeError: when an axis is not an integer.
    """
    if axis is None:
        return None
    if axis.__class__ is int and -ndim <= axis < ndim:  # the common case, checked cheaply
        return axis + ndim if axis < 0 else axis
    single = not isinstance(axis, (list, tuple))
    axes = [axis] if single else list(axis)
    out = []
    for a in axes:
        if isinstance(a, torch.Tensor) and a.ndim == 0:
            a = int(a)
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(
                f"ops.{op}: `{arg}` must be an int or a tuple of ints. Received: {arg}={axis!r}"
            )
        a = int(a)
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(
                f"ops.{op}: `{arg}` {a} is out of bounds for a tensor of rank {ndim}. "
                f"Received: {arg}={axis!r}"
            )
        out.append(a % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"ops.{op}: `{arg}` has repeated axes. Received: {arg}={axis!r}")
    return out[0] if single else tuple(out)


def floatx_dtype() -> torch.dtype:
    """The torch dtype of ``config.floatx()``."""
    return _dtypes.torch_dtype(config.floatx())


def float_result(x: torch.Tensor) -> torch.Tensor:
    """Cast integer/bool tensors to floatx (Keras's rule for ops like ``sqrt`` and ``mean``)."""
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(floatx_dtype())
