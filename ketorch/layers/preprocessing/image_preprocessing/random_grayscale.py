"""RandomGrayscale: turn images gray with some probability in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from ....ops import image as image_ops
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import batch_size_of


class RandomGrayscale(BaseImagePreprocessingLayer):
    """Replace each image by its grayscale version (kept as 3 channels) with probability
    ``factor`` (training only).

    Args:
        factor: The probability, in ``[0, 1]`` (default 0.5).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> out = layers.RandomGrayscale(factor=1.0)(np.random.rand(2, 4, 4, 3))
        >>> bool((out[..., 0] == out[..., 1]).all())
        True
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        images = images["images"] if isinstance(images, dict) else images
        batch = batch_size_of(images)
        draws = krandom.uniform((batch,), 0, 1, seed=self._seed_source(seed))
        return (draws < self.factor).reshape(-1, 1, 1, 1)

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        if transformation is None:
            transformation = self.get_random_transformation(images)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return torch.where(transformation.to(images.device), gray, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "seed": self.seed})
        return config
