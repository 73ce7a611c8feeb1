"""GlobalAveragePooling2D: mean over every position of each channel."""

from __future__ import annotations

from .base_global_pooling import BaseGlobalAveragePooling


class GlobalAveragePooling2D(BaseGlobalAveragePooling):
    """Reduce the height and width axes to their mean, one value per channel.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        keepdims: Keep the reduced axes with size 1.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        ``(batch, height, width, channels)`` (channels_last) or
        ``(batch, channels, height, width)`` (channels_first).

    Output shape:
        ``(batch, channels)``, or with ``keepdims=True`` the input's rank
        with every spatial size 1.

    Example:
        >>> import torch
        >>> from ketorch.layers.pooling.global_average_pooling2d import GlobalAveragePooling2D
        >>> GlobalAveragePooling2D()(torch.ones(2, 7, 7, 8)).shape
        torch.Size([2, 8])
    """

    rank = 2


GlobalAvgPool2D = GlobalAveragePooling2D
