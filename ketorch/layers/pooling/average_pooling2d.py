"""AveragePooling2D: downsample images by taking window means."""

from __future__ import annotations

from .base_pooling import BaseAveragePooling


class AveragePooling2D(BaseAveragePooling):
    """Take the mean of each ``pool_size`` window, per channel.

    Args:
        pool_size: Int or ``(ph, pw)``, the window size (required, as in Keras).
        strides: Int, ``(sh, sw)`` or ``None`` (meaning ``pool_size``).
        padding: ``"valid"`` (windows inside the input only) or ``"same"``
            (``ceil(input / stride)`` outputs; padded cells are not counted in the
            divisor, as TensorFlow and Keras do; an odd total
            padding puts the extra cell at the end).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        ``(batch, height, width, channels)`` (channels_last) or
        ``(batch, channels, height, width)`` (channels_first).

    Output shape:
        The same rank, with the pooled spatial sizes.

    Example:
        >>> import torch
        >>> from ketorch.layers.pooling.average_pooling2d import AveragePooling2D
        >>> AveragePooling2D((2, 2))(torch.ones(2, 28, 28, 8)).shape
        torch.Size([2, 14, 14, 8])
    """

    rank = 2

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


AvgPool2D = AveragePooling2D
