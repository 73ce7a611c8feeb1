"""``keras.ops.math``: segment reductions, top-k, FFTs and STFTs, special functions.

Keras's FFT ops work on ``(real, imag)`` pairs of float tensors rather than complex tensors;
the ops here take and return such pairs too.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..layers.node import KerasTensor
from ._common import canonical_axis, dtype_of, float_result, promote, to_tensor
from .operation import describe, keras_op

__all__ = [
    "cdist",
    "erf",
    "erfc",
    "erfinv",
    "extract_sequences",
    "fft",
    "fft2",
    "ifft2",
    "in_top_k",
    "irfft",
    "istft",
    "logdet",
    "logsumexp",
    "rfft",
    "rsqrt",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "stft",
    "top_k",
    "view_as_complex",
    "view_as_real",
]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


# ----------------------------------------------------------------------------- segments
def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _check_segments(data, segment_ids, op):
    if len(_shape(segment_ids)) != 1:
        raise ValueError(
            f"ops.{op}: `segment_ids` must be a 1-D tensor (one id per row of `data`). "
            f"Received: segment_ids with shape {_shape(segment_ids)}"
        )
    if len(_shape(data)) < 1:
        raise ValueError(f"ops.{op}: `data` must have rank >= 1. Received: data={describe(data)}")
    n, m = _shape(data)[0], _shape(segment_ids)[0]
    if n is not None and m is not None and n != m:
        raise ValueError(
            f"ops.{op}: `segment_ids` and `data` must have the same leading dimension. "
            f"Received: segment_ids with shape {_shape(segment_ids)}, "
            f"data with shape {_shape(data)}"
        )


def _segment_spec(op):
    def spec(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
        _check_segments(data, segment_ids, op)
        return KerasTensor((num_segments,) + _shape(data)[1:], dtype_of(data))

    return spec


def _segment_reduce(data, segment_ids, num_segments, reduce, op):
    data = to_tensor(data)
    ids = to_tensor(segment_ids)
    _check_segments(data, ids, op)
    if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
        raise TypeError(
            f"ops.{op}: `segment_ids` must be an integer tensor. Received: {describe(ids)}"
        )
    if ids.device != data.device:
        ids = ids.to(data.device)
    if num_segments is None:
        # Data-dependent: the number of segments is the largest id + 1.
        num_segments = int(ids.max()) + 1 if ids.numel() else 0
    n = int(num_segments)
    ids = ids.long()
    # Ids outside [0, n) go to an extra last row, dropped at the end.
    ids = torch.where((ids >= 0) & (ids < n), ids, n)
    work = data
    if data.dtype in _LOW_PRECISION or data.dtype == torch.bool:
        work = data.float()
    shape = (n + 1,) + tuple(work.shape[1:])
    if reduce == "sum":
        out = torch.zeros(shape, dtype=work.dtype, device=work.device).index_add(0, ids, work)
    else:
        if reduce == "prod":
            init = 1
        elif work.is_floating_point():
            init = float("-inf") if reduce == "amax" else float("inf")
        else:
            info = torch.iinfo(work.dtype)
            init = info.min if reduce == "amax" else info.max
        base = torch.full(shape, init, dtype=work.dtype, device=work.device)
        index = ids.view((-1,) + (1,) * (work.ndim - 1)).expand(work.shape)
        out = base.scatter_reduce(0, index, work, reduce, include_self=True)
    out = out[:-1]
    return out if out.dtype == data.dtype else out.to(data.dtype)


@keras_op(spec=_segment_spec("segment_sum"))
def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Sum the rows of ``data`` that share a segment id.

    Args:
        data: Tensor whose first axis is segmented.
        segment_ids: 1-D integer tensor, one id per row of ``data``; ids outside
            ``[0, num_segments)`` are dropped.
        num_segments: Number of output rows; ``None`` uses ``max(segment_ids) + 1`` (this needs
            the ids' values, so pass it explicitly inside compiled or symbolic code).
        sorted: Whether the ids are sorted (accepted for compatibility; not needed).

    Returns:
        A tensor of shape ``(num_segments,) + data.shape[1:]`` and ``data``'s dtype.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.segment_sum(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0, 0, 1]), 2)
    tensor([3., 3.])
    """
    return _segment_reduce(data, segment_ids, num_segments, "sum", "segment_sum")


