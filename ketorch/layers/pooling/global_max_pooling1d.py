"""GlobalMaxPooling1D: maximum over every step of each channel."""

from __future__ import annotations

from .base_global_pooling import BaseGlobalMaxPooling


class GlobalMaxPooling1D(BaseGlobalMaxPooling):
    """Reduce the steps axes to their maximum, one value per channel.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        keepdims: Keep the reduced axes with size 1.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        ``(batch, steps, channels)`` (channels_last) or ``(batch, channels, steps)``.

    Output shape:
        ``(batch, channels)``, or with ``keepdims=True`` the input's rank
        with every spatial size 1.

    Example:
        >>> import torch
        >>> from ketorch.layers.pooling.global_max_pooling1d import GlobalMaxPooling1D
        >>> GlobalMaxPooling1D()(torch.ones(2, 10, 4)).shape
        torch.Size([2, 4])
    """

    rank = 1


GlobalMaxPool1D = GlobalMaxPooling1D
