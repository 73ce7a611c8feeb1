"""AveragePooling1D: downsample sequences by taking window means."""

from __future__ import annotations

from .base_pooling import BaseAveragePooling


class AveragePooling1D(BaseAveragePooling):
    """Take the mean of each ``pool_size`` window, per channel.

    Args:
        pool_size: Int or ``(p,)``, the window size (required, as in Keras).
        strides: Int, ``(s,)`` or ``None`` (meaning ``pool_size``).
        padding: ``"valid"`` (windows inside the input only) or ``"same"``
            (``ceil(input / stride)`` outputs; padded cells are not counted in the
            divisor, as TensorFlow and Keras do; an odd total
            padding puts the extra cell at the end).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        ``(batch, steps, channels)`` (channels_last) or ``(batch, channels, steps)``.

    Output shape:
        The same rank, with the pooled spatial sizes.

    Example:
        >>> import torch
        >>> from ketorch.layers.pooling.average_pooling1d import AveragePooling1D
        >>> AveragePooling1D(2)(torch.ones(2, 10, 4)).shape
        torch.Size([2, 5, 4])
    """

    rank = 1

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


AvgPool1D = AveragePooling1D
