"""GlobalAveragePooling1D: mean over every step of each channel."""

from __future__ import annotations

import torch

from .base_global_pooling import BaseGlobalAveragePooling


class GlobalAveragePooling1D(BaseGlobalAveragePooling):
    """Reduce the steps axes to their mean, one value per channel.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        keepdims: Keep the reduced axes with size 1.
        **kwargs: Base layer arguments (``name``, ...).

    Masking: with a ``(batch, steps)`` mask (e.g. from ``Embedding(mask_zero=True)``
    or ``Masking``), masked steps are left out of both the sum and the count.
    The output carries no mask.

    Input shape:
        ``(batch, steps, channels)`` (channels_last) or ``(batch, channels, steps)``.

    Output shape:
        ``(batch, channels)``, or with ``keepdims=True`` the input's rank
        with every spatial size 1.

    Example:
        >>> import torch
        >>> from ketorch.layers.pooling.global_average_pooling1d import GlobalAveragePooling1D
        >>> GlobalAveragePooling1D()(torch.ones(2, 10, 4)).shape
        torch.Size([2, 4])
    """

    rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        self._check_rank(inputs)
        x = inputs if inputs.is_floating_point() else inputs.float()
        axis = self._axes[0]
        keep = mask.to(torch.bool).unsqueeze(-1 if self._channels_last else 1)
        total = torch.where(keep, x, x.new_zeros(())).sum(dim=axis, keepdim=bool(self.keepdims))
        count = keep.to(x.dtype).sum(dim=axis, keepdim=bool(self.keepdims))
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None


GlobalAvgPool1D = GlobalAveragePooling1D
