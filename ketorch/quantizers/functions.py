"""Quantization arithmetic: abs-max int8/int4, grouped int4, int4 packing, float8 scaling.

Every function takes tensors or arrays and returns torch tensors (as Keras on torch does).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import backend
from ..layers.node import KerasTensor

_EPSILON = 1e-7  # Keras's backend.epsilon()
_FLOAT8 = {"float8_e4m3fn": torch.float8_e4m3fn, "float8_e5m2": torch.float8_e5m2}


def _tensor(x, dtype=None) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(np.asarray(x))
    return x if dtype is None else x.to(dtype)


def _tdtype(name) -> torch.dtype:
    if isinstance(name, torch.dtype):
        return name
    if name in _FLOAT8:
        return _FLOAT8[name]
    return backend.torch_dtype(backend.standardize_dtype(name))


def _axes(axis, ndim):
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axis)


def abs_max_quantize(
    inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=_EPSILON, to_numpy=False
):
    """Symmetric quantization: ``round(x * scale)`` with ``scale = max / (max|x| + eps)``.

    Args:
        inputs: Tensor or array to quantize.
        axis: Axis (or axes) reduced to find ``max|x|``; the scale keeps them as size 1.
        value_range: ``(low, high)`` integer range of the result.
        dtype: Dtype of the quantized result.
        epsilon: Added to ``max|x|`` so that all-zero slices divide safely.
        to_numpy: Compute on the host (saves device memory; same values).

    Returns:
        ``(quantized, scale)``; divide ``quantized`` by ``scale`` to get ``inputs`` back.

    Example:
        >>> import torch
        >>> from ketorch.quantizers import abs_max_quantize
        >>> q, scale = abs_max_quantize(torch.tensor([[1.0, -2.0, 0.5]]), axis=-1)
        >>> q.tolist(), scale.shape
        ([[64, -127, 32]], torch.Size([1, 1]))
    """
    x = _tensor(inputs)
    if to_numpy:
        x = x.detach().cpu()
    reduce = _axes(axis, x.dim())
    amax = x.abs().amax(dim=reduce, keepdim=True) if x.dim() else x.abs()
    # A tensor numerator: torch computes `scalar / tensor` as a reciprocal product, which
    # can differ from Keras's division in the last bit.
    high = torch.tensor(value_range[1], dtype=amax.dtype, device=amax.device)
    scale = (high / (amax + epsilon)).to(x.dtype)
    q = torch.clamp(torch.round(x * scale), value_range[0], value_range[1]).to(_tdtype(dtype))
    return q, scale


def abs_max_quantize_grouped_with_zero_point(
    inputs, block_size, value_range=(-8, 7), dtype="int8", epsilon=_EPSILON, to_numpy=False
):
    """Asymmetric quantization of a 2D tensor in groups of ``block_size`` rows.

    Each group of rows gets, per column, a scale ``(max - min + eps) / (high - low)``
    and a zero point ``clip(round(-min / scale) + low)``; values become
    ``clip(round(x / scale) + zero)``.

    Args:
        inputs: 2D tensor ``(input_dim, output_dim)``.
        block_size: Rows per group (the last group is zero-padded).
        value_range: ``(low, high)`` integer range.
        dtype: Dtype of the quantized values.
        epsilon: Keeps constant groups from dividing by zero.
        to_numpy: Compute on the host (same values).

    Returns:
        ``(quantized, scale, zero_point)``; ``scale`` and ``zero_point`` (int8) have
        shape ``(ceil(input_dim / block_size), output_dim)``.

    Example:
        >>> import torch
        >>> from ketorch.quantizers import abs_max_quantize_grouped_with_zero_point
        >>> q, scale, zero = abs_max_quantize_grouped_with_zero_point(
        ...     torch.randn(10, 3), block_size=4)
        >>> q.shape, scale.shape, zero.dtype
        (torch.Size([10, 3]), torch.Size([3, 3]), torch.int8)
    """
    x = _tensor(inputs)
    if to_numpy:
        x = x.detach().cpu()
    rows, cols = x.shape
    groups = math.ceil(rows / block_size)
    low, high = value_range
    padded = torch.zeros(groups * block_size, cols, dtype=x.dtype, device=x.device)
    padded[:rows] = x
    blocks = padded.reshape(groups, block_size, cols)
    lo = blocks.amin(dim=1, keepdim=True)
    hi = blocks.amax(dim=1, keepdim=True)
    levels = torch.tensor(high - low, dtype=x.dtype, device=x.device)
    scale = (hi - lo + epsilon) / levels
    zero = torch.clamp(torch.round(-lo / scale) + low, low, high)
    q = torch.clamp(torch.round(blocks / scale) + zero, low, high).to(_tdtype(dtype))
    q = q.reshape(groups * block_size, cols)[:rows]
    return q, scale.squeeze(1), zero.squeeze(1).to(torch.int8)


def dequantize_with_sz_map(weights, scale, zero, g_idx, group_axis=-1):
    """``(weights - zero[g]) * scale[g]`` with the group ``g`` of each position from ``g_idx``."""
    groups = _tensor(g_idx).long()
    scale = _tensor(scale)
    scales = torch.index_select(scale, group_axis % scale.dim(), groups)
    zero = _tensor(zero)
    zeros = torch.index_select(zero, group_axis % zero.dim(), groups).to(scales.dtype)
    return (_tensor(weights) - zeros) * scales


class _FakeQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, min_val, max_val, num_bits, narrow_range, axis):
        work = torch.promote_types(min_val.dtype, torch.float32)
        lo_r, hi_r = min_val.to(work), max_val.to(work)
        qmax = (1 << num_bits) - 1
        qmin = 1 if narrow_range else 0
        scale = (hi_r - lo_r) / (qmax - qmin)
        inv_scale = (qmax - qmin) / (hi_r - lo_r)
        zero = torch.round(torch.clamp(qmin - lo_r / scale, qmin, qmax))
        lo = (qmin - zero) * scale
        hi = (qmax - zero) * scale
        zero_q = torch.floor(-lo * inv_scale + 0.5)
        clamped = torch.minimum(torch.maximum(x.to(work), lo), hi)
        out = torch.floor((clamped - lo) * inv_scale - zero_q + 0.5) * scale
        ctx.save_for_backward(x, lo, hi)
        ctx.axis = axis
        ctx.shapes = (min_val.shape, max_val.shape)
        return out.to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, lo, hi = ctx.saved_tensors
        zero = torch.zeros((), dtype=grad.dtype, device=grad.device)
        dx = torch.where((x >= lo) & (x <= hi), grad, zero)
        g_min = torch.where(x <= lo, grad, zero)
        g_max = torch.where(x >= hi, grad, zero)
        if ctx.axis is None:
            g_min, g_max = g_min.sum(), g_max.sum()
        else:
            others = [i for i in range(grad.dim()) if i != ctx.axis]
            g_min, g_max = g_min.sum(dim=others), g_max.sum(dim=others)
        min_shape, max_shape = ctx.shapes
        return dx, g_min.reshape(min_shape), g_max.reshape(max_shape), None, None, None


def fake_quant_with_min_max_vars(
    inputs, min_vals, max_vals, num_bits=8, narrow_range=False, axis=None
):
    """Quantize to ``num_bits`` levels within ``[min_vals, max_vals]`` and back to float.

    The range is nudged so that zero is exactly representable. Gradients pass
    through inside the range, and flow to ``min_vals``/``max_vals`` for clipped inputs.

    Args:
        inputs: Float tensor.
        min_vals: Scalar, or per-channel tensor (with ``axis``), lower bound.
        max_vals: Upper bound, shaped as ``min_vals``.
        num_bits: Bit width (``8``: 256 levels).
        narrow_range: Use levels ``[1, 2**num_bits - 1]`` instead of ``[0, ...]``.
        axis: Channel axis of per-channel bounds; ``None`` for per-tensor.

    Returns:
        A tensor like ``inputs`` holding the fake-quantized values.

    Example:
        >>> import torch
        >>> from ketorch.quantizers import fake_quant_with_min_max_vars
        >>> out = fake_quant_with_min_max_vars(torch.tensor([-0.3, 0.26, 2.0]), -1.0, 1.0)
        >>> [round(v, 4) for v in out.tolist()]
        [-0.298, 0.2588, 0.9961]
    """

    if isinstance(inputs, KerasTensor):
        return KerasTensor(inputs.shape, dtype=inputs.dtype)
    x = _tensor(inputs)
    min_vals = _tensor(min_vals).to(x.device)
    max_vals = _tensor(max_vals).to(x.device)
    if axis is not None:
        axis = axis % x.dim()
    return _FakeQuant.apply(x, min_vals, max_vals, int(num_bits), bool(narrow_range), axis)


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The next float8 scale: ``amax / dtype_max * 2**margin``, kept when ``amax`` is 0 or inf.

    Example:
        >>> import torch
        >>> from ketorch.quantizers import compute_float8_scale
        >>> compute_float8_scale(torch.tensor(4.0), torch.tensor(1.0), 448.0).item()
        0.008928571827709675
    """
    amax, scale = _tensor(amax), _tensor(scale)
    previous = torch.reciprocal(scale)
    factor = torch.as_tensor(dtype_max, dtype=amax.dtype, device=amax.device) / amax / 2**margin
    factor = torch.where(amax > 0.0, factor, previous)
    factor = torch.where(torch.isfinite(amax), factor, previous)
    return torch.reciprocal(factor)


