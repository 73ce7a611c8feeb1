"""``keras.ops.nn``: activations, convolution and pooling, normalization, losses, attention.

Every op is one (or a few) fused torch kernels on Keras's layouts: images are channels-last
by default (``data_format=None`` reads :func:`ketorch.config.image_data_format`), convolution
kernels are ``(*kernel_size, in_channels, out_channels)``, attention tensors are
``(batch, sequence, heads, head_dim)``. Channels-last inputs reach torch as permuted views,
which are torch's ``channels_last`` memory format, so no copy is made before the kernel.
``"same"`` padding and transposed-convolution output sizes follow Keras (TensorFlow's rules).
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F

from .. import config
from ..layers.node import KerasTensor
from . import _dtypes
from ._common import canonical_axis, float_result, floatx_dtype, promote, to_tensor
from .operation import keras_op

__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv",
    "conv_transpose",
    "ctc_decode",
    "ctc_loss",
    "depth_to_space",
    "depthwise_conv",
    "dot_product_attention",
    "elu",
    "fold",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "layer_normalization",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "multi_hot",
    "normalize",
    "one_hot",
    "polar",
    "psnr",
    "relu",
    "relu6",
    "rms_normalization",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "space_to_depth",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
    "unfold",
]

_HALF = (torch.float16, torch.bfloat16)


# ------------------------------------------------------------------------------- helpers
def _tensor(x) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else to_tensor(x)


def _floating(x) -> torch.Tensor:
    """``x`` as a tensor; integer and bool tensors become floatx."""
    if not isinstance(x, torch.Tensor):
        x = to_tensor(x)
    if not x.is_floating_point():
        x = x.to(floatx_dtype())
    return x


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    """Keras's ``result_type(x.dtype, "float32")``: half types compute in float32."""
    return _dtypes.torch_dtype(_dtypes.result_type(_dtypes.dtype_name(x), "float32"))


def _data_format(data_format, op: str) -> str:
    if data_format is None:
        return config.image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"ops.{op}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return value


def _padding_mode(padding, op: str) -> str:
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in ("valid", "same"):
        raise ValueError(
            f"ops.{op}: `padding` must be 'valid' or 'same'. Received: padding={padding!r}"
        )
    return value


def _ints(value, n: int, arg: str, op: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a length-``n`` sequence of ints ``>= minimum``, as a tuple of ``n`` ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            out = ()
    if (
        len(out) != n
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in out)
        or any(v < minimum for v in out)
    ):
        raise ValueError(
            f"ops.{op}: `{arg}` must be an integer or a tuple of {n} integers >= {minimum}. "
            f"Received: {arg}={value!r}"
        )
    return out


def _spatial_rank(x: torch.Tensor, op: str, arg: str = "inputs") -> int:
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"ops.{op}: `{arg}` must have rank 3, 4 or 5 (batch, 1 to 3 spatial axes and "
            f"channels). Received: {arg} of shape {tuple(x.shape)}"
        )
    return x.ndim - 2


def _channels_first(x: torch.Tensor, data_format: str) -> torch.Tensor:
    """A channels-first view of ``x`` (channels-last inputs become a permuted view)."""
    if data_format == "channels_last":
        return x.movedim(-1, 1)
    return x


def _restore_format(y: torch.Tensor, data_format: str) -> torch.Tensor:
    if data_format == "channels_last":
        return y.movedim(1, -1)
    return y


