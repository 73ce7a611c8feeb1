"""RandomContrast: scale each image's deviation from its mean by a random factor."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer


def per_image_shape(images):
    """``(batch, 1, 1, 1)`` for a batch, ``(1, 1, 1)`` for one image."""
    if images.ndim == 3:
        return (1, 1, 1)
    if images.ndim == 4:
        return (int(images.shape[0]), 1, 1, 1)
    raise ValueError(
        f"Expected the input image to be rank 3 or 4. Received inputs.shape={tuple(images.shape)}"
    )


class RandomContrast(BaseImagePreprocessingLayer):
    """Adjust the contrast of each image by a random factor in training.

    Each channel becomes ``(x - mean) * c + mean``, with ``mean`` the channel's mean over the
    image and ``c`` drawn per image from ``[1 - lower, 1 + upper]``; results are clipped to
    ``value_range``. At inference the input passes through unchanged.

    Args:
        factor: ``f`` (meaning ``[1 - f, 1 + f]``) or ``(lower, upper)``, in ``[0, 1]``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        seed: Integer seed.
        **kwargs: Base layer arguments (``data_format``, ``name``, ...).

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> x = np.random.rand(2, 4, 4, 3).astype("float32") * 255
        >>> bool((layers.RandomContrast(0.5)(x, training=False).numpy() == x).all())
        True
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        shape = per_image_shape(images)
        if not training:
            return {"contrast_factor": torch.zeros(shape)}
        factor = krandom.uniform(
            shape,
            minval=1.0 - self.factor[0],
            maxval=1.0 + self.factor[1],
            seed=self._seed_source(seed),
            dtype=self.compute_dtype,
        )
        return {"contrast_factor": factor}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        factor = transformation["contrast_factor"].to(images.device)
        hw = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        x = images if images.is_floating_point() else images.to(self.torch_compute_dtype)
        mean = x.mean(dim=hw, keepdim=True)
        out = (x - mean) * factor + mean
        return out.clamp(self.value_range[0], self.value_range[1])

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