def compute_float8_amax_history(x, amax_history):
    """Roll ``amax_history`` left by one and put ``max|x|`` first.

    Example:
        >>> import torch
        >>> from ketorch.quantizers import compute_float8_amax_history
        >>> compute_float8_amax_history(torch.tensor([-3.0, 2.0]), torch.tensor([1.0, 2.0, 5.0]))
        tensor([3., 5., 1.])
    """
    x, history = _tensor(x), _tensor(amax_history)
    new = torch.roll(history, shifts=-1, dims=0).clone()
    new[0] = x.abs().max().to(history.dtype)
    return new


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """Round ``inputs / scale`` to ``quantized_dtype`` (e.g. float8) and scale back.

    Example:
        >>> import torch
        >>> from ketorch.quantizers import quantize_and_dequantize
        >>> quantize_and_dequantize(torch.tensor([0.3, 1000.0]), torch.tensor(1.0),
        ...                         "float8_e4m3fn", "float32").tolist()
        [0.3125, 448.0]
    """
    x = _tensor(inputs)
    cdtype = _tdtype(compute_dtype)
    qdtype = _tdtype(quantized_dtype)
    qmax = float(torch.finfo(qdtype).max)
    s = _tensor(scale).to(cdtype)
    q = torch.clamp(x / s, -qmax, qmax).to(qdtype)
    return q.to(cdtype) * s


