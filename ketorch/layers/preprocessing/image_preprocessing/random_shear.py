"""RandomShear: shear images along x and/or y by random amounts in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from . import bounding_boxes as bbox
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import apply_affine, image_size, symmetric_range
from .random_rotation import check_fill_and_interpolation

_MESSAGE = (
    "The `factor` argument should be a number (or a list of two numbers) in the range [0, 1.0]. "
)


def _shear_range(factor, name):
    """A number in ``[0, 1]`` means ``[-f, f]``; a pair is taken as the range itself (values in
    ``[-1, 1]``, so that a config's ``(-f, f)`` reads back)."""
    if isinstance(factor, (tuple, list)):
        return symmetric_range(factor, name, -1.0, 1.0, message=_MESSAGE)
    return symmetric_range(factor, name, 0.0, 1.0, message=_MESSAGE)


class RandomShear(BaseImagePreprocessingLayer):
    """Shear each image by random amounts in training.

    Per image, the x and y shear amounts are drawn from the factor ranges and share one
    random sign; output pixel ``(x, y)`` samples the input at
    ``(x + shear_x * y, shear_y * x + y)``.

    Args:
        x_factor: ``f`` (meaning ``[-f, f]``) or a pair in ``[0, 1]``: horizontal shear.
        y_factor: The same for the vertical shear.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomShear(0.2, 0.2, seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = _shear_range(x_factor, "x_factor")
        self.y_factor = _shear_range(y_factor, "y_factor")
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
        seed = self._seed_source(seed)
        dtype = self.compute_dtype
        invert = krandom.uniform((batch, 1), 0, 1, seed=seed, dtype=dtype)
        invert = torch.where(invert > 0.5, -torch.ones_like(invert), torch.ones_like(invert))
        shear_y = krandom.uniform((batch, 1), self.y_factor[0], self.y_factor[1], dtype, seed)
        shear_x = krandom.uniform((batch, 1), self.x_factor[0], self.x_factor[1], dtype, seed)
        shear = torch.cat([shear_x, shear_y], dim=1).to(self.torch_compute_dtype) * invert
        return {"shear_factor": shear, "input_shape": shape}

    @staticmethod
    def _shear_matrix(shear):
        ones = torch.ones_like(shear[:, 0])
        zeros = torch.zeros_like(ones)
        return torch.stack(
            [ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], dim=1
        )

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        shear = transformation["shear_factor"]
        return apply_affine(
            self, images, lambda b: self._shear_matrix(shear.to(b.device)), interpolation
        )

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = bbox.convert_format(
            bounding_boxes, self.bounding_box_format, "rel_xyxy", height=height, width=width
        )
        b = boxes["boxes"]
        shear = transformation["shear_factor"].to(b)
        sx, sy = shear[:, 0:1], shear[:, 1:2]
        if b.ndim == 2:
            sx, sy = sx.reshape(1), sy.reshape(1)
        x1, y1, x2, y2 = b.unbind(-1)
        # The hull of the sheared box, per the sign of each shear.
        nx1 = torch.where(sx < 0, x1 - sx * y1, x1 - sx * y2)
        nx2 = torch.where(sx < 0, x2 - sx * y2, x2 - sx * y1)
        ny1 = torch.where(sy > 0, y1 - sy * nx2, y1 - sy * nx1)
        ny2 = torch.where(sy > 0, y2 - sy * nx1, y2 - sy * nx2)
        boxes["boxes"] = torch.stack([nx1, ny1, nx2, ny2], dim=-1)
        boxes = bbox.clip_to_image_size(boxes, bounding_box_format="rel_xyxy")
        return bbox.convert_format(
            boxes, "rel_xyxy", self.bounding_box_format, height=height, width=width
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "x_factor": self.x_factor,
                "y_factor": self.y_factor,
                "fill_mode": self.fill_mode,
                "interpolation": self.interpolation,
                "seed": self.seed,
                "fill_value": self.fill_value,
                "data_format": self.data_format,
            }
        )
        return config
