"""RandomInvert: invert images (``max - x``) with a random probability in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .random_color_degeneration import _batch_or_fail


class RandomInvert(BaseImagePreprocessingLayer):
    """Replace images by ``value_range[1] - x`` at random (training only).

    Per image, a probability ``p`` is drawn from the factor range and the image is inverted
    with probability ``p``; the default ``factor=1.0`` inverts about half of the images.

    Args:
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomInvert(factor=(1.0, 1.0))(np.zeros((1, 1, 1, 3), "float32")).tolist()
        [[[[255.0, 255.0, 255.0]]]]
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        seed = self._seed_source(seed)
        batch = _batch_or_fail(images)
        probability = krandom.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = krandom.uniform((batch,), 0, 1, seed=seed)
        return {"apply_inversion": threshold < probability}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = images.to(self.torch_compute_dtype)
        apply = transformation["apply_inversion"].to(images.device).reshape(-1, 1, 1, 1)
        return torch.where(apply, self.value_range[1] - images, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