def pack_int4(arr, axis=0, dtype="int8"):
    """Pack int4 values (int8 in ``[-8, 7]``) two per byte along ``axis``.

    Element ``2i`` goes in the low nibble and ``2i + 1`` in the high nibble of byte
    ``i``; an odd length is padded with one zero.

    Args:
        arr: int8 (or uint8, with ``dtype="uint8"``) tensor.
        axis: Axis to pack.
        dtype: ``"int8"`` or ``"uint8"``.

    Returns:
        ``(packed, packed_shape, original_length)``.

    Raises:
        ValueError: If ``dtype`` is neither int8 nor uint8.
        TypeError: If ``arr`` is not of ``dtype``.

    Example:
        >>> import numpy as np
        >>> from ketorch.quantizers import pack_int4, unpack_int4
        >>> packed, shape, n = pack_int4(np.array([[-3, 7], [2, -8], [1, 0]], "int8"))
        >>> packed.tolist(), shape, n
        ([[45, -121], [1, 0]], (2, 2), 3)
        >>> unpack_int4(packed, n).tolist()
        [[-3, 7], [2, -8], [1, 0]]
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    t = _tensor(arr)
    got = backend.standardize_dtype(t.dtype)
    if got != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {got}.")
    device = t.device
    a = np.moveaxis(t.detach().cpu().numpy(), axis, 0)
    n = a.shape[0]
    if n % 2:
        a = np.concatenate([a, np.zeros((1,) + a.shape[1:], a.dtype)], axis=0)
    u = a.astype(np.uint8) & 0x0F
    packed = (u[0::2] | (u[1::2] << 4)).astype(np.uint8).view(np.dtype(dtype))
    packed = np.ascontiguousarray(np.moveaxis(packed, 0, axis))
    return torch.from_numpy(packed).to(device), tuple(packed.shape), n


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """Undo :func:`pack_int4`: two int4 values per byte back to one per element.

    Args:
        packed: int8/uint8 tensor from :func:`pack_int4`.
        orig_len: Length of ``axis`` before packing (drops the padding).
        axis: The packed axis.
        dtype: ``"int8"`` (signed values in ``[-8, 7]``) or ``"uint8"`` (``[0, 15]``).

    Returns:
        The unpacked tensor, of ``dtype``.

    Raises:
        ValueError: If ``dtype`` is neither int8 nor uint8.
        TypeError: If ``packed`` is not an int8/uint8 tensor.

    Example:
        >>> import numpy as np
        >>> from ketorch.quantizers import unpack_int4
        >>> unpack_int4(np.array([[125, 2], [24, 0]], "int8"), 3, axis=1).tolist()
        [[-3, 7, 2], [-8, 1, 0]]
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    p = _tensor(packed)
    if p.dtype not in (torch.int8, torch.uint8):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {p.dtype}")
    axis = axis % p.dim()
    moved = torch.movedim(p, axis, 0)
    as_int = moved.to(torch.int16) & 0xFF
    low, high = as_int & 0x0F, (as_int >> 4) & 0x0F
    if dtype == "int8":
        low, high = (low ^ 8) - 8, (high ^ 8) - 8
    out = torch.stack([low, high], dim=1).reshape((-1,) + tuple(moved.shape[1:]))[:orig_len]
    return torch.movedim(out.to(_tdtype(dtype)), 0, axis)
