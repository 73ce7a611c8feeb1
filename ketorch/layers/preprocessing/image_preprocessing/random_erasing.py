"""RandomErasing: blank out a random rectangle of images in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .cut_mix import box_masks
from .image_utils import bounded_range
from .random_color_degeneration import _batch_or_fail


class RandomErasing(BaseImagePreprocessingLayer):
    """Fill a random rectangle of each image (with some probability) in training.

    Per image, the rectangle's width and height are ``sqrt(u)`` of the image's, ``u`` drawn
    from ``scale``, at a random position; it is erased with a probability drawn from the
    factor range. The fill is ``fill_value`` (a number or one value per channel), or
    Gaussian noise scaled by the range's maximum when ``None``, clipped to ``value_range``.

    Args:
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``: the probability range.
        scale: ``s`` or a pair in ``[0, 1]`` (default ``(0.02, 0.33)``): the size range.
        fill_value: ``None`` (noise), a number, or 3 numbers.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomErasing(seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = bounded_range(scale, "scale", self._FACTOR_BOUNDS)
        self.fill_value = fill_value
        self.value_range = value_range
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def _crop_bounds(self, batch, length, ratio, seed):
        crop = (ratio * length).to(self.torch_compute_dtype)
        start = krandom.uniform((batch,), 0, 1, dtype=self.compute_dtype, seed=seed)
        start = start * (length - crop)
        return start, start + crop

    def _fill(self, images, shape, seed):
        fill = self.fill_value
        if fill is None:
            fill = krandom.normal(shape, dtype=self.compute_dtype, seed=seed) * self.value_range[1]
        elif isinstance(fill, (tuple, list)):
            if len(fill) != 3:
                raise ValueError(
                    "The `fill_value` argument should be a number (or a list of three numbers) "
                )
            values = torch.tensor(fill, dtype=self.torch_compute_dtype)
            if self.data_format == "channels_first":
                values = values.reshape(3, 1, 1)
            fill = values.expand(shape).clone()
        elif isinstance(fill, (int, float)):
            fill = torch.full(shape, float(fill), dtype=self.torch_compute_dtype)
        else:
            raise ValueError(
                "The `fill_value` argument should be a number (or a list of three numbers) "
            )
        return fill.clamp(self.value_range[0], self.value_range[1])

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = _batch_or_fail(images)
        shape = tuple(images.shape)
        height, width = shape[self._height_axis], shape[self._width_axis]
        seed = self._seed_source(seed)
        sizes = torch.sqrt(
            krandom.uniform(
                (batch, 2), self.scale[0], self.scale[1], dtype=self.compute_dtype, seed=seed
            )
        )
        x0, x1 = self._crop_bounds(batch, width, sizes[:, 0], seed)
        y0, y1 = self._crop_bounds(batch, height, sizes[:, 1], seed)
        mask_shape = shape if len(shape) == 4 else (1, *shape)
        masks = box_masks(mask_shape, self.data_format, x0, x1, y0, y1, self.torch_compute_dtype)
        probability = krandom.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = krandom.uniform((batch,), 0.0, 1.0, seed=seed)
        return {
            "apply_erasing": threshold < probability,
            "batch_masks": masks,
            "fill_value": self._fill(images, shape, seed),
        }

    def transform_images(self, images, transformation=None, training=True):
        images = images.to(self.torch_compute_dtype)
        if not training:
            return images
        device = images.device
        fill = transformation["fill_value"].to(device=device, dtype=images.dtype)
        fill = fill.reshape(images.shape) if fill.numel() == images.numel() else fill
        erased = torch.where(transformation["batch_masks"].to(device), fill, images)
        apply = transformation["apply_erasing"].to(device).reshape(-1, 1, 1, 1)
        return torch.where(apply, erased, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "fill_value": self.fill_value,
                "value_range": self.value_range,
                "seed": self.seed,
            }
        )
        return config
