"""RandomGaussianBlur: blur images with a random Gaussian (with some probability)."""

from __future__ import annotations

import torch

from .... import random as krandom
from ....ops import image as image_ops
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import bounded_range
from .random_color_degeneration import _batch_or_fail


def _odd_pair(value, name):
    message = f"{name} must be an odd number. Received: {name}={value}"
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"The `{name}` argument should be a number (or a list of two numbers) "
                f"Received: {name}={value}"
            )
        if value[0] % 2 == 0 or value[1] % 2 == 0:
            raise ValueError(message)
        return value[0], value[1]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value % 2 == 0:
            raise ValueError(message)
        return value, value
    raise ValueError(message)


class RandomGaussianBlur(BaseImagePreprocessingLayer):
    """Blur images with a Gaussian kernel of random width (training only).

    Per call, the blur's standard deviations (x and y) are drawn from ``sigma``; per image,
    the blur applies with a probability drawn from the factor range. Results are clipped to
    ``value_range``.

    Args:
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``: the probability range.
        kernel_size: An odd int or a pair of odd ints.
        sigma: ``s`` (meaning ``[0, s]``) or a pair in ``[0, 1]``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomGaussianBlur(seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        kernel_size=3,
        sigma=1.0,
        value_range=(0, 255),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = _odd_pair(kernel_size, "kernel_size")
        self.sigma = bounded_range(sigma, "sigma", self._FACTOR_BOUNDS)
        self.value_range = value_range
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = _batch_or_fail(images)
        seed = self._seed_source(seed)
        probability = krandom.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = krandom.uniform((batch,), 0.0, 1.0, seed=seed)
        sigma = krandom.uniform(
            (2,), self.sigma[0], self.sigma[1], seed=seed, dtype=self.compute_dtype
        )
        return {"should_apply_blur": threshold < probability, "blur_factor": sigma + 1e-6}

    def transform_images(self, images, transformation=None, training=True):
        images = images.to(self.torch_compute_dtype)
        if not training or transformation is None:
            return images
        blurred = image_ops.gaussian_blur(
            images,
            kernel_size=self.kernel_size,
            sigma=transformation["blur_factor"].to(images.device),
            data_format=self.data_format,
        )
        apply = transformation["should_apply_blur"].to(images.device).reshape(-1, 1, 1, 1)
        out = torch.where(apply, blurred, images)
        return out.clamp(self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "kernel_size": self.kernel_size,
                "sigma": self.sigma,
                "value_range": self.value_range,
                "seed": self.seed,
            }
        )
        return config
