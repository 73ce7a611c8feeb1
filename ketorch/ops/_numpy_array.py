"""keras.ops.numpy, array part: creation, shapes, joining and splitting, indexing, products."""

from __future__ import annotations

import torch

from ._common import canonical_axis, promote, to_tensor
from .operation import keras_op

__all__ = ["concatenate", "expand_dims", "get_item"]


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


@keras_op
def concatenate(xs, axis=0):
    """Join a sequence of tensors along an existing ``axis`` (Keras's dtype promotion).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.concatenate([torch.zeros(2, 1), torch.ones(2, 2)], axis=-1).shape
    torch.Size([2, 3])
    """
    if not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError(
            f"ops.concatenate: `xs` must be a non-empty list of tensors. Received: xs={xs!r}"
        )
    xs = promote(*xs)
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs])
    axis = canonical_axis(axis, xs[0].ndim, "concatenate")
    return torch.cat(xs, dim=axis)


def _index_key(key):
    """A saved key comes back from JSON as a list: a list holding slices is a tuple index."""
    if isinstance(key, list) and any(
        k is None or k is Ellipsis or isinstance(k, slice) for k in key
    ):
        return tuple(key)
    return key


@keras_op
def get_item(x, key):
    """``x[key]`` (basic and advanced indexing)."""
    return to_tensor(x)[_index_key(key)]
