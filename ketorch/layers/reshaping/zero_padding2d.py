"""ZeroPadding2D: add rows and columns of zeros around images."""

from __future__ import annotations

import torch.nn.functional as F

from ..convolutional.base_conv import normalize_data_format
from ..input_spec import InputSpec
from ..layer import Layer


def int_pair(value, name: str, layer: str) -> tuple[int, int]:
    """An int or a pair of non-negative ints, as a ``(before, after)`` tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value, value)
    else:
        try:
            out = tuple(value)
        except TypeError:
            out = ()
    if len(out) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in out):
        raise ValueError(
            f"Argument `{name}` of {layer} must be an integer or a tuple of 2 integers. "
            f"Received: {name}={value!r}"
        )
    if any(v < 0 for v in out):
        raise ValueError(
            f"Argument `{name}` of {layer} must contain only non-negative integers. "
            f"Received: {name}={value!r}"
        )
    return out


def pair_of_pairs(value, name: str, layer: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """``n``, ``(h, w)`` or ``((top, bottom), (left, right))`` as the last form."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(
                f"Argument `{name}` of {layer} must be non-negative. Received: {name}={value!r}"
            )
        return ((value, value), (value, value))
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(
            f"Argument `{name}` of {layer} must be an int, a tuple of 2 ints (height, width) "
            f"or a tuple of 2 tuples of 2 ints ((top, bottom), (left, right)). "
            f"Received: {name}={value!r}"
        )
    return (int_pair(value[0], name, layer), int_pair(value[1], name, layer))


class ZeroPadding2D(Layer):
    """Pad the height and width axes of 4D image batches with zeros.

    Args:
        padding: An int (same padding on all four sides), a tuple of 2 ints
            ``(symmetric_height_pad, symmetric_width_pad)``, or a tuple of 2
            tuples ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (``(batch, height, width, channels)``)
            or ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        4D ``(batch, rows, cols, channels)`` (channels_last).

    Output shape:
        ``(batch, top + rows + bottom, left + cols + right, channels)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import ZeroPadding2D
        >>> ZeroPadding2D(((1, 0), (2, 2)))(torch.ones(1, 3, 3, 2)).shape
        torch.Size([1, 4, 7, 2])
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "ZeroPadding2D")
        self.padding = pair_of_pairs(padding, "padding", "ZeroPadding2D")
        (top, bottom), (left, right) = self.padding
        if self.data_format == "channels_first":
            self._pad = (left, right, top, bottom)
        else:
            self._pad = (0, 0, left, right, top, bottom)
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs):
        return F.pad(inputs, self._pad)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        first = 2 if self.data_format == "channels_first" else 1
        for i, (before, after) in enumerate(self.padding):
            if out[first + i] is not None:
                out[first + i] += before + after
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config
