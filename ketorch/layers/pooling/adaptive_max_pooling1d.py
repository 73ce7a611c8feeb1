"""AdaptiveMaxPooling1D: max pooling to a fixed output size."""

from __future__ import annotations

from .base_adaptive_pooling import BaseAdaptivePooling


class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    """Max pooling of 1D spatial data to a fixed output size length.

    Each output cell takes the maximum of its window; window sizes and strides
    follow from the input size, so any input size gives ``output_size``.

    Args:
        output_size: An int or a tuple of 1 int(s), the output length.
        data_format: ``"channels_last"`` (``(batch, length, channels)``) or
            ``"channels_first"``; ``None`` means
            :func:`ketorch.config.image_data_format`.
        **kwargs: Base layer arguments.

    Input shape:
        ``(batch, length, channels)`` (channels_last).

    Output shape:
        The same with the spatial axes replaced by ``output_size``.

    Example:
        >>> import torch
        >>> from ketorch.layers import AdaptiveMaxPooling1D
        >>> AdaptiveMaxPooling1D(4)(torch.ones(2, 10, 3)).shape
        torch.Size([2, 4, 3])
    """

    _rank = 1
    _mode = "max"