@keras_op(spec=_segment_spec("segment_max"))
def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Maximum of the rows of ``data`` sharing a segment id (``-inf``/int min when empty).

    See :func:`segment_sum` for the arguments.
    """
    return _segment_reduce(data, segment_ids, num_segments, "amax", "segment_max")


@keras_op(spec=_segment_spec("segment_min"))
def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Minimum of the rows of ``data`` sharing a segment id (``inf``/int max when empty).

    See :func:`segment_sum` for the arguments.
    """
    return _segment_reduce(data, segment_ids, num_segments, "amin", "segment_min")


@keras_op(spec=_segment_spec("segment_prod"))
def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Product of the rows of ``data`` sharing a segment id (1 when empty).

    See :func:`segment_sum` for the arguments.
    """
    return _segment_reduce(data, segment_ids, num_segments, "prod", "segment_prod")


# ----------------------------------------------------------------------------- top-k
@keras_op
def top_k(x, k, sorted=True):  # noqa: A002
    """The ``k`` largest entries along the last axis and their indices.

    Args:
        x: Input tensor.
        k: How many entries to keep.
        sorted: Return them in descending order.

    Returns:
        ``(values, indices)``; ``indices`` are int32.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.top_k(torch.tensor([5, 2, 7, 1]), 2)
    (tensor([7, 5]), tensor([2, 0], dtype=torch.int32))
    """
    x = to_tensor(x)
    values, indices = torch.topk(x, k, dim=-1, sorted=sorted)
    return values, indices.to(torch.int32)


def _in_top_k_spec(targets, predictions, k):
    return KerasTensor(_shape(targets), "bool")


@keras_op(spec=_in_top_k_spec)
def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest predictions (ties count as in).

    Args:
        targets: Integer class ids, shape ``(batch,)``.
        predictions: Scores, shape ``(batch, classes)``.
        k: How many top predictions to consider.

    Returns:
        A bool tensor of ``targets``' shape.
    """
    targets = to_tensor(targets)
    predictions = to_tensor(predictions)
    if targets.device != predictions.device:
        targets = targets.to(predictions.device)
    picked = predictions.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    kth = torch.topk(predictions, k, dim=-1).values[..., -1]
    return picked >= kth


# ----------------------------------------------------------------------------- reductions
@keras_op
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis`` (all axes when ``None``), computed stably."""
    x = float_result(to_tensor(x))
    axis = canonical_axis(axis, x.ndim, "logsumexp")
    if axis is None:
        dims = tuple(range(x.ndim))
    else:
        dims = axis if isinstance(axis, tuple) else (axis,)
    return torch.logsumexp(x, dim=dims, keepdim=keepdims)


@keras_op
def cdist(x, y):
    """Euclidean distances between the rows of ``x`` ``(..., m, d)`` and ``y`` ``(..., n, d)``.

    Batch axes broadcast; the result has shape ``(..., m, n)``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.cdist(torch.zeros(1, 2), torch.tensor([[3.0, 4.0]]))
    tensor([[5.]])
    """
    x, y = promote(x, y)
    x, y = float_result(x), float_result(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(
            f"ops.cdist: inputs must have rank >= 2. Received: x={describe(x)}, y={describe(y)}"
        )
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "ops.cdist: the last dimension of `x` and `y` must match. "
            f"Received: x={describe(x)}, y={describe(y)}"
        )
    dtype = x.dtype
    if dtype in _LOW_PRECISION and x.device.type == "cpu":
        x, y = x.float(), y.float()
    # The direct (non-matmul) kernel keeps small distances exact, as the formula does.
    out = torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")
    return out if out.dtype == dtype else out.to(dtype)


@keras_op
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along the last axis.

    Returns:
        A tensor of shape ``x.shape[:-1] + (num_frames, sequence_length)``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.extract_sequences(torch.arange(6), 3, 2)
    tensor([[0, 1, 2],
            [2, 3, 4]])
    """
    x = to_tensor(x)
    if x.ndim < 1:
        raise ValueError(f"ops.extract_sequences: `x` must have rank >= 1. Received: {describe(x)}")
    for name, value in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(
                f"ops.extract_sequences: `{name}` must be a positive integer. "
                f"Received: {name}={value!r}"
            )
    if sequence_length > x.shape[-1]:
        raise ValueError(
            "ops.extract_sequences: `sequence_length` is larger than the last axis of `x`. "
            f"Received: sequence_length={sequence_length}, x={describe(x)}"
        )
    return x.unfold(-1, sequence_length, sequence_stride)


