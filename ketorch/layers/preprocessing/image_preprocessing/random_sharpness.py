"""RandomSharpness: sharpen or blur images by a random amount in training."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import check_value_range
from .random_color_degeneration import _batch_or_fail


class RandomSharpness(BaseImagePreprocessingLayer):
    """Adjust image sharpness by a random amount in training.

    Each image is blended with a smoothed copy (3x3 kernel: 5/13 centre, 1/13 around,
    zero padding): ``x + (1 - 2f) * (smooth(x) - x)`` with ``f`` drawn from the factor range,
    then clipped to ``value_range``. ``f = 0.5`` keeps the image, smaller values blur,
    larger values sharpen.

    Args:
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomSharpness(0.5, seed=1)(np.zeros((2, 4, 4, 3), "float32")).shape
        torch.Size([2, 4, 4, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(value_range)
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        batch = _batch_or_fail(images)
        factor = krandom.uniform(
            (batch,), self.factor[0], self.factor[1], seed=self._seed_source(seed)
        )
        return {"factor": factor}

    def transform_images(self, images, transformation=None, training=True):
        images = images.to(self.torch_compute_dtype)
        if not training:
            return images
        nchw = images if self.data_format == "channels_first" else images.permute(0, 3, 1, 2)
        channels = nchw.shape[1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = torch.full((3, 3), a, dtype=images.dtype, device=images.device)
        kernel[1, 1] = b
        kernel = kernel.expand(channels, 1, 3, 3)
        smooth = F.conv2d(nchw, kernel, padding=1, groups=channels)
        if self.data_format != "channels_first":
            smooth = smooth.permute(0, 2, 3, 1)
        factor = (transformation["factor"].to(images) * 2).reshape(-1, 1, 1, 1)
        out = images + (1.0 - factor) * (smooth - images)
        return out.clamp(self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
