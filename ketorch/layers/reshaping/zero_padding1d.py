"""ZeroPadding1D: add zeros at the start and end of sequences."""

from __future__ import annotations

import torch.nn.functional as F

from ..convolutional.base_conv import normalize_data_format
from ..input_spec import InputSpec
from ..layer import Layer
from .zero_padding2d import int_pair


class ZeroPadding1D(Layer):
    """Pad the time axis of 3D ``(batch, steps, features)`` inputs with zeros.

    Args:
        padding: An int (the same number of zeros at both ends) or a tuple
            ``(left_pad, right_pad)``.
        data_format: ``"channels_last"`` (``(batch, steps, features)``) or
            ``"channels_first"`` (``(batch, features, steps)``); ``None``
            means :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        3D ``(batch, steps, features)`` (channels_last).

    Output shape:
        ``(batch, left_pad + steps + right_pad, features)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import ZeroPadding1D
        >>> ZeroPadding1D((1, 2))(torch.ones(2, 3, 4)).shape
        torch.Size([2, 6, 4])
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "ZeroPadding1D")
        self.padding = int_pair(padding, "padding", "ZeroPadding1D")
        if self.data_format == "channels_first":
            self._pad = self.padding
        else:
            self._pad = (0, 0) + self.padding
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def call(self, inputs):
        return F.pad(inputs, self._pad)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        axis = 2 if self.data_format == "channels_first" else 1
        if out[axis] is not None:
            out[axis] += sum(self.padding)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config
