"""RandomTranslation: shift images by a random offset in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from . import bounding_boxes as bbox
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import apply_affine, image_size, symmetric_range
from .random_rotation import check_fill_and_interpolation

_MESSAGE = (
    "The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. "
)


class RandomTranslation(BaseImagePreprocessingLayer):
    """Shift each image by a random fraction of its height and width in training.

    Args:
        height_factor: ``f`` (meaning ``[-f, f]``) or ``(lower, upper)`` in ``[-1, 1]``: the
            vertical shift as a fraction of the height (negative shifts up).
        width_factor: The same for the horizontal shift (negative shifts left).
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Integer seed.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layer = layers.RandomTranslation(0.2, 0.2, seed=1)
        >>> layer(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = symmetric_range(
            height_factor, "height_factor", -1.0, 1.0, message=_MESSAGE
        )
        self.width_factor = width_factor
        self.width_lower, self.width_upper = symmetric_range(
            width_factor, "width_factor", -1.0, 1.0, message=_MESSAGE
        )
        check_fill_and_interpolation(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        batch = shape[0] if len(shape) == 4 else 1
        height, width = image_size(shape, self.data_format)
        seed = self._seed_source(seed)
        dy = krandom.uniform((batch, 1), self.height_lower, self.height_upper, seed=seed) * height
        dx = krandom.uniform((batch, 1), self.width_lower, self.width_upper, seed=seed) * width
        return {"translations": torch.cat([dx, dy], dim=1).float(), "input_shape": shape}

    @staticmethod
    def _translation_matrix(translations):
        ones = torch.ones_like(translations[:, 0:1])
        zeros = torch.zeros_like(ones)
        return torch.cat(
            [ones, zeros, -translations[:, 0:1], zeros, ones, -translations[:, 1:], zeros, zeros],
            dim=1,
        )

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        shifts = transformation["translations"]
        return apply_affine(
            self, images, lambda b: self._translation_matrix(shifts.to(b.device)), interpolation
        )

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = bbox.convert_format(
            bounding_boxes, self.bounding_box_format, "xyxy", height=height, width=width
        )
        shift = transformation["translations"].to(boxes["boxes"])  # (batch, 2): dx, dy
        if boxes["boxes"].ndim == 3:
            shift = shift.unsqueeze(1)
        else:
            shift = shift.reshape(2)
        boxes["boxes"] = boxes["boxes"] + torch.cat([shift, shift], dim=-1)
        boxes = bbox.clip_to_image_size(boxes, height=height, width=width)
        return bbox.convert_format(
            boxes, "xyxy", self.bounding_box_format, height=height, width=width
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "height_factor": self.height_factor,
                "width_factor": self.width_factor,
                "fill_mode": self.fill_mode,
                "interpolation": self.interpolation,
                "seed": self.seed,
                "fill_value": self.fill_value,
                "data_format": self.data_format,
            }
        )
        return config
