"""Keras 2 path ``keras.utils.conv_utils``: argument normalization and output-length rules.

Keras 2 custom convolution layers call these with Keras 2's signatures.

Example:
    >>> normalize_tuple(3, 2, "kernel_size")
    (3, 3)
    >>> conv_output_length(10, 3, "valid", 2)
    4
"""

from __future__ import annotations

import numpy as np

from ..backend import image_data_format


def normalize_tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints.

    Raises:
        ValueError: If ``value`` is not an int or an iterable of ``n`` ints (positive,
            or non-negative with ``allow_zero``).
    """
    values = (value,) * n if isinstance(value, int) else tuple(value)
    minimum = 0 if allow_zero else 1
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers. Received: {value}"
        )
    if any(v < minimum for v in values):
        relation = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers {relation}. Received: {value}"
        )
    return tuple(int(v) for v in values)


def normalize_padding(value) -> str:
    """``"valid"``, ``"same"`` or ``"causal"`` (any case); a list or tuple passes through."""
    if isinstance(value, (list, tuple)):
        return value
    padding = value.lower()
    if padding not in ("valid", "same", "causal"):
        raise ValueError(
            'The `padding` argument must be a list/tuple or one of "valid", "same" (or '
            f'"causal", only for `Conv1D`). Received: {padding}'
        )
    return padding


def normalize_data_format(value) -> str:
    """``"channels_last"`` or ``"channels_first"``; None gives the configured format."""
    if value is None:
        value = image_data_format()
    data_format = value.lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            'The `data_format` argument must be one of "channels_first", "channels_last". '
            f"Received: {value}"
        )
    return data_format


def conv_output_length(input_length, filter_size, padding, stride, dilation=1):
    """Output length of a convolution along one axis (None stays None)."""
    if input_length is None:
        return None
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    if padding in ("same", "causal"):
        length = input_length
    elif padding == "valid":
        length = input_length - dilated + 1
    elif padding == "full":
        length = input_length + dilated - 1
    else:
        raise ValueError(f"Unknown padding: {padding}")
    return (length + stride - 1) // stride


def conv_input_length(output_length, filter_size, padding, stride):
    """The input length that gives ``output_length`` (the inverse of `conv_output_length`)."""
    if output_length is None:
        return None
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}.get(padding)
    if pad is None:
        raise ValueError(f"Unknown padding: {padding}")
    return (output_length - 1) * stride - 2 * pad + filter_size


def deconv_output_length(
    input_length, filter_size, padding, output_padding=None, stride=0, dilation=1
):
    """Output length of a transposed convolution along one axis."""
    if input_length is None:
        return None
    filter_size = filter_size + (filter_size - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return input_length * stride + max(filter_size - stride, 0)
        if padding == "full":
            return input_length * stride - (stride + filter_size - 2)
        return input_length * stride
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (input_length - 1) * stride + filter_size - 2 * pad + output_padding


deconv_length = deconv_output_length  # Keras 2.1-2.2 name


def convert_kernel(kernel):
    """Flip a convolution kernel spatially (Theano <-> TensorFlow layout of Keras 1/2)."""
    kernel = np.asarray(kernel)
    if not 3 <= kernel.ndim <= 5:
        raise ValueError(f"Invalid kernel shape: {kernel.shape}")
    slices = [slice(None, None, -1)] * (kernel.ndim - 2) + [slice(None), slice(None)]
    return np.copy(kernel[tuple(slices)])
