"""AveragePooling3D: downsample volumes by taking window means."""

from __future__ import annotations

from .base_pooling import BaseAveragePooling


class AveragePooling3D(BaseAveragePooling):
    """Take the mean of each ``pool_size`` window, per channel.

    Args:
        pool_size: Int or ``(pd, ph, pw)``, the window size (required, as in Keras).
        strides: Int, ``(sd, sh, sw)`` or ``None`` (meaning ``pool_size``).
        padding: ``"valid"`` (windows inside the input only) or ``"same"``
            (``ceil(input / stride)`` outputs; padded cells are not counted in the
            divisor, as TensorFlow and Keras do; an odd total
            padding puts the extra cell at the end).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        ``(batch, depth, height, width, channels)`` (channels_last) or
        ``(batch, channels, depth, height, width)`` (channels_first).

    Output shape:
        The same rank, with the pooled spatial sizes.

    Example:
        >>> import torch
        >>> from ketorch.layers.pooling.average_pooling3d import AveragePooling3D
        >>> AveragePooling3D((2, 2, 2))(torch.ones(2, 8, 8, 8, 3)).shape
        torch.Size([2, 4, 4, 4, 3])
    """

    rank = 3

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


AvgPool3D = AveragePooling3D
