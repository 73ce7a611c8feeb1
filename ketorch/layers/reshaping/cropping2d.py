"""Cropping2D: remove rows and columns at the borders of images."""

from __future__ import annotations

from ..convolutional.base_conv import normalize_data_format
from ..input_spec import InputSpec, format_shape
from ..layer import Layer
from .zero_padding2d import pair_of_pairs


class Cropping2D(Layer):
    """Crop the height and width axes of 4D image batches.

    Args:
        cropping: An int (the same crop on all four sides), a tuple of 2 ints
            ``(symmetric_height_crop, symmetric_width_crop)``, or a tuple of 2
            tuples ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (``(batch, height, width, channels)``)
            or ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        4D ``(batch, rows, cols, channels)`` (channels_last).

    Output shape:
        ``(batch, rows - top - bottom, cols - left - right, channels)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import Cropping2D
        >>> Cropping2D(((1, 0), (2, 2)))(torch.ones(1, 5, 6, 3)).shape
        torch.Size([1, 4, 2, 3])
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "Cropping2D")
        self.cropping = pair_of_pairs(cropping, "cropping", "Cropping2D")
        self._first = 2 if self.data_format == "channels_first" else 1
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def _cropped_sizes(self, shape):
        sizes = []
        for i, (before, after) in enumerate(self.cropping):
            size = shape[self._first + i]
            if size is not None and before + after >= size:
                raise ValueError(
                    f"Layer '{self.name}' (Cropping2D) would crop away a whole spatial axis: each "
                    "entry of `cropping` must remove fewer rows/columns than the input has "
                    f"(input shape {format_shape(tuple(shape))}). Received: cropping={self.cropping}"
                )
            sizes.append(None if size is None else size - before - after)
        return sizes

    def call(self, inputs):
        self._cropped_sizes(inputs.shape)
        (top, bottom), (left, right) = self.cropping
        rows, cols = inputs.shape[self._first], inputs.shape[self._first + 1]
        if self._first == 2:
            return inputs[:, :, top : rows - bottom, left : cols - right]
        return inputs[:, top : rows - bottom, left : cols - right, :]

    def compute_output_shape(self, input_shape):
        rows, cols = self._cropped_sizes(input_shape)
        if self._first == 2:
            return (input_shape[0], input_shape[1], rows, cols)
        return (input_shape[0], rows, cols, input_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config
