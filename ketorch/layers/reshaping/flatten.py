"""Flatten: collapse every axis but the batch axis."""

from __future__ import annotations

import math

from ..layer import Layer
from ..node import KerasTensor


class Flatten(Layer):
    """Reshape ``(batch, d1, d2, ...)`` to ``(batch, d1 * d2 * ...)``.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``; with
            channels_first the input is reordered to channels_last first so
            the flattened order matches Keras.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Flatten
        >>> Flatten()(torch.ones(2, 3, 4)).shape
        torch.Size([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format = data_format or "channels_last"
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "`data_format` must be 'channels_last' or 'channels_first'. "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def compute_output_spec(self, inputs):

        return KerasTensor(self.compute_output_shape(inputs.shape), inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
