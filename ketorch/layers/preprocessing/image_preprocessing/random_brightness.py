"""RandomBrightness: add a random offset to each image in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import check_value_range
from .random_contrast import per_image_shape


class RandomBrightness(BaseImagePreprocessingLayer):
    """Add ``delta * (max - min)`` to each image, ``delta`` drawn per image from the factor
    range, then clip to ``value_range`` (training only).

    Args:
        factor: ``f`` in ``[-1, 1]`` (meaning ``[-|f|, |f|]``) or ``(lower, upper)``: the
            offset as a fraction of the value range.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layer = layers.RandomBrightness((0.1, 0.1), value_range=(0, 1))
        >>> layer(np.full((1, 2, 2, 1), 0.5, "float32"))[0, 0, 0, 0].item()
        0.6000000238418579
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, **kwargs)
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)
        self.value_range = check_value_range(value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        shape = per_image_shape(images)
        if not training:
            return {"rgb_delta": torch.zeros(shape)}
        delta = krandom.uniform(
            shape, minval=self.factor[0], maxval=self.factor[1], seed=self._seed_source(seed)
        )
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        delta = transformation["rgb_delta"].to(device=images.device)
        if images.is_floating_point():
            out = images + delta.to(images.dtype)
        else:  # integer images: add in float, round and saturate back to their dtype
            out = torch.round(images.to(torch.float32) + delta)
        out = out.clamp(self.value_range[0], self.value_range[1])
        return out if images.is_floating_point() else out.to(images.dtype)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
