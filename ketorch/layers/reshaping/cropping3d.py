"""Cropping3D: remove slices at the borders of volumes."""

from __future__ import annotations

from ..convolutional.base_conv import normalize_data_format
from ..input_spec import InputSpec, format_shape
from ..layer import Layer
from .zero_padding3d import three_pairs


class Cropping3D(Layer):
    """Crop the three spatial axes of 5D volume batches.

    Args:
        cropping: An int (the same crop on every side), a tuple of 3 ints
            (symmetric crop per axis), or a tuple of 3 tuples of 2 ints
            ``((front, back), (top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (``(batch, d1, d2, d3, channels)``)
            or ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        5D ``(batch, d1, d2, d3, channels)`` (channels_last).

    Output shape:
        ``(batch, d1 - c1, d2 - c2, d3 - c3, channels)``, ``c`` the total
        crop of each axis.

    Example:
        >>> import torch
        >>> from ketorch.layers import Cropping3D
        >>> Cropping3D(((1, 0), (0, 0), (2, 2)))(torch.ones(1, 3, 3, 6, 4)).shape
        torch.Size([1, 2, 3, 2, 4])
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "Cropping3D")
        self.cropping = three_pairs(cropping, "cropping", "Cropping3D")
        self._first = 2 if self.data_format == "channels_first" else 1
        self.input_spec = InputSpec(ndim=5)
        self.built = True

    def _cropped_sizes(self, shape):
        sizes = []
        for i, (before, after) in enumerate(self.cropping):
            size = shape[self._first + i]
            if size is not None and before + after >= size:
                raise ValueError(
                    f"Layer '{self.name}' (Cropping3D) would crop away a whole spatial axis: each "
                    "entry of `cropping` must remove fewer slices than the input has (input "
                    f"shape {format_shape(tuple(shape))}). Received: cropping={self.cropping}"
                )
            sizes.append(None if size is None else size - before - after)
        return sizes

    def call(self, inputs):
        self._cropped_sizes(tuple(inputs.shape))
        index = [slice(None)] * inputs.ndim
        for i, (before, after) in enumerate(self.cropping):
            axis = self._first + i
            index[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        sizes = self._cropped_sizes(input_shape)
        if self._first == 2:
            return (input_shape[0], input_shape[1], *sizes)
        return (input_shape[0], *sizes, input_shape[4])

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config