def _same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's "same" padding of one axis, ``(before, after)``, the odd cell after."""
    span = (kernel - 1) * dilation + 1
    total = max(0, (-(-size // stride) - 1) * stride + span - size)
    return total // 2, total - total // 2


def _conv_padding(x, kernel_size, strides, dilation):
    """``(x, padding)`` giving TensorFlow's "same" windows with a torch convolution.

    Symmetric padding is handed to torch; an asymmetric one is also, when the extra trailing
    cell is never read; otherwise ``x`` is zero-padded explicitly.
    """
    spatial = x.shape[2:]
    pads = [_same_pads(n, k, s, d) for n, k, s, d in zip(spatial, kernel_size, strides, dilation)]
    for n, k, s, d, (lo, hi) in zip(spatial, kernel_size, strides, dilation, pads):
        if lo != hi and (n + 2 * lo - (k - 1) * d - 1) // s + 1 != -(-n // s):
            flat = []
            for lo_, hi_ in reversed(pads):
                flat.extend((lo_, hi_))
            return F.pad(x, flat), 0
    return x, tuple(lo for lo, _ in pads)


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_ADAPTIVE_AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
_ADAPTIVE_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}


# --------------------------------------------------------------------------- activations
@keras_op
def relu(x):
    """Rectified linear unit, ``max(x, 0)`` (integer inputs keep their dtype).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.relu(torch.tensor([-1.0, 0.5]))
    tensor([0.0000, 0.5000])
    """
    return F.relu(_tensor(x))


@keras_op
def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``."""
    return F.relu6(_tensor(x))


@keras_op
def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``."""
    return torch.sigmoid(_floating(x))


@keras_op
def sparse_sigmoid(x):
    """Piecewise-linear sigmoid: 0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    x = _floating(x)
    return torch.where(x <= -1, 0.0, torch.where(x >= 1, 1.0, 0.5 * (x + 1))).to(x.dtype)


@keras_op
def softplus(x):
    """``log(1 + exp(x))``."""
    return F.softplus(_floating(x))


@keras_op
def softsign(x):
    """``x / (1 + |x|)``."""
    return F.softsign(_floating(x))


@keras_op
def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    return F.softshrink(_floating(x), threshold)


@keras_op
def sparse_plus(x):
    """Smooth ReLU: 0 for ``x <= -1``, ``(x + 1)**2 / 4`` on ``(-1, 1)``, ``x`` above."""
    x = _floating(x)
    return torch.where(x <= -1, 0.0, torch.where(x < 1, 0.25 * (x + 1) ** 2, x)).to(x.dtype)


@keras_op
def silu(x):
    """SiLU / swish: ``x * sigmoid(x)``."""
    return F.silu(_floating(x))


swish = silu


@keras_op
def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU."""
    x = _floating(x)
    return (x + torch.sqrt(x * x + b)) / 2


@keras_op
def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably."""
    return F.logsigmoid(_floating(x))


@keras_op
def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return F.leaky_relu(_floating(x), negative_slope)


@keras_op
def hard_sigmoid(x):
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6``."""
    return F.hardsigmoid(_floating(x))


@keras_op
def hard_silu(x):
    """Hard SiLU / hard swish: ``x * relu6(x + 3) / 6``."""
    return F.hardswish(_floating(x))


hard_swish = hard_silu


@keras_op
def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return F.elu(_floating(x), alpha)


@keras_op
def selu(x):
    """Scaled ELU with the self-normalising constants."""
    return F.selu(_floating(x))


@keras_op
def gelu(x, approximate=True):
    """Gaussian error linear unit; the tanh approximation unless ``approximate=False``."""
    return F.gelu(_floating(x), approximate="tanh" if approximate else "none")


@keras_op
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return F.celu(_floating(x), alpha)


@keras_op
def glu(x, axis=-1):
    """Gated linear unit: halves ``a, b`` of ``axis`` give ``a * sigmoid(b)``.

    Raises:
        ValueError: If the size of ``axis`` is odd.
    """
    x = _floating(x)
    axis = canonical_axis(axis, x.ndim, "glu")
    if x.shape[axis] % 2:
        raise ValueError(
            f"ops.glu: the size of `axis` must be even. Received: axis={axis} on x of shape "
            f"{tuple(x.shape)}"
        )
    return F.glu(x, axis)


@keras_op
def tanh_shrink(x):
    """``x - tanh(x)``."""
    return F.tanhshrink(_floating(x))


@keras_op
def hard_tanh(x):
    """``clip(x, -1, 1)`` (integer inputs keep their dtype)."""
    return F.hardtanh(_tensor(x), -1.0, 1.0)


@keras_op
def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return F.hardshrink(_floating(x), threshold)


@keras_op
def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return F.threshold(_tensor(x), threshold, default_value)


def _normalizer(fn, x, dim):
    # torch's half kernels on CPU are slow or missing: compute in float32, round once.
    if x.dtype in _HALF and x.device.type == "cpu":
        return fn(x, dim, dtype=torch.float32).to(x.dtype)
    return fn(x, dim)


def _softmax_like(x, axis, op, log):
    x = _floating(x)
    fn = torch.log_softmax if log else torch.softmax
    if isinstance(axis, int) and not isinstance(axis, bool):
        return _normalizer(fn, x, axis)
    if axis is None:
        return _normalizer(fn, x.reshape(-1), 0).reshape(x.shape)
    axes = canonical_axis(tuple(axis), x.ndim, op)
    if len(axes) == 1:
        return _normalizer(fn, x, axes[0])
    dtype = x.dtype
    if dtype in _HALF and x.device.type == "cpu":
        x = x.float()
    out = x - torch.logsumexp(x, dim=axes, keepdim=True)
    return (out if log else torch.exp(out)).to(dtype)


@keras_op
def softmax(x, axis=-1):
    """Softmax over ``axis`` (an int, a tuple of axes, or ``None`` for all axes).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.softmax(torch.tensor([0.0, 0.0]))
    tensor([0.5000, 0.5000])
    """
    return _softmax_like(x, axis, "softmax", log=False)


@keras_op
def log_softmax(x, axis=-1):
    """Log of the softmax over ``axis`` (an int, a tuple of axes, or ``None``)."""
    return _softmax_like(x, axis, "log_softmax", log=True)


@keras_op
def sparsemax(x, axis=-1):
    """Sparsemax (Martins & Astudillo, 2016): the Euclidean projection of ``x`` onto the
    probability simplex along ``axis``; outputs sum to 1 and are often exactly 0.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.sparsemax(torch.tensor([1.0, 0.5, -1.0]))
    tensor([0.7500, 0.2500, 0.0000])
    """
    x = _floating(x)
    axis = canonical_axis(axis, x.ndim, "sparsemax")
    z, _ = torch.sort(x, dim=axis, descending=True)
    csum = torch.cumsum(z, dim=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    ranks = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).reshape(shape)
    support = (1 + ranks * z) > csum
    k = support.sum(dim=axis, keepdim=True)
    tau = (torch.gather(csum, axis, k - 1) - 1) / k.to(x.dtype)
    return torch.clamp(x - tau, min=0)


# --------------------------------------------------------------------------- convolutions
def _conv_operands(inputs, kernel, op):
    inputs, kernel = promote(_tensor(inputs), _tensor(kernel))
    n = _spatial_rank(inputs, op)
    if kernel.ndim != n + 2:
        raise ValueError(
            f"ops.{op}: `kernel` must have rank {n + 2} for inputs of rank {n + 2}: "
            f"(*kernel_size, in_channels, out_channels). Received: inputs of shape "
            f"{tuple(inputs.shape)}, kernel of shape {tuple(kernel.shape)}"
        )
    return inputs, kernel, n


def _conv_cf(x, weight, strides, padding, dilation, groups, n):
    """Convolve channels-first ``x`` with a torch-layout ``weight``."""
    if padding == "same":
        x, pad = _conv_padding(x, weight.shape[2:], strides, dilation)
    else:
        pad = 0
    return _CONV[n](x, weight, None, strides, pad, dilation, groups)


def _kernel_to_torch(kernel, n):
    """Keras ``(*spatial, a, b)`` -> torch ``(b, a, *spatial)`` (a permuted view)."""
    return kernel.permute(n + 1, n, *range(n))


@keras_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (1D to 3D) of Keras-layout ``inputs`` with a Keras-layout ``kernel``.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels-first).
        kernel: ``(*kernel_size, in_channels // groups, filters)``; a kernel with fewer input
            channels than ``inputs`` makes a grouped convolution.
        strides, dilation_rate: An int or one int per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The convolution, in the layout of ``inputs``.
    """
    inputs, kernel, n = _conv_operands(inputs, kernel, "conv")
    data_format = _data_format(data_format, "conv")
    padding = _padding_mode(padding, "conv")
    strides = _ints(strides, n, "strides", "conv")
    dilation = _ints(dilation_rate, n, "dilation_rate", "conv")
    x = _channels_first(inputs, data_format)
    channels, k_in = x.shape[1], kernel.shape[-2]
    if k_in == 0 or channels % k_in:
        raise ValueError(
            "ops.conv: the input channels must be a multiple of the kernel's input channels "
            f"(kernel.shape[-2]). Received: inputs of shape {tuple(inputs.shape)} "
            f"({data_format}), kernel of shape {tuple(kernel.shape)}"
        )
    weight = _kernel_to_torch(kernel, n)
    y = _conv_cf(x, weight, strides, padding, dilation, channels // k_in, n)
    return _restore_format(y, data_format)


def _check_depthwise(inputs, kernel, data_format, op):
    channels = inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]
    if kernel.shape[-2] != channels:
        raise ValueError(
            f"ops.{op}: the kernel's input channels (kernel.shape[-2]) must equal the input "
            f"channels. Received: inputs of shape {tuple(inputs.shape)} ({data_format}), "
            f"kernel of shape {tuple(kernel.shape)}"
        )
    return channels


def _depthwise(inputs, kernel, strides, padding, data_format, dilation_rate, op):
    inputs, kernel, n = _conv_operands(inputs, kernel, op)
    data_format = _data_format(data_format, op)
    padding = _padding_mode(padding, op)
    strides = _ints(strides, n, "strides", op)
    dilation = _ints(dilation_rate, n, "dilation_rate", op)
    channels = _check_depthwise(inputs, kernel, data_format, op)
    # (*k, C, M) -> (C * M, 1, *k): output channel c * M + m reads input channel c.
    weight = kernel.reshape(*kernel.shape[:-2], 1, -1).permute(n + 1, n, *range(n))
    x = _channels_first(inputs, data_format)
    return _conv_cf(x, weight, strides, padding, dilation, channels, n), data_format, n


@keras_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel convolved with its own ``multiplier`` filters.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels-first).
        kernel: ``(*kernel_size, channels, multiplier)``.
        strides, padding, data_format, dilation_rate: As in :func:`conv`.

    Returns:
        ``channels * multiplier`` output channels, in the layout of ``inputs``.
    """
    y, data_format, _ = _depthwise(
        inputs, kernel, strides, padding, data_format, dilation_rate, "depthwise_conv"
    )
    return _restore_format(y, data_format)


@keras_op
def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    """Depthwise convolution followed by a pointwise (1x1) convolution.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels-first).
        depthwise_kernel: ``(*kernel_size, channels, multiplier)``.
        pointwise_kernel: ``(1, ..., 1, channels * multiplier, filters)``.
        strides, padding, data_format, dilation_rate: As in :func:`conv` (for the depthwise
            step).
    """
    y, data_format, n = _depthwise(
        inputs, depthwise_kernel, strides, padding, data_format, dilation_rate, "separable_conv"
    )
    pointwise = _tensor(pointwise_kernel).to(y.dtype)
    if pointwise.ndim != n + 2 or pointwise.shape[-2] != y.shape[1]:
        raise ValueError(
            "ops.separable_conv: `pointwise_kernel` must have shape (1, ..., 1, "
            f"{y.shape[1]}, filters). Received: pointwise_kernel of shape "
            f"{tuple(pointwise.shape)}"
        )
    y = _CONV[n](y, _kernel_to_torch(pointwise, n))
    return _restore_format(y, data_format)


def _transpose_pads(kernel, stride, dilation, padding, output_padding):
    """Keras's ``(before, after)`` padding of the stride-dilated input, for one axis."""
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, span - 1)
    return before, total - before


@keras_op
def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """Transposed convolution (the gradient of :func:`conv`), Keras's output sizes.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels-first).
        kernel: ``(*kernel_size, filters, channels)``.
        strides, dilation_rate: An int or one int per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None``, an int or one int per spatial axis: extra cells at the end
            of each spatial axis.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        ``(batch, *out_spatial, filters)`` (or channels-first), where an axis of size ``n``
        becomes ``n * stride`` for ``"same"`` and ``(n - 1) * stride + max(k, stride)`` for
        ``"valid"`` without ``output_padding``.
    """
    op = "conv_transpose"
    inputs, kernel, n = _conv_operands(inputs, kernel, op)
    data_format = _data_format(data_format, op)
    padding = _padding_mode(padding, op)
    strides = _ints(strides, n, "strides", op)
    dilation = _ints(dilation_rate, n, "dilation_rate", op)
    out_pads = (None,) * n
    if output_padding is not None:
        out_pads = _ints(output_padding, n, "output_padding", op, minimum=0)
    channels = inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]
    if kernel.shape[-1] != channels:
        raise ValueError(
            f"ops.{op}: the kernel's input channels (kernel.shape[-1]) must equal the input "
            f"channels. Received: inputs of shape {tuple(inputs.shape)} ({data_format}), "
            f"kernel of shape {tuple(kernel.shape)}"
        )
    # torch's full transposed convolution spans (n - 1) * s + span cells; Keras keeps the
    # window [span - 1 - before, full - (span - 1 - after)). torch's symmetric `padding` and
    # trailing `output_padding` realise most of it; the rest is a crop or zero pad.
    t_pad, t_out, fix = [], [], []
    for k, s, d, o in zip(kernel.shape[:n], strides, dilation, out_pads):
        before, after = _transpose_pads(k, s, d, padding, o)
        cut_lo, cut_hi = (k - 1) * d - before, (k - 1) * d - after
        p = max(cut_lo, 0)
        extra = min(max(p - cut_hi, 0), max(s, d) - 1)
        t_pad.append(p)
        t_out.append(extra)
        # cells still to remove (positive) or add as zeros (negative) at each end
        fix.append((cut_lo - p, cut_hi - p + extra))
    x = _channels_first(inputs, data_format)
    y = _CONV_T[n](x, _kernel_to_torch(kernel, n), None, strides, t_pad, t_out, 1, dilation)
    if any(lo or hi for lo, hi in fix):
        if all(lo >= 0 and hi >= 0 for lo, hi in fix):
            crop = [slice(lo, size - hi) for (lo, hi), size in zip(fix, y.shape[2:])]
            y = y[(slice(None), slice(None), *crop)]
        else:
            flat = []
            for lo, hi in reversed(fix):
                flat.extend((-lo, -hi))
            y = F.pad(y, flat)
    return _restore_format(y, data_format)


