"""RandomHue: rotate the hue of each image by a random amount in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from ....ops import image as image_ops
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .random_color_degeneration import _batch_or_fail


class RandomHue(BaseImagePreprocessingLayer):
    """Shift the hue of each RGB image by a random amount (training only).

    Per image, ``f`` is drawn from the factor range and given a random sign; the hue (on a
    ``[0, 1)`` circle) moves by ``f / 2``: ``f = 1`` turns colours into their opposites.

    Args:
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomHue(0.2, seed=1)(np.zeros((2, 4, 4, 3), "float32")).shape
        torch.Size([2, 4, 4, 3])
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        batch = _batch_or_fail(images)
        seed = self._seed_source(seed)
        invert = krandom.uniform((batch,), seed=seed)
        invert = torch.where(invert > 0.5, -torch.ones_like(invert), torch.ones_like(invert))
        factor = krandom.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        return {"factor": invert * factor * 0.5}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        x = images.to(self.torch_compute_dtype)
        x = self._transform_value_range(x, self.value_range, (0, 1), self.compute_dtype)
        shift = transformation["factor"].to(x).reshape(-1, 1, 1)
        hsv = image_ops.rgb_to_hsv(x, data_format=self.data_format)
        axis = 1 if self.data_format == "channels_first" else -1
        h, s, v = hsv.unbind(axis)
        h = h + shift
        h = torch.where(h > 1.0, h - 1.0, h)
        h = torch.where(h < 0.0, h + 1.0, h)
        rgb = image_ops.hsv_to_rgb(torch.stack([h, s, v], dim=axis), data_format=self.data_format)
        rgb = rgb.clamp(0, 1)
        out = self._transform_value_range(rgb, (0, 1), self.value_range, self.compute_dtype)
        return out.to(self.torch_compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
