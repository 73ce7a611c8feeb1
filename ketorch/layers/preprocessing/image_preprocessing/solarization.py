"""Solarization: invert the values above a random threshold, after a random brightening."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import check_value_range, saturate_cast

_MESSAGE = (
    "The `addition_factor` and `threshold_factor` arguments should be a number (or a list of "
    "two numbers) in the range [0, 1]. "
)


def unit_range(factor, name):
    """``(0, f)`` for a number, the sorted pair otherwise; values in ``[0, 1]``."""

    def check(v):
        if v > 1.0 or v < 0:
            raise ValueError(_MESSAGE + f"Received: {name}={factor}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(_MESSAGE + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        check(factor)
        return 0, factor
    raise ValueError(_MESSAGE + f"Received: {name}={factor}")


class Solarization(BaseImagePreprocessingLayer):
    """Solarize images in training: add a random offset, then invert values above a random
    threshold (working on a ``[0, 255]`` scale).

    Per image, ``addition`` is drawn from ``[lower, upper * 255]`` of ``addition_factor`` and
    ``threshold`` from ``[lower, upper * 255]`` of ``threshold_factor``; each value becomes
    ``v = clip(x + addition, 0, 255)`` and then ``v`` if ``v < threshold`` else
    ``255 - v``. With both factors 0 every value at or above 0 is inverted.

    Args:
        addition_factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``.
        threshold_factor: ``f`` or a pair in ``[0, 1]``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.Solarization()(np.array([[[[0.0], [200.0]]]], "float32")).flatten().tolist()
        [255.0, 55.0]
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)
        self.addition_factor = unit_range(addition_factor, "addition_factor")
        self.threshold_factor = unit_range(threshold_factor, "threshold_factor")
        self.value_range = check_value_range(value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = (int(images.shape[0]), 1, 1, 1) if images.ndim == 4 else (1, 1, 1)
        seed = self._seed_source(seed)
        additions = krandom.uniform(
            shape,
            self.addition_factor[0],
            self.addition_factor[1] * 255,
            seed=seed,
            dtype=self.compute_dtype,
        )
        thresholds = krandom.uniform(
            shape,
            self.threshold_factor[0],
            self.threshold_factor[1] * 255,
            seed=seed,
            dtype=self.compute_dtype,
        )
        return {"additions": additions, "thresholds": thresholds}

    def transform_images(self, images, transformation, training=True):
        images = images.to(self.torch_compute_dtype)
        if not training or transformation is None:
            return images
        x = self._transform_value_range(images, self.value_range, (0, 255), self.compute_dtype)
        out = (x + transformation["additions"].to(x.device)).clamp(0, 255)
        out = torch.where(out < transformation["thresholds"].to(x.device), out, 255 - out)
        out = self._transform_value_range(out, (0, 255), self.value_range, self.compute_dtype)
        if out.dtype == images.dtype:
            return out
        if not images.dtype.is_floating_point:
            out = torch.round(out)
        return saturate_cast(out, images.dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor,
                "seed": self.seed,
            }
        )
        return config