# -------------------------------------------------------------------------------- pooling
def _pool(inputs, pool_size, strides, padding, data_format, op, mode):
    x = _tensor(inputs)
    n = _spatial_rank(x, op)
    pool_size = _ints(pool_size, n, "pool_size", op)
    strides = pool_size if strides is None else _ints(strides, n, "strides", op)
    padding = _padding_mode(padding, op)
    data_format = _data_format(data_format, op)
    if mode == "avg" and not x.is_floating_point():
        x = x.to(floatx_dtype())
    x = _channels_first(x, data_format)
    pad, ceil_mode, drop = 0, False, None
    if padding == "same":
        # torch pads symmetrically and never counts padded cells (count_include_pad=False,
        # -inf for max); ceil_mode lets the last window run past the end as TensorFlow's
        # does. Where stride 1 meets an odd total, padding the larger side on both ends
        # gives one extra leading window, sliced off.
        pads, starts = [], []
        for size, k, s in zip(x.shape[2:], pool_size, strides):
            lo, hi = _same_pads(size, k, s)
            if lo == hi or s > 1:
                pads.append(lo)
                starts.append(0)
            else:
                pads.append(hi)
                starts.append(1)
        pad, ceil_mode = tuple(pads), True
        if any(starts):
            drop = (slice(None), slice(None), *(slice(st, None) for st in starts))
    if mode == "max":
        y = _MAX_POOL[n](x, pool_size, strides, pad, ceil_mode=ceil_mode)
    else:
        y = _AVG_POOL[n](x, pool_size, strides, pad, ceil_mode=ceil_mode, count_include_pad=False)
    if drop is not None:
        y = y[drop]
    return _restore_format(y, data_format)


