"""keras.ops.numpy, reductions: sums and means, statistics, sorting and searching, nan-ops."""

from __future__ import annotations

import torch

from ._common import canonical_axis, float_result, to_tensor
from .operation import keras_op

__all__ = ["sum"]


@keras_op
def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Sum over ``axis`` (all axes when ``None``); bool/int8/uint8 sum as int32 as in Keras."""
    x = to_tensor(x)
    axis = canonical_axis(axis, x.ndim, "sum")
    if x.dtype in (torch.bool, torch.int8, torch.uint8, torch.int16):
        dtype = torch.int32
    else:
        dtype = x.dtype
    if axis is None:
        out = torch.sum(x, dtype=dtype)
        if keepdims:
            out = out.reshape((1,) * x.ndim)
        return out
    return torch.sum(x, dim=axis, keepdim=keepdims, dtype=dtype)
