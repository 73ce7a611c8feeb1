"""RandomSaturation: scale the saturation of each image by a random factor in training."""

from __future__ import annotations

import torch

from .... import config as _config
from .... import random as krandom
from ....ops import image as image_ops
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import check_value_range
from .random_color_degeneration import _batch_or_fail


class RandomSaturation(BaseImagePreprocessingLayer):
    """Scale the saturation of each RGB image by a random factor (training only).

    Per image, ``u`` is drawn from the factor range and the saturation (in HSV) is
    multiplied by ``u / (1 - u)``, then clipped to ``value_range``: ``u = 0.5`` keeps the
    image, ``0`` makes it gray, values near 1 saturate it fully. As in Keras, the HSV
    conversion is applied to the values as given.

    Args:
        factor: ``f`` (meaning ``[-f, f]``) or a pair, in ``[-1, 1]``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomSaturation((0.5, 0.5))(np.full((1, 2, 2, 3), 0.25, "float32")).shape
        torch.Size([1, 2, 2, 3])
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(value_range)
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        batch = _batch_or_fail(images)
        u = krandom.uniform((batch,), self.factor[0], self.factor[1], seed=self._seed_source(seed))
        return {"factor": u / (1 - u + _config.epsilon())}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        factor = transformation["factor"].to(self.torch_compute_dtype).reshape(-1, 1, 1)
        hsv = image_ops.rgb_to_hsv(images, data_format=self.data_format)
        axis = 1 if self.data_format == "channels_first" else -1
        h, s, v = hsv.unbind(axis)
        s = (s * factor.to(s.device)).clamp(self.value_range[0], self.value_range[1])
        return image_ops.hsv_to_rgb(torch.stack([h, s, v], dim=axis), data_format=self.data_format)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
