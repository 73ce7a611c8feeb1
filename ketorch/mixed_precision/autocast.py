"""Run a layer's forward pass under its dtype policy with :func:`torch.autocast`.

A layer whose policy is ``mixed_*`` enters ``torch.autocast`` in its compute
dtype (unless the enclosing call already did): matrix products and
convolutions then run in float16/bfloat16 while the weights stay float32. A
layer with a plain float policy (``dtype="float32"``, as Keras's mixed
precision guide recommends for the final softmax) called inside a mixed one
leaves autocast, and its floating inputs are cast to its dtype.

``STATE.depth`` counts the mixed calls in progress in the calling thread (it lives in the
thread's call context), so float32 layers outside any mixed model pay nothing, and a mixed
model running in another thread changes nothing here.
"""

from __future__ import annotations

import torch
from torch import nn

from ..backend._core import call_context

__all__ = ["call_with_policy", "is_half", "STATE", "to_float32"]

_TORCH_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}
_HALF = (torch.float16, torch.bfloat16)


class _State:
    """``STATE.depth``: the calling thread's count of mixed-precision calls in progress."""

    __slots__ = ()

    @property
    def depth(self) -> int:
        return call_context().autocast_depth

    @depth.setter
    def depth(self, value: int) -> None:
        call_context().autocast_depth = value


STATE = _State()


def _device_type(layer, args, kwargs):
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.Tensor):
            return value.device.type
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], torch.Tensor):
            return value[0].device.type
    for p in layer.parameters():
        return p.device.type
    return "cpu"


def _cast_floats(value, dtype):
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() and value.dtype != dtype:
            return value.to(dtype)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_floats(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast_floats(v, dtype) for k, v in value.items()}
    return value


def call_with_policy(layer, args, kwargs):
    """Call ``nn.Module.__call__`` on ``layer`` under its dtype policy."""
    name = layer._dtype
    device_type = _device_type(layer, args, kwargs)
    if device_type not in ("cuda", "cpu", "xpu", "mps", "hpu"):
        return nn.Module.__call__(layer, *args, **kwargs)
    compute = _TORCH_DTYPES.get(name[6:]) if name.startswith("mixed_") else None
    if compute is not None:
        if torch.is_autocast_enabled(device_type) and (
            torch.get_autocast_dtype(device_type) == compute
        ):
            return nn.Module.__call__(layer, *args, **kwargs)
        ctx = call_context()
        ctx.autocast_depth += 1
        try:
            with torch.autocast(device_type, dtype=compute):
                return nn.Module.__call__(layer, *args, **kwargs)
        finally:
            ctx.autocast_depth -= 1
    # A full-precision layer fed half-precision tensors or called inside a mixed layer:
    # cast its floating inputs up (as Keras layers cast inputs to their compute dtype) and
    # leave autocast.
    dtype = getattr(torch, name) if name in ("float32", "float64") else None
    if dtype is not None:
        args = _cast_floats(args, dtype)
        kwargs = _cast_floats(kwargs, dtype)
    if not torch.is_autocast_enabled(device_type):
        return nn.Module.__call__(layer, *args, **kwargs)
    ctx = call_context()
    saved, ctx.autocast_depth = ctx.autocast_depth, 0
    try:
        with torch.autocast(device_type, enabled=False):
            return nn.Module.__call__(layer, *args, **kwargs)
    finally:
        ctx.autocast_depth = saved


def is_half(x) -> bool:
    """Whether ``x`` is a float16/bfloat16 tensor (a float32 layer then casts it up)."""
    return isinstance(x, torch.Tensor) and x.dtype in _HALF


def to_float32(outputs):
    """Cast float16/bfloat16 tensors in a flat list to float32 (others unchanged)."""
    return [
        o.float()
        if isinstance(o, torch.Tensor) and o.dtype in (torch.float16, torch.bfloat16)
        else o
        for o in outputs
    ]