@keras_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over 1 to 3 spatial axes.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels-first).
        pool_size: An int or one int per spatial axis.
        strides: Like ``pool_size``; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (padded cells never win).
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """
    return _pool(inputs, pool_size, strides, padding, data_format, "max_pool", "max")


@keras_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over 1 to 3 spatial axes; with ``"same"`` padding the padded cells
    are not counted (TensorFlow's rule). Arguments as in :func:`max_pool`."""
    return _pool(inputs, pool_size, strides, padding, data_format, "average_pool", "avg")


def _adaptive(inputs, output_size, data_format, op, table):
    x = _floating(inputs)
    n = _spatial_rank(x, op)
    size = _ints(output_size, n, "output_size", op)
    data_format = _data_format(data_format, op)
    y = table[n](_channels_first(x, data_format), size)
    if isinstance(y, tuple):
        y = y[0]
    return _restore_format(y, data_format)


@keras_op
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed spatial ``output_size`` (an int or one int per axis), with
    windows spread evenly over the input as torch's adaptive pooling."""
    return _adaptive(inputs, output_size, data_format, "adaptive_average_pool", _ADAPTIVE_AVG)


@keras_op
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed spatial ``output_size`` (an int or one int per axis)."""
    return _adaptive(inputs, output_size, data_format, "adaptive_max_pool", _ADAPTIVE_MAX)


# ------------------------------------------------------------------------- encodings
def _one_hot_mask(x, num_classes, axis, op):
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(
            f"ops.{op}: `num_classes` must be a positive integer. "
            f"Received: num_classes={num_classes!r}"
        )
    x = _tensor(x)
    if x.dtype != torch.int64:
        x = x.to(torch.int64)
    axis = canonical_axis(axis, x.ndim + 1, op)
    shape = [1] * (x.ndim + 1)
    shape[axis] = num_classes
    classes = torch.arange(num_classes, device=x.device).reshape(shape)
    # Negative or too large class ids give all-zero rows.
    return x.unsqueeze(axis) == classes


def _check_dense(sparse, op):
    if sparse:
        raise ValueError(
            f"ops.{op}: sparse outputs are not supported by the torch backend. "
            "Received: sparse=True"
        )


@keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encode integer class ids ``x`` along a new ``axis``.

    Ids outside ``[0, num_classes)`` give all-zero rows. The output dtype is ``dtype``
    (default floatx).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.one_hot(torch.tensor([1, -1]), 3)
    tensor([[0., 1., 0.],
            [0., 0., 0.]])
    """
    _check_dense(sparse, "one_hot")
    return _one_hot_mask(x, num_classes, axis, "one_hot").to(_dtypes.torch_dtype(dtype))


@keras_op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encode: the union of the one-hot rows of each sample.

    ``inputs`` of shape ``(batch, n)`` gives ``(batch, num_classes)``; a 1-D ``inputs`` gives
    ``(num_classes,)``. ``num_tokens`` is accepted as an alias of ``num_classes``.
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("ops.multi_hot: `num_classes` must be given. Received: num_classes=None")
    if kwargs:
        raise TypeError(f"ops.multi_hot: unexpected arguments {sorted(kwargs)}")
    _check_dense(sparse, "multi_hot")
    mask = _one_hot_mask(inputs, num_classes, axis, "multi_hot")
    return mask.any(dim=1 if mask.ndim > 2 else 0).to(_dtypes.torch_dtype(dtype))


# ------------------------------------------------------------------------------ losses
def _same_shape(target, output, op):
    if target.shape != output.shape:
        raise ValueError(
            f"ops.{op}: `target` and `output` must have the same shape. Received: "
            f"target of shape {tuple(target.shape)}, output of shape {tuple(output.shape)}"
        )


@keras_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy between ``target`` and ``output``.

    ``output`` holds probabilities (clipped to ``[epsilon, 1 - epsilon]``) or, with
    ``from_logits=True``, logits.
    """
    output = _floating(output)
    target = _tensor(target)
    if target.dtype != output.dtype:
        target = target.to(output.dtype)
    _same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    eps = config.epsilon()
    return F.binary_cross_entropy(output.clamp(eps, 1.0 - eps), target, reduction="none")


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) ``target`` and ``output`` along ``axis``.

    Probabilities are renormalised to sum to 1 and clipped to ``[epsilon, 1 - epsilon]``;
    ``from_logits=True`` takes a log-softmax instead.
    """
    output = _floating(output)
    target = _tensor(target)
    _same_shape(target, output, "categorical_crossentropy")
    if output.ndim < 1:
        raise ValueError(
            "ops.categorical_crossentropy: `target` and `output` must be at least rank 1. "
            f"Received: output of shape {tuple(output.shape)}"
        )
    axis = canonical_axis(axis, output.ndim, "categorical_crossentropy")
    if from_logits:
        log_prob = torch.log_softmax(output, dim=axis)
    else:
        eps = config.epsilon()
        probs = output / output.sum(dim=axis, keepdim=True)
        log_prob = torch.log(probs.clamp(eps, 1.0 - eps))
    return -(target * log_prob).sum(dim=axis)


@keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer class ids ``target`` and ``output`` along ``axis``.

    ``target`` has the shape of ``output`` without ``axis`` (a trailing axis of size 1 is
    also accepted).
    """
    op = "sparse_categorical_crossentropy"
    output = _floating(output)
    target = _tensor(target)
    if output.ndim < 1:
        raise ValueError(
            f"ops.{op}: `output` must be at least rank 1. Received: output of shape "
            f"{tuple(output.shape)}"
        )
    axis = canonical_axis(axis, output.ndim, op)
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = target.squeeze(axis)
    expected = output.shape[:axis] + output.shape[axis + 1 :]
    if target.shape != expected:
        raise ValueError(
            f"ops.{op}: `target` must have the shape of `output` without the class axis "
            f"({tuple(expected)}). Received: target of shape {tuple(target.shape)}, output of "
            f"shape {tuple(output.shape)}, axis={axis}"
        )
    target = target.to(torch.int64)
    squeeze = output.ndim == 1
    if squeeze:
        output, target = output.unsqueeze(0), target.unsqueeze(0)
    elif axis != 1:
        output = output.movedim(axis, 1)
    if from_logits:
        out = F.cross_entropy(output, target, reduction="none")
    else:
        eps = config.epsilon()
        probs = output / output.sum(dim=1, keepdim=True)
        out = F.nll_loss(torch.log(probs.clamp(eps, 1.0 - eps)), target, reduction="none")
    return out.squeeze(0) if squeeze else out


# ------------------------------------------------------------------------- normalization
@keras_op
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and (biased) variance of ``x`` over ``axes``.

    Half-precision inputs are reduced in float32 and the results clipped to the input's
    range. With ``synchronized=True`` and an initialised ``torch.distributed`` process group
    the statistics are averaged over all processes (equal local batch sizes assumed).

    Returns:
        ``(mean, variance)``.
    """
    x = _floating(x)
    axes = canonical_axis(axes, x.ndim, "moments", arg="axes")
    dtype = x.dtype
    if dtype in _HALF:
        x = x.float()
    if synchronized and x.device.type != "meta" and _distributed():
        mean, var = _synchronized_moments(x, axes, keepdims)
    else:
        var, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=keepdims)
    if dtype in _HALF:
        info = torch.finfo(dtype)
        mean = mean.clamp(info.min, info.max).to(dtype)
        var = var.clamp(info.min, info.max).to(dtype)
    return mean, var


def _distributed() -> bool:
    import torch.distributed as dist  # torch submodule loaded only when this path runs

    return dist.is_available() and dist.is_initialized()


def _synchronized_moments(x, axes, keepdims):
    """Moments averaged over the processes of the default group (differentiable)."""
    import torch.distributed as dist  # torch submodule loaded only when this path runs
    from torch.distributed.nn.functional import all_reduce  # loaded on first use

    mean = torch.mean(x, dim=axes, keepdim=True)
    mean_sq = torch.mean(x * x, dim=axes, keepdim=True)
    both = all_reduce(torch.stack([mean, mean_sq])) / dist.get_world_size()
    mean, var = both[0], torch.clamp(both[1] - both[0] * both[0], min=0)
    if not keepdims:
        mean, var = mean.squeeze(axes), var.squeeze(axes)
    return mean, var


