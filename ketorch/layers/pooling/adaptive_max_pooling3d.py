"""AdaptiveMaxPooling3D: max pooling to a fixed output size."""

from __future__ import annotations

from .base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    """Max pooling of 3D spatial data to a fixed output size (depth, height, width).

    Each output cell takes the maximum of its window; window sizes and strides
    follow from the input size, so any input size gives ``output_size``.

    Args:
        output_size: An int or a tuple of 3 int(s), the output (depth, height, width).
        data_format: ``"channels_last"`` (``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        ``(batch, depth, height, width, channels)`` (channels_last).

    Output shape:
        The same with the spatial axes replaced by ``output_size``.

    Example:
        >>> import torch
        >>> from ketorch.layers import AdaptiveMaxPooling3D
        >>> AdaptiveMaxPooling3D(2)(torch.ones(2, 5, 6, 7, 3)).shape
        torch.Size([2, 2, 2, 2, 3])
    """

    _rank = 3
    _mode = "max"
