"""ZeroPadding3D: add zeros around volumes (depth, height, width)."""

from __future__ import annotations

import torch.nn.functional as F

from ..convolutional.base_conv import normalize_data_format
from ..input_spec import InputSpec
from ..layer import Layer
from .zero_padding2d import int_pair


def three_pairs(value, name: str, layer: str) -> tuple[tuple[int, int], ...]:
    """``n``, ``(d, h, w)`` or three ``(before, after)`` pairs, as three pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(
                f"Argument `{name}` of {layer} must be non-negative. Received: {name}={value!r}"
            )
        return ((value, value),) * 3
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise ValueError(
            f"Argument `{name}` of {layer} must be an int, a tuple of 3 ints or a tuple of 3 "
            f"tuples of 2 ints ((before, after) for depth, height and width). "
            f"Received: {name}={value!r}"
        )
    return tuple(int_pair(v, name, layer) for v in value)


class ZeroPadding3D(Layer):
    """Pad the three spatial axes of 5D volume batches with zeros.

    Args:
        padding: An int (the same on every side), a tuple of 3 ints
            (symmetric padding per axis), or a tuple of 3 tuples of 2 ints
            ``((front, back), (top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (``(batch, d1, d2, d3, channels)``)
            or ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        5D ``(batch, d1, d2, d3, channels)`` (channels_last).

    Output shape:
        ``(batch, d1 + p1, d2 + p2, d3 + p3, channels)``, ``p`` the total
        padding of each axis.

    Example:
        >>> import torch
        >>> from ketorch.layers import ZeroPadding3D
        >>> ZeroPadding3D(((1, 0), (0, 0), (2, 2)))(torch.ones(1, 2, 3, 3, 4)).shape
        torch.Size([1, 3, 3, 7, 4])
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "ZeroPadding3D")
        self.padding = three_pairs(padding, "padding", "ZeroPadding3D")
        # F.pad lists (before, after) pairs from the last axis backwards.
        pad = [v for pair in reversed(self.padding) for v in pair]
        self._pad = tuple(pad) if self.data_format == "channels_first" else (0, 0, *pad)
        self.input_spec = InputSpec(ndim=5)
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