# ----------------------------------------------------------------------------- FFT
def _complex_pair(x, op):
    """A complex tensor from a ``(real, imag)`` pair of float tensors."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"ops.{op}: `x` must be a tuple of two tensors (real and imaginary parts). "
            f"Received: x={describe(x)}"
        )
    real, imag = to_tensor(x[0]), to_tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            f"ops.{op}: the real and imaginary parts must have the same shape. "
            f"Received: x[0]={describe(real)}, x[1]={describe(imag)}"
        )
    if not real.is_floating_point() or not imag.is_floating_point():
        raise ValueError(
            f"ops.{op}: the real and imaginary parts must be float tensors. "
            f"Received: x[0]={describe(real)}, x[1]={describe(imag)}"
        )
    real, imag = promote(real, imag)
    return torch.complex(real, imag)


def _check_rank(c, rank, op):
    if c.ndim < rank:
        raise ValueError(
            f"ops.{op}: the input must have rank >= {rank}. Received: shape {tuple(c.shape)}"
        )


@keras_op
def fft(x):
    """FFT along the last axis of a ``(real, imag)`` pair; returns a ``(real, imag)`` pair.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.fft((torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0])))
    (tensor([ 3., -1.]), tensor([ 1., -1.]))
    """
    c = _complex_pair(x, "fft")
    _check_rank(c, 1, "fft")
    out = torch.fft.fft(c)
    return out.real, out.imag


@keras_op
def fft2(x):
    """2-D FFT over the last two axes of a ``(real, imag)`` pair; returns a pair."""
    c = _complex_pair(x, "fft2")
    _check_rank(c, 2, "fft2")
    out = torch.fft.fft2(c)
    return out.real, out.imag


@keras_op
def ifft2(x):
    """Inverse 2-D FFT over the last two axes of a ``(real, imag)`` pair; returns a pair."""
    c = _complex_pair(x, "ifft2")
    _check_rank(c, 2, "ifft2")
    out = torch.fft.ifft2(c)
    return out.real, out.imag


@keras_op
def rfft(x, fft_length=None):
    """FFT of a real signal along the last axis: the ``fft_length // 2 + 1`` unique bins.

    Args:
        x: Real input tensor.
        fft_length: FFT size (crops or zero-pads the last axis); defaults to its length.

    Returns:
        A ``(real, imag)`` pair.
    """
    x = float_result(to_tensor(x))
    _check_rank(x, 1, "rfft")
    out = torch.fft.rfft(x, n=fft_length, dim=-1)
    return out.real, out.imag


@keras_op
def irfft(x, fft_length=None):
    """Inverse of :func:`rfft`: a real signal from a ``(real, imag)`` pair of unique bins.

    Args:
        x: ``(real, imag)`` pair.
        fft_length: Output length; defaults to ``2 * (bins - 1)`` (pass it for odd lengths).
    """
    c = _complex_pair(x, "irfft")
    _check_rank(c, 1, "irfft")
    return torch.fft.irfft(c, n=fft_length, dim=-1)


# ----------------------------------------------------------------------------- STFT
def _check_stride(sequence_stride, op):
    if isinstance(sequence_stride, bool) or not isinstance(sequence_stride, int):
        ok = False
    else:
        ok = sequence_stride > 0
    if not ok:
        raise ValueError(
            f"ops.{op}: `sequence_stride` must be a positive integer. "
            f"Received: sequence_stride={sequence_stride!r}"
        )


def _window(window, length, dtype, device, op):
    """The analysis window as a tensor of ``length`` samples (``None`` stays ``None``)."""
    if window is None:
        return None
    if isinstance(window, str):
        if window == "hann":
            return torch.hann_window(length, periodic=True, dtype=dtype, device=device)
        if window == "hamming":
            return torch.hamming_window(length, periodic=True, dtype=dtype, device=device)
        raise ValueError(
            f'ops.{op}: `window` must be "hann", "hamming", a tensor or None. '
            f"Received: window={window!r}"
        )
    win = to_tensor(window, dtype)
    if win.device != device:
        win = win.to(device)
    if win.ndim != 1 or win.shape[0] != length:
        raise ValueError(
            f"ops.{op}: `window` must have shape (sequence_length,) = ({length},). "
            f"Received: window={describe(win)}"
        )
    return win


def _stft_spec(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    _check_stride(sequence_stride, "stft")
    shape = _shape(x)
    if not shape:
        raise ValueError(f"ops.stft: `x` must have rank >= 1. Received: x={describe(x)}")
    frames = None
    if shape[-1] is not None:
        padded = shape[-1] + (fft_length // 2) * 2 if center else shape[-1]
        frames = 1 + (padded - fft_length) // sequence_stride
    out = KerasTensor(shape[:-1] + (frames, fft_length // 2 + 1), dtype_of(x))
    return out, KerasTensor(out.shape, out.dtype)


@keras_op(spec=_stft_spec)
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis.

    Args:
        x: Float32/float64 signal, shape ``(..., samples)``.
        sequence_length: Window length.
        sequence_stride: Hop between frames.
        fft_length: FFT size (``>= sequence_length``; the window is centred in it).
        window: ``"hann"``, ``"hamming"``, a tensor of ``sequence_length`` values or ``None``
            (rectangular).
        center: Reflect-pad ``fft_length // 2`` samples on both sides so frame ``t`` is
            centred at ``t * sequence_stride``.

    Returns:
        A ``(real, imag)`` pair of shape ``(..., frames, fft_length // 2 + 1)``.
    """
    _check_stride(sequence_stride, "stft")
    x = to_tensor(x)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"ops.stft: `x` must be float32 or float64. Received: x={describe(x)}")
    if x.ndim < 1:
        raise ValueError(f"ops.stft: `x` must have rank >= 1. Received: x={describe(x)}")
    if fft_length < sequence_length:
        raise ValueError(
            "ops.stft: `fft_length` must be >= `sequence_length`. "
            f"Received: sequence_length={sequence_length}, fft_length={fft_length}"
        )
    win = _window(window, sequence_length, x.dtype, x.device, "stft")
    if win is None:
        win = torch.ones(sequence_length, dtype=x.dtype, device=x.device)
    batch = x.shape[:-1]
    out = torch.stft(
        x.reshape(-1, x.shape[-1]),
        n_fft=fft_length,
        hop_length=sequence_stride,
        win_length=sequence_length,
        window=win,
        center=center,
        return_complex=True,
    )
    out = out.reshape(batch + out.shape[-2:]).transpose(-1, -2)
    return out.real, out.imag


