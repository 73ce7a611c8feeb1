"""MaxPooling2D: downsample images by taking window maxima."""

from __future__ import annotations

from .base_pooling import BaseMaxPooling


class MaxPooling2D(BaseMaxPooling):
    """Take the maximum of each ``pool_size`` window, per channel.

    Args:
        pool_size: Int or ``(ph, pw)``, the window size.
        strides: Int, ``(sh, sw)`` or ``None`` (meaning ``pool_size``).
        padding: ``"valid"`` (windows inside the image only) or ``"same"``
            (``ceil(input / stride)`` outputs; padded cells never win, and an
            odd total padding puts the extra cell at the bottom/right).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        ``(batch, height, width, channels)`` (channels_last) or
        ``(batch, channels, height, width)`` (channels_first).

    Output shape:
        ``(batch, pooled_height, pooled_width, channels)`` or the
        channels_first equivalent.

    Example:
        >>> import torch
        >>> from ketorch.layers.pooling.max_pooling2d import MaxPooling2D
        >>> MaxPooling2D()(torch.ones(2, 28, 28, 8)).shape
        torch.Size([2, 14, 14, 8])
    """

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


MaxPool2D = MaxPooling2D
