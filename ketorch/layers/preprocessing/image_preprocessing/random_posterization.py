"""RandomPosterization: keep only the top bits of each 8-bit value, a random count."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import check_value_range
from .random_color_degeneration import _batch_or_fail


class RandomPosterization(BaseImagePreprocessingLayer):
    """Reduce each image to ``b`` bits per channel, ``b`` drawn per image (training).

    Values are mapped to ``[0, 255]``, truncated to 8-bit integers, their low ``8 - b``
    bits cleared, and mapped back to ``value_range``.

    Args:
        factor: ``b`` (meaning ``[1, b]``) or a pair, within ``[1, 8]``: the number of bits
            kept (drawn from ``[lower, upper)``; a single value when both are equal).
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layer = layers.RandomPosterization(factor=(2, 2))
        >>> layer(np.array([[[[255.0], [100.0]]]], "float32")).flatten().tolist()
        [192.0, 64.0]
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(value_range)
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        batch = _batch_or_fail(images)
        if self.factor[0] != self.factor[1]:
            bits = krandom.randint(
                (batch,),
                self.factor[0],
                self.factor[1],
                seed=self._seed_source(seed),
                dtype="uint8",
            )
        else:
            bits = torch.full((batch,), int(self.factor[0]), dtype=torch.uint8)
        return {"shift_factor": self._MAX_FACTOR - bits}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        shift = transformation["shift_factor"].to(images.device).reshape(-1, 1, 1, 1)
        x = self._transform_value_range(images, self.value_range, (0, 255), self.compute_dtype)
        x = x.to(torch.uint8)
        x = torch.bitwise_left_shift(torch.bitwise_right_shift(x, shift), shift)
        x = x.to(self.torch_compute_dtype)
        return self._transform_value_range(x, (0, 255), self.value_range, self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