@keras_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` with the 1-D statistics
    laid along ``axis`` of ``x``."""
    tensors = [_tensor(x), _tensor(mean), _tensor(variance)]
    if offset is not None:
        tensors.append(_tensor(offset))
    if scale is not None:
        tensors.append(_tensor(scale))
    tensors = list(promote(*tensors))
    x, mean, variance = tensors[:3]
    x = float_result(x)
    axis = canonical_axis(axis, x.ndim, "batch_normalization")
    size = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = size
    names = ["mean", "variance"] + (["offset"] if offset is not None else [])
    names += ["scale"] if scale is not None else []
    params = []
    for name, p in zip(names, tensors[1:]):
        if p.numel() != size:
            raise ValueError(
                f"ops.batch_normalization: `{name}` must be a vector of length "
                f"x.shape[axis] = {size}. Received: {name} of shape {tuple(p.shape)}"
            )
        params.append(p.reshape(shape).to(x.dtype))
    mean, variance = params[0], params[1]
    rest = dict(zip(names[2:], params[2:]))
    inv = torch.rsqrt(variance + epsilon)
    if "scale" in rest:
        inv = inv * rest["scale"]
    shift = -mean * inv
    if "offset" in rest:
        shift = shift + rest["offset"]
    return torch.addcmul(shift, x, inv)


def _norm_axes(axis, ndim, op):
    axes = canonical_axis(axis, ndim, op)
    axes = sorted(axes) if isinstance(axes, tuple) else [axes]
    trailing = axes == list(range(ndim - len(axes), ndim))
    return axes, trailing


def _param(p, dtype, shape, broadcast_shape, op, name):
    """A gamma/beta/scale argument in the compute dtype, shaped for the normalized axes."""
    p = _tensor(p).to(dtype)
    if shape is not None:  # trailing axes: torch wants exactly the normalized shape
        if tuple(p.shape) != shape:
            if p.numel() != math.prod(shape):
                raise ValueError(
                    f"ops.{op}: `{name}` must have the shape of the normalized axes {shape}. "
                    f"Received: {name} of shape {tuple(p.shape)}"
                )
            p = p.reshape(shape)
        return p
    if p.ndim != len(broadcast_shape):
        p = p.reshape(broadcast_shape)
    return p


@keras_op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalize ``x`` to zero mean and unit variance over ``axis``, then scale by ``gamma``
    and shift by ``beta``; half-precision inputs are computed in float32.

    Args:
        x: The input.
        gamma, beta: Optional scale and offset with the shape of the normalized axes.
        axis: An int or a sequence of ints.
        epsilon: Added to the variance (default :func:`ketorch.config.epsilon`).
    """
    op = "layer_normalization"
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"ops.{op}: unexpected arguments {sorted(kwargs)}")
    if rms_scaling:
        warnings.warn(
            "ops.layer_normalization: `rms_scaling=True` is deprecated (it scales by the "
            "variance, not the root mean square); use ops.rms_normalization instead.",
            stacklevel=2,
        )
    x = _tensor(x)
    eps = config.epsilon() if epsilon is None else epsilon
    out_dtype = x.dtype
    x = x.to(_compute_dtype(x))
    axes, trailing = _norm_axes(axis, x.ndim, op)
    norm_shape = tuple(x.shape[a] for a in axes)
    bshape = [1] * x.ndim
    for a in axes:
        bshape[a] = x.shape[a]
    fast = trailing and not rms_scaling
    shape = norm_shape if fast else None
    if gamma is not None:
        gamma = _param(gamma, x.dtype, shape, bshape, op, "gamma")
    if beta is not None:
        beta = _param(beta, x.dtype, shape, bshape, op, "beta")
    if fast:
        out = F.layer_norm(x, norm_shape, gamma, beta, eps)
    elif rms_scaling:
        out = x * torch.rsqrt(torch.var(x, dim=axes, correction=0, keepdim=True) + eps)
        if gamma is not None:
            out = out * gamma
    else:
        var, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
        inv = torch.rsqrt(var + eps)
        if gamma is not None:
            inv = inv * gamma
        out = (x - mean) * inv
        if beta is not None:
            out = out + beta
    return out.to(out_dtype)


@keras_op
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2 over axis) + epsilon) * scale``; half precision computed in
    float32.

    Args:
        x: The input.
        scale: Optional multiplier with the shape of the normalized axes.
        axis: An int or a sequence of ints.
        epsilon: Default :func:`ketorch.config.epsilon`.
    """
    op = "rms_normalization"
    x = _tensor(x)
    eps = config.epsilon() if epsilon is None else epsilon
    out_dtype = x.dtype
    x = x.to(_compute_dtype(x))
    if x.ndim == 0:
        x = x.reshape(1)
    axes, trailing = _norm_axes(axis, x.ndim, op)
    bshape = [1] * x.ndim
    for a in axes:
        bshape[a] = x.shape[a]
    norm_shape = tuple(x.shape[a] for a in axes)
    if scale is not None:
        scale = _param(scale, x.dtype, norm_shape if trailing else None, bshape, op, "scale")
    if trailing:
        out = F.rms_norm(x, norm_shape, scale, eps)
    else:
        out = x * torch.rsqrt(torch.mean(x * x, dim=axes, keepdim=True) + eps)
        if scale is not None:
            out = out * scale
    return out.to(out_dtype)


@keras_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """Divide ``x`` by its ``order``-norm over ``axis`` (norms below ``epsilon`` count as
    ``epsilon``).

    Raises:
        ValueError: If ``order`` is not an int >= 1.
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"ops.normalize: `order` must be an int >= 1. Received: order={order!r}")
    x = _floating(x)
    if x.ndim == 0:
        x = x.reshape(1)
    eps = config.epsilon() if epsilon is None else epsilon
    if axis is not None:
        axis = canonical_axis(axis, x.ndim, "normalize")
    if order == 2:
        sq = torch.sum(x * x, dim=axis, keepdim=True)
        return x * torch.clamp(torch.rsqrt(sq), max=1.0 / eps)
    norm = torch.linalg.norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(norm, min=eps)


# ------------------------------------------------------------------------------- misc
@keras_op
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mse(x1, x2))``, in dB."""
    x1, x2 = promote(_tensor(x1), _tensor(x2))
    x1, x2 = float_result(x1), float_result(x2)
    if x1.shape != x2.shape:
        raise ValueError(
            "ops.psnr: `x1` and `x2` must have the same shape. Received: x1 of shape "
            f"{tuple(x1.shape)}, x2 of shape {tuple(x2.shape)}"
        )
    max_val = torch.as_tensor(max_val, dtype=x1.dtype, device=x1.device)
    mse = torch.mean((x1 - x2) ** 2)
    return 20 * torch.log10(max_val) - 10 * torch.log10(mse)


@keras_op
def polar(abs_, angle):
    """The complex tensor ``abs_ * (cos(angle) + i sin(angle))``."""
    abs_, angle = float_result(_tensor(abs_)), float_result(_tensor(angle))
    dtype = torch.promote_types(abs_.dtype, angle.dtype)
    if dtype in _HALF:
        dtype = torch.float32
    return torch.polar(abs_.to(dtype), angle.to(dtype))


def _check_rank(x, rank, op, arg="x"):
    if x.ndim != rank:
        raise ValueError(
            f"ops.{op}: `{arg}` must be a {rank}D tensor. Received: {arg} of shape {tuple(x.shape)}"
        )


@keras_op
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks (im2col) of a channels-first ``(N, C, H, W)`` tensor.

    Returns:
        ``(N, C * kH * kW, L)`` with ``L`` the number of blocks.
    """
    x = _tensor(x)
    _check_rank(x, 4, "unfold")
    return F.unfold(x, kernel_size, dilation, padding, stride)


@keras_op
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks ``(N, C * kH * kW, L)`` back into ``(N, C, *output_size)`` (col2im,
    the inverse layout of :func:`unfold`)."""
    x = _tensor(x)
    _check_rank(x, 3, "fold")
    return F.fold(x, output_size, kernel_size, dilation, padding, stride)


def _check_block(x, block_size, op):
    x = _tensor(x)
    _check_rank(x, 4, op)
    if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size < 2:
        raise ValueError(
            f"ops.{op}: `block_size` must be an integer >= 2. Received: block_size={block_size!r}"
        )
    return x


@keras_op
def depth_to_space(x, block_size, data_format="channels_last"):
    """Move channel blocks into ``block_size x block_size`` spatial blocks (pixel shuffle).

    ``(N, H, W, C * b * b)`` becomes ``(N, H * b, W * b, C)`` with TensorFlow's channel
    order; channels-first inputs follow torch's ``pixel_shuffle``.
    """
    op = "depth_to_space"
    x = _check_block(x, block_size, op)
    data_format = _data_format(data_format, op)
    b = block_size
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    if channels % (b * b):
        raise ValueError(
            f"ops.{op}: the channels must be divisible by block_size**2 = {b * b}. Received: "
            f"x of shape {tuple(x.shape)}, data_format={data_format!r}"
        )
    if data_format == "channels_first":
        return F.pixel_shuffle(x, b)
    n, h, w, c = x.shape
    y = x.reshape(n, h, w, b, b, c // (b * b)).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h * b, w * b, c // (b * b))


@keras_op
def space_to_depth(x, block_size, data_format="channels_last"):
    """Move ``block_size x block_size`` spatial blocks into channels (inverse of
    :func:`depth_to_space`)."""
    op = "space_to_depth"
    x = _check_block(x, block_size, op)
    data_format = _data_format(data_format, op)
    b = block_size
    spatial = x.shape[1:3] if data_format == "channels_last" else x.shape[2:]
    if spatial[0] % b or spatial[1] % b:
        raise ValueError(
            f"ops.{op}: the height and width must be divisible by block_size = {b}. Received: "
            f"x of shape {tuple(x.shape)}, data_format={data_format!r}"
        )
    if data_format == "channels_first":
        return F.pixel_unshuffle(x, b)
    n, h, w, c = x.shape
    y = x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h // b, w // b, c * b * b)


# ---------------------------------------------------------------------------- attention
def _large_negative(dtype):
    return torch.finfo(dtype).min * 0.7


@keras_op
def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """Scaled dot-product attention on ``(batch, seq, heads, head_dim)`` tensors.

    Args:
        query: ``(B, T, N, H)``.
        key, value: ``(B, S, K, H)``; ``N`` must be a multiple of ``K`` (grouped-query
            attention).
        bias: Optional additive bias broadcastable to ``(B, N, T, S)``.
        mask: Optional boolean mask broadcastable to ``(B, N, T, S)``; ``False`` positions are
            excluded (a fully masked row attends uniformly, as in Keras).
        scale: Logit scale (default ``1 / sqrt(H)``).
        is_causal: Apply a causal (lower-triangular) mask.
        flash_attention: ``True`` requires torch's flash kernel, ``False`` excludes it,
            ``None`` lets torch choose.
        attn_logits_soft_cap: Optional ``c``: logits become ``c * tanh(logits / c)`` before
            masking (computed without the fused kernel).

    Returns:
        ``(B, T, N, H)`` in the promoted dtype of ``query``, ``key`` and ``value``.
    """
    op = "dot_product_attention"
    query, key, value = promote(_tensor(query), _tensor(key), _tensor(value))
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            f"ops.{op}: `query`, `key` and `value` must be 4D (batch, seq, heads, dim). "
            f"Received: query {tuple(query.shape)}, key {tuple(key.shape)}, value "
            f"{tuple(value.shape)}"
        )
    if bias is not None and mask is not None:
        raise ValueError(f"ops.{op}: pass only one of `bias` and `mask`. Received both.")
    heads, kv_heads = query.shape[2], key.shape[2]
    if kv_heads == 0 or heads % kv_heads or value.shape[2] != kv_heads:
        raise ValueError(
            f"ops.{op}: the query heads must be a multiple of the key/value heads. Received: "
            f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
        )
    query = float_result(query)
    dtype = query.dtype
    key, value = key.to(dtype), value.to(dtype)
    q, k, v = query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2)
    attn = None
    if mask is not None:
        keep = _tensor(mask).to(device=q.device, dtype=torch.bool)
        if is_causal:
            keep = keep & _causal(q, k)
        attn = torch.zeros(keep.shape, dtype=dtype, device=q.device)
        attn = attn.masked_fill_(~keep, _large_negative(dtype))
    elif bias is not None:
        attn = _tensor(bias).to(device=q.device, dtype=dtype)
        if is_causal:
            attn = attn.masked_fill(~_causal(q, k), _large_negative(dtype))
    causal = is_causal and attn is None
    if attn_logits_soft_cap is not None:
        return _capped_attention(q, k, v, attn, scale, causal, attn_logits_soft_cap).transpose(1, 2)
    gqa = heads != kv_heads
    if flash_attention is None:
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn, is_causal=causal, scale=scale, enable_gqa=gqa
        )
    else:
        from torch.nn.attention import SDPBackend, sdpa_kernel  # loaded on first use

        if flash_attention:
            backends = [SDPBackend.FLASH_ATTENTION]
        else:
            backends = [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION]
            backends.append(SDPBackend.MATH)
        with sdpa_kernel(backends):
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn, is_causal=causal, scale=scale, enable_gqa=gqa
            )
    return out.transpose(1, 2)


def _causal(q, k):
    return torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()


def _capped_attention(q, k, v, attn, scale, causal, cap):
    groups = q.shape[1] // k.shape[1]
    if groups > 1:
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = torch.matmul(q, k.transpose(-1, -2)) * scale
    logits = cap * torch.tanh(logits / cap)
    if attn is not None:
        logits = logits + attn
    if causal:
        logits = logits.masked_fill(~_causal(q, k), _large_negative(logits.dtype))
    return torch.matmul(torch.softmax(logits, dim=-1), v)


# ---------------------------------------------------------------------------------- CTC
def _ctc_loss_spec(target, output, target_length, output_length, mask_index=0):
    dtype = _dtypes.result_type(_dtypes.dtype_name(output), "float32")
    return KerasTensor((target.shape[0],), dtype)


@keras_op(spec=_ctc_loss_spec)
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist temporal classification loss per sample.

    Args:
        target: ``(batch, max_label_length)`` integer labels (padded).
        output: ``(batch, max_time, num_classes)`` logits.
        target_length: ``(batch,)`` label lengths.
        output_length: ``(batch,)`` input sequence lengths.
        mask_index: The blank class.

    Returns:
        ``(batch,)`` negative log-likelihoods.
    """
    op = "ctc_loss"
    output = _tensor(output)
    output = output.to(_compute_dtype(output))
    target = _tensor(target)
    target_length, output_length = _tensor(target_length), _tensor(output_length)
    if output.ndim != 3 or target.ndim != 2 or output.shape[0] != target.shape[0]:
        raise ValueError(
            f"ops.{op}: `output` must be (batch, time, classes) and `target` (batch, "
            f"max_label_length) with the same batch size. Received: target of shape "
            f"{tuple(target.shape)}, output of shape {tuple(output.shape)}"
        )
    log_probs = torch.log_softmax(output.transpose(0, 1), dim=-1)
    return F.ctc_loss(
        log_probs,
        target.to(torch.int64),
        output_length.to(torch.int64),
        target_length.to(torch.int64),
        blank=mask_index,
        reduction="none",
    )


def _ctc_decode_spec(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    paths = 1 if strategy == "greedy" else top_paths
    dtype = _dtypes.result_type(_dtypes.dtype_name(inputs), "float32")
    batch, steps = inputs.shape[0], inputs.shape[1]
    return KerasTensor((paths, batch, steps), "int32"), KerasTensor((batch, paths), dtype)


@keras_op(spec=_ctc_decode_spec)
def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    """Decode CTC outputs by greedy (best path) or beam search.

    Args:
        inputs: ``(batch, max_time, num_classes)`` logits (or log-probabilities).
        sequence_lengths: ``(batch,)`` valid lengths.
        strategy: ``"greedy"`` or ``"beam_search"``.
        beam_width: Beams kept per step (beam search).
        top_paths: Paths returned (beam search).
        merge_repeated: Collapse repeated labels (greedy).
        mask_index: The blank class (``None``: the last class).

    Returns:
        ``(paths, scores)``: ``paths`` of shape ``(top_paths, batch, max_time)`` int32, labels
        first and ``-1`` after; ``scores`` of shape ``(batch, top_paths)``: the negative sum of
        the best logits per step for greedy, the log-probability of each path for beam search.
    """
    op = "ctc_decode"
    inputs = _tensor(inputs)
    inputs = inputs.to(_compute_dtype(inputs))
    if inputs.ndim != 3:
        raise ValueError(
            f"ops.{op}: `inputs` must be (batch, time, classes). Received: inputs of shape "
            f"{tuple(inputs.shape)}"
        )
    lengths = _tensor(sequence_lengths).to(device=inputs.device, dtype=torch.int64)
    blank = inputs.shape[-1] - 1 if mask_index is None else mask_index
    if strategy == "greedy":
        return _ctc_greedy(inputs, lengths, merge_repeated, blank)
    if strategy == "beam_search":
        for name, val in (("beam_width", beam_width), ("top_paths", top_paths)):
            if not isinstance(val, int) or isinstance(val, bool) or val < 1:
                raise ValueError(
                    f"ops.{op}: `{name}` must be a positive integer. Received: {val!r}"
                )
        return _ctc_beam_search(inputs, lengths, beam_width, top_paths, blank)
    raise ValueError(
        f"ops.{op}: `strategy` must be 'greedy' or 'beam_search'. Received: strategy={strategy!r}"
    )


def _ctc_greedy(x, lengths, merge_repeated, blank):
    batch, steps, _ = x.shape
    scores, idx = torch.max(x, dim=-1)
    time = torch.arange(steps, device=x.device)
    past_end = time[None, :] >= lengths[:, None]
    idx = idx.masked_fill(past_end, blank)
    scores = scores.masked_fill(past_end, 0.0)
    if merge_repeated:
        repeat = F.pad(idx[:, 1:] == idx[:, :-1], (1, 0))
        idx = idx.masked_fill(repeat, blank)
    dropped = idx == blank
    # Stable compaction: kept labels first, in time order, then -1.
    order = torch.argsort(torch.where(dropped, steps, time), dim=-1, stable=True)
    idx = torch.gather(idx.masked_fill(dropped, -1), 1, order)
    return idx.to(torch.int32)[None], -scores.sum(dim=1, keepdim=True)


def _lse(*xs):
    out = xs[0]
    for x in xs[1:]:
        out = torch.logaddexp(out, x)
    return out


def _ctc_beam_search(x, lengths, beam_width, top_paths, blank):
    """Batched CTC prefix beam search.

    Each beam is a distinct label prefix with two log-scores: paths ending in a label
    (``emit``) and paths ending in a blank. A step extends every prefix by every label,
    merges extensions that reproduce a prefix already in the beam, and keeps the
    ``beam_width`` best prefixes; batch entries past their length keep their beams.
    """
    batch, steps, classes = x.shape
    dev, neg = x.device, float("-inf")
    logp = torch.log_softmax(x, dim=-1)
    width = beam_width
    ar_b = torch.arange(batch, device=dev)[:, None]
    # initial beams: the best min(classes, width) classes at t = 0
    n0 = min(classes, width)
    first, cls0 = torch.sort(logp[:, 0], dim=-1, descending=True, stable=True)
    first, cls0 = first[:, :n0], cls0[:, :n0]
    is_blank0 = cls0 == blank
    prefix = torch.full((batch, width, steps), -1, dtype=torch.int64, device=dev)
    prefix[:, :n0, 0] = torch.where(is_blank0, -1, cls0)
    plen = torch.zeros(batch, width, dtype=torch.int64, device=dev)
    plen[:, :n0] = (~is_blank0).long()
    emit = torch.full((batch, width), neg, dtype=x.dtype, device=dev)
    blank_s = torch.full((batch, width), neg, dtype=x.dtype, device=dev)
    emit[:, :n0] = torch.where(is_blank0, neg, first)
    blank_s[:, :n0] = torch.where(is_blank0, first, neg)
    class_ids = torch.arange(classes, device=dev)
    pos = torch.arange(steps, device=dev)

    for t in range(1, steps):
        lp = logp[:, t]  # (B, C)
        total = torch.logaddexp(emit, blank_s)
        alive = total > neg
        tail = torch.gather(prefix, 2, (plen - 1).clamp(min=0)[..., None])[..., 0]
        tail = torch.where(plen > 0, tail, -1)
        # the same prefix: a blank, or a repeat of the tail collapsing onto an emit path
        stay_blank = total + lp[:, blank, None]
        tail_lp = torch.gather(lp, 1, tail.clamp(min=0))
        stay_emit = torch.where(tail >= 0, emit + tail_lp, neg)
        # prefix + c: a repeated label only continues a path that ended in a blank
        ext = torch.where(class_ids == tail[..., None], blank_s[..., None], total[..., None])
        ext = ext + lp[:, None, :]
        ext[:, :, blank] = neg
        # an extension i + c equal to a prefix j already in the beam merges into j
        last = tail.clamp(min=0)
        parent = prefix.masked_fill(pos == (plen - 1)[..., None], -1)
        same = (parent[:, :, None, :] == prefix[:, None, :, :]).all(-1)  # (B, j, i)
        same &= ((plen > 0) & alive)[:, :, None] & alive[:, None, :]
        from_parent = torch.gather(ext, 2, last[:, None, :].expand(-1, width, -1))  # (B, i, j)
        merged = from_parent.transpose(1, 2).masked_fill(~same, neg)
        stay_emit = torch.logaddexp(stay_emit, torch.logsumexp(merged, dim=-1))
        taken = torch.einsum("bji,bjc->bic", same.to(x.dtype), F.one_hot(last, classes).to(x.dtype))
        ext = ext.masked_fill(taken > 0, neg)
        # keep the best `width` of the width * (classes + 1) candidates
        cand_emit = torch.cat([stay_emit, ext.reshape(batch, -1)], dim=1)
        cand_blank = torch.cat([stay_blank, torch.full_like(ext.reshape(batch, -1), neg)], dim=1)
        cand_total = torch.logaddexp(cand_emit, cand_blank)
        pick = torch.sort(cand_total, dim=1, descending=True, stable=True)[1][:, :width]
        is_ext = pick >= width
        src = torch.where(is_ext, (pick - width) // classes, pick)
        label = (pick - width) % classes
        new_prefix = torch.gather(prefix, 1, src[..., None].expand(-1, -1, steps))
        new_plen = torch.gather(plen, 1, src)
        write = is_ext[..., None] & (pos == new_plen[..., None])
        new_prefix = torch.where(write, label[..., None], new_prefix)
        new_plen = new_plen + is_ext.long()
        new_emit = torch.gather(cand_emit, 1, pick)
        new_blank = torch.gather(cand_blank, 1, pick)
        live = (t < lengths)[:, None]
        prefix = torch.where(live[..., None], new_prefix, prefix)
        plen = torch.where(live, new_plen, plen)
        emit = torch.where(live, new_emit, emit)
        blank_s = torch.where(live, new_blank, blank_s)

    total = torch.logaddexp(emit, blank_s)
    if top_paths > width:
        pad = top_paths - width
        total = torch.cat([total, total.new_full((batch, pad), neg)], dim=1)
        prefix = torch.cat([prefix, prefix.new_full((batch, pad, steps), -1)], dim=1)
    scores, best = torch.sort(total, dim=1, descending=True, stable=True)
    scores, best = scores[:, :top_paths], best[:, :top_paths]
    paths = prefix[ar_b, best].masked_fill((scores == neg)[..., None], -1)  # (B, P, T)
    return paths.transpose(0, 1).to(torch.int32), scores
