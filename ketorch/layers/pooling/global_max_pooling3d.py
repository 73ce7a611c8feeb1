"""GlobalMaxPooling3D: maximum over every position of each channel."""

from __future__ import annotations

from .base_global_pooling import BaseGlobalMaxPooling


class GlobalMaxPooling3D(BaseGlobalMaxPooling):
    """Reduce the depth, height and width axes to their maximum, one value per channel.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        keepdims: Keep the reduced axes with size 1.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        ``(batch, depth, height, width, channels)`` (channels_last) or
        ``(batch, channels, depth, height, width)`` (channels_first).

    Output shape:
        ``(batch, channels)``, or with ``keepdims=True`` the input's rank
        with every spatial size 1.

    Example:
        >>> import torch
        >>> from ketorch.layers.pooling.global_max_pooling3d import GlobalMaxPooling3D
        >>> GlobalMaxPooling3D()(torch.ones(2, 4, 4, 4, 3)).shape
        torch.Size([2, 3])
    """

    rank = 3


GlobalMaxPool3D = GlobalMaxPooling3D
