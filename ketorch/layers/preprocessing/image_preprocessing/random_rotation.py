"""RandomRotation: rotate images by a random angle in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from ....ops import image as image_ops
from . import bounding_boxes as bbox
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import image_size

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def check_fill_and_interpolation(fill_mode, interpolation, fill_modes=FILL_MODES):
    if fill_mode not in fill_modes:
        raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {fill_modes}.")
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}."
        )


class RandomRotation(BaseImagePreprocessingLayer):
    """Rotate each image about its centre by a random angle in training.

    The angle is drawn uniformly from ``[lower * 360, upper * 360]`` degrees (positive is
    counter-clockwise); points outside the input are filled according to ``fill_mode``. At
    inference the images pass through (cast to the layer's float dtype).

    Args:
        factor: A fraction of a full turn: ``f`` means ``[-f, f]``, a pair ``(lower, upper)``
            gives the range directly (e.g. ``0.1`` rotates by up to 36 degrees either way).
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Integer seed.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomRotation(0.1, seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        check_fill_and_interpolation(fill_mode, interpolation)
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        batch = shape[0] if len(shape) == 4 else 1
        height, width = image_size(shape, self.data_format)
        angle = krandom.uniform(
            (batch,),
            minval=self.factor[0] * 360.0,
            maxval=self.factor[1] * 360.0,
            seed=self._seed_source(seed),
        )
        zeros = torch.zeros((batch,), device=angle.device)
        matrix = self._compute_affine_matrix(
            0.5, 0.5, angle, zeros, zeros, torch.ones_like(zeros), zeros, zeros, height, width
        )
        if len(shape) == 3:
            matrix = matrix.squeeze(0)
        return {
            "angle": angle,
            "rotation_matrix": matrix,
            "image_height": height,
            "image_width": width,
            "batch_size": batch,
        }

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        return image_ops.affine_transform(
            images,
            transformation["rotation_matrix"],
            interpolation=interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = transformation["image_height"], transformation["image_width"]
        angle = transformation["angle"]
        zeros = torch.zeros_like(angle)
        boxes = bbox.convert_format(
            bounding_boxes, self.bounding_box_format, "xyxy", height=height, width=width
        )
        boxes["boxes"] = bbox.affine_transform(
            boxes["boxes"],
            angle,
            zeros,
            zeros,
            torch.ones_like(angle),
            zeros,
            zeros,
            height,
            width,
        )
        boxes = bbox.clip_to_image_size(boxes, height=height, width=width)
        return bbox.convert_format(
            boxes, "xyxy", self.bounding_box_format, height=height, width=width
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "data_format": self.data_format,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "interpolation": self.interpolation,
                "seed": self.seed,
            }
        )
        return config
