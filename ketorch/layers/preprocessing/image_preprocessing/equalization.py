"""Equalization: histogram equalization of each channel (always on)."""

from __future__ import annotations

import torch

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import check_value_range


class Equalization(BaseImagePreprocessingLayer):
    """Equalize the histogram of each channel, spreading its values over the value range.

    For each channel, a ``bins``-bin histogram of the values (on a ``[0, 255]`` scale) is
    turned into a lookup table through its cumulative distribution; a channel with a single
    occupied bin is left unchanged. The histogram of a batch is taken over all its images,
    as Keras does. As in Keras, the layer equalizes when called with ``training`` true (the
    default of a direct call) and passes images through under ``training=False``.

    Args:
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        bins: Number of histogram bins (default 256).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.Equalization()(np.array([[[[10.0], [20.0]]]], "float32")).flatten().tolist()
        [0.0, 255.0]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = check_value_range(value_range)

    @staticmethod
    def _rescale(values, source, target):
        scale = (target[1] - target[0]) / (source[1] - source[0])
        return values * scale + (target[0] - source[0] * scale)

    def _equalize_channel(self, channel):
        channel = self._rescale(channel, self.value_range, (0, 255))
        nbins = self.bins
        ids = (channel.to(torch.float32) * (nbins - 1) / 255.0).to(torch.int32)
        ids = ids.clamp(0, nbins - 1).reshape(-1).long()
        hist = torch.bincount(ids, minlength=nbins)
        if int(torch.count_nonzero(hist)) <= 1:
            equalized = channel
        else:
            cdf = torch.cumsum(hist, 0)
            cdf_min = cdf[torch.nonzero(cdf)[0, 0]]
            denominator = cdf[-1] - cdf_min
            if int(denominator) == 0:
                denominator = torch.ones_like(denominator)
            table = torch.round((cdf - cdf_min) * 255 / denominator).clamp(0, 255)
            index = (channel / 255.0 * (nbins - 1)).clamp(0, nbins - 1).to(torch.int32).long()
            equalized = table[index].to(channel.dtype)
        return self._rescale(equalized, (0, 255), self.value_range)

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = images.to(self.torch_compute_dtype)
        axis = -3 if self.data_format == "channels_first" else -1
        channels = [
            self._equalize_channel(images.select(axis, i)) for i in range(images.shape[axis])
        ]
        return torch.stack(channels, dim=axis).to(self.torch_compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"bins": self.bins, "value_range": self.value_range})
        return config
