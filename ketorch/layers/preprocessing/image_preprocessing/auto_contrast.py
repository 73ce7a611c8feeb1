"""AutoContrast: stretch each image's values to the full value range (always on)."""

from __future__ import annotations

import torch

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import check_value_range, saturate_cast


class AutoContrast(BaseImagePreprocessingLayer):
    """Rescale each image channel so its minimum maps to the range's low end and its maximum
    to the high end (a constant channel is left unchanged).

    The layer is deterministic and applies in training and inference alike.

    Args:
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> x = np.array([[[[50.0], [100.0]]]], "float32")
        >>> layers.AutoContrast()(x).flatten().tolist()
        [0.0, 255.0]
    """

    _USE_BASE_FACTOR = False
    _jit_unfriendly = None  # deterministic tensor ops

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(value_range)

    def transform_images(self, images, transformation=None, training=True):
        original = images
        x = self._transform_value_range(
            images, self.value_range, (0, 255), dtype=self.compute_dtype
        ).to(self.torch_compute_dtype)
        hw = (2, 3) if self.data_format == "channels_first" else (1, 2)
        low = x.amin(dim=hw, keepdim=True)
        high = x.amax(dim=hw, keepdim=True)
        scale = 255.0 / (high - low)
        out = (x * scale + (-low * scale)).clamp(0.0, 255.0)
        out = self._transform_value_range(out, (0, 255), self.value_range, dtype=self.compute_dtype)
        out = torch.where(torch.isnan(out), original.to(out.dtype), out)
        if out.dtype == original.dtype:
            return out
        if not original.dtype.is_floating_point:
            out = torch.round(out)
        return saturate_cast(out, original.dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range})
        return config
