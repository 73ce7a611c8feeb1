"""Shared machinery of the adaptive pooling layers (a fixed output size, any input size)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..convolutional.base_conv import normalize_data_format
from ..input_spec import InputSpec
from ..layer import Layer

_AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_AXIS_NAMES = {1: "length", 2: "(height, width)", 3: "(depth, height, width)"}


def output_size_tuple(value, rank: int, layer: str) -> tuple[int, ...]:
    """An int or a length-``rank`` sequence of positive ints, as a tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * rank
    elif isinstance(value, (tuple, list)) and len(value) == rank:
        out = tuple(value)
    else:
        raise TypeError(
            f"Argument `output_size` of {layer} must be an integer or a tuple of {rank} "
            f"integers {_AXIS_NAMES[rank]}. Received: output_size={value!r}"
        )
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in out):
        raise ValueError(
            f"Argument `output_size` of {layer} must contain only positive integers. "
            f"Received: output_size={value!r}"
        )
    return out


class BaseAdaptivePooling(Layer):
    """Pool each channel to ``output_size`` cells, choosing window bounds per cell.

    Cell ``i`` of an axis of length ``L`` pooled to ``n`` cells covers input
    positions ``floor(i * L / n)`` to ``ceil((i + 1) * L / n)`` (PyTorch's
    adaptive pooling, which Keras's torch backend calls).
    """

    _rank = 0
    _mode = ""

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.output_size = output_size_tuple(output_size, self._rank, name)
        self.data_format = normalize_data_format(data_format, name)
        self._fn = (_AVG if self._mode == "average" else _MAX)[self._rank]
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self.built = True

    def call(self, inputs):
        channels_last = self.data_format == "channels_last"
        x = inputs if inputs.is_floating_point() else inputs.float()
        if channels_last:
            x = torch.movedim(x, -1, 1)
        size = self.output_size[0] if self._rank == 1 else self.output_size
        y = self._fn(x, size)
        return torch.movedim(y, 1, -1) if channels_last else y

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config