def _overlap_add(frames, stride, total):
    """Sum frames ``(batch, n, size)`` placed every ``stride`` samples: ``(batch, total)``."""
    size = frames.shape[-1]
    out = F.fold(
        frames.transpose(1, 2), output_size=(1, total), kernel_size=(1, size), stride=(1, stride)
    )
    return out.reshape(frames.shape[0], total)


@keras_op
def istft(
    x,
    sequence_length,
    sequence_stride,
    fft_length,
    length=None,
    window="hann",
    center=True,
):
    """Inverse of :func:`stft`: a signal from a ``(real, imag)`` pair ``(..., frames, bins)``.

    With the default window and ``sequence_length == fft_length`` the frames are normalised
    by the overlapped squared window (as ``torch.istft``); otherwise by its periodic sum (as
    TensorFlow's inverse-STFT window). Use the same arguments as for :func:`stft`.

    Args:
        x: ``(real, imag)`` pair.
        sequence_length, sequence_stride, fft_length, window, center: As for :func:`stft`.
        length: Output length (trims, or zero-pads in the first normalisation mode).

    Returns:
        A real tensor of shape ``(..., samples)``.
    """
    _check_stride(sequence_stride, "istft")
    spec = _complex_pair(x, "istft")
    _check_rank(spec, 2, "istft")
    if fft_length < sequence_length:
        raise ValueError(
            "ops.istft: `fft_length` must be >= `sequence_length`. "
            f"Received: sequence_length={sequence_length}, fft_length={fft_length}"
        )
    if sequence_stride > fft_length:
        raise ValueError(
            "ops.istft: `sequence_stride` must be <= `fft_length` (frames must overlap or "
            f"touch). Received: sequence_stride={sequence_stride}, fft_length={fft_length}"
        )
    dtype = spec.real.dtype
    win = _window(window, sequence_length, dtype, spec.device, "istft")
    frames = torch.fft.irfft(spec, n=fft_length, dim=-1)
    batch, n_frames = frames.shape[:-2], frames.shape[-2]
    total = fft_length + sequence_stride * (n_frames - 1)
    envelope_mode = win is not None and center and sequence_length == fft_length
    if win is not None:
        left = (fft_length - sequence_length) // 2
        win = F.pad(win, (left, fft_length - sequence_length - left))
        if not envelope_mode:
            overlaps = -(-fft_length // sequence_stride)
            square = F.pad(win * win, (0, overlaps * sequence_stride - fft_length))
            denom = square.reshape(overlaps, sequence_stride).sum(0).repeat(overlaps)
            win = win / denom[:fft_length]
        frames = frames * win
    y = _overlap_add(frames.reshape(-1, n_frames, fft_length), sequence_stride, total)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    y = y[:, start:end]
    if envelope_mode:
        square = (win * win).expand(1, n_frames, fft_length)
        envelope = _overlap_add(square, sequence_stride, total)[0, start:end]
        y = y / envelope
        if end > total:
            y = F.pad(y, (0, end - total))
    return y.reshape(batch + y.shape[-1:])


# ----------------------------------------------------------------------------- elementwise
@keras_op
def rsqrt(x):
    """``1 / sqrt(x)`` elementwise (integers become floatx)."""
    return torch.rsqrt(float_result(to_tensor(x)))


@keras_op
def erf(x):
    """The error function, elementwise (integers become floatx)."""
    return torch.erf(float_result(to_tensor(x)))


@keras_op
def erfc(x):
    """The complementary error function ``1 - erf(x)``, elementwise."""
    return torch.erfc(float_result(to_tensor(x)))


@keras_op
def erfinv(x):
    """The inverse error function, elementwise."""
    return torch.erfinv(float_result(to_tensor(x)))


@keras_op
def logdet(x):
    """``log(det(x))`` of (a batch of) square matrices; NaN where the determinant is negative."""
    x = float_result(to_tensor(x))
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"ops.logdet: `x` must be a (batch of) square matrices. Received: x={describe(x)}"
        )
    return torch.logdet(x)


@keras_op
def view_as_complex(x):
    """A complex64 tensor from a real tensor whose last axis (size 2) holds (real, imag)."""
    x = to_tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            "ops.view_as_complex: the last axis of `x` must have size 2 (real, imag). "
            f"Received: x={describe(x)}"
        )
    if x.dtype != torch.float32:
        x = x.to(torch.float32)
    return torch.complex(x[..., 0], x[..., 1])


@keras_op
def view_as_real(x):
    """A real tensor of shape ``x.shape + (2,)`` holding the (real, imag) parts of ``x``."""
    x = to_tensor(x)
    if x.is_complex():
        return torch.view_as_real(x.resolve_conj())
    x = float_result(x)
    return torch.stack((x, torch.zeros_like(x)), dim=-1)
