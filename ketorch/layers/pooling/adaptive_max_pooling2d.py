"""AdaptiveMaxPooling2D: max pooling to a fixed output size."""

from __future__ import annotations

from .base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveMaxPooling2D(BaseAdaptivePooling):
    """Max pooling of 2D spatial data to a fixed output size (height, width).

    Each output cell takes the maximum of its window; window sizes and strides
    follow from the input size, so any input size gives ``output_size``.

    Args:
        output_size: An int or a tuple of 2 int(s), the output (height, width).
        data_format: ``"channels_last"`` (``(batch, height, width, channels)``) or
            ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        ``(batch, height, width, channels)`` (channels_last).

    Output shape:
        The same with the spatial axes replaced by ``output_size``.

    Example:
        >>> import torch
        >>> from ketorch.layers import AdaptiveMaxPooling2D
        >>> AdaptiveMaxPooling2D((3, 2))(torch.ones(2, 9, 7, 3)).shape
        torch.Size([2, 3, 2, 3])
    """

    _rank = 2
    _mode = "max"
