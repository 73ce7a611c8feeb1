"""RandomZoom: zoom images in or out by a random factor in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from . import bounding_boxes as bbox
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import apply_affine, image_size, symmetric_range
from .random_rotation import check_fill_and_interpolation

_ZOOM_MESSAGE = (
    "The `height_factor` and `width_factor` arguments should be a number (or a list of two "
    "numbers) in the range (-1.0, 1.0]. "
)


def apply_point_transform(x, y, transform):
    """Where the ``(batch, 8)`` projective ``transform`` sends the point ``(x, y)``."""
    a0, a1, a2, b0, b1, b2, c0, c1 = transform.split(1, dim=-1)
    k = c0 * x + c1 * y + 1
    return (a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k


class RandomZoom(BaseImagePreprocessingLayer):
    """Zoom each image about its centre by a random factor in training.

    The zoom is ``1 + u`` with ``u`` uniform in the factor range: a negative factor zooms in
    (the output shows a smaller part of the image, enlarged), a positive one zooms out.
    Without ``width_factor`` both axes use the same draw, keeping the aspect ratio.

    Args:
        height_factor: ``f`` (meaning ``[-f, f]``) or ``(lower, upper)``, each in
            ``(-1, 1]``.
        width_factor: As ``height_factor`` for the width; ``None`` keeps the aspect ratio.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Integer seed.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomZoom(0.2, seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height_factor,
        width_factor=None,
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
            height_factor, "height_factor", -1.0, 1.0, low_open=True, message=_ZOOM_MESSAGE
        )
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = symmetric_range(
                width_factor, "width_factor", -1.0, 1.0, low_open=True, message=_ZOOM_MESSAGE
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
        zoom_shape = (shape[0], 1) if len(shape) == 4 else (1, 1)
        seed = self._seed_source(seed)
        height_zoom = krandom.uniform(
            zoom_shape, 1.0 + self.height_lower, 1.0 + self.height_upper, seed=seed
        )
        if self.width_factor is not None:
            width_zoom = krandom.uniform(
                zoom_shape, 1.0 + self.width_lower, 1.0 + self.width_upper, seed=seed
            )
        else:
            width_zoom = height_zoom
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": shape}

    def _zoom_matrix(self, transformation, height, width):
        zooms = torch.cat([transformation["width_zoom"], transformation["height_zoom"]], 1).float()
        zx, zy = zooms[:, 0:1], zooms[:, 1:]
        zeros = torch.zeros_like(zx)
        x_offset = (float(width) - 1.0) / 2.0 * (1.0 - zx)
        y_offset = (float(height) - 1.0) / 2.0 * (1.0 - zy)
        return torch.cat([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], dim=1)

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images

        def matrix_of(batch):
            height, width = image_size(batch.shape, self.data_format)
            return self._zoom_matrix(transformation, height, width).to(batch.device)

        return apply_affine(self, images, matrix_of, interpolation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = bbox.convert_format(
            bounding_boxes, self.bounding_box_format, "xyxy", height=height, width=width
        )
        transform = self._zoom_matrix(transformation, height, width)
        transform = transform.to(boxes["boxes"].device)
        w_start, h_start = apply_point_transform(0, 0, transform)
        w_end, h_end = apply_point_transform(width, height, transform)
        if boxes["boxes"].ndim == 2:  # one image: boxes (n, 4), window sizes (1, 1)
            w_start, h_start, w_end, h_end = (
                v.reshape(1) for v in (w_start, h_start, w_end, h_end)
            )
        x1, y1, x2, y2 = boxes["boxes"].unbind(-1)
        boxes["boxes"] = torch.stack(
            [
                torch.minimum(torch.maximum(x1, w_start), w_end) - w_start,
                torch.minimum(torch.maximum(y1, h_start), h_end) - h_start,
                torch.minimum(torch.maximum(x2, w_start), w_end) - w_start,
                torch.minimum(torch.maximum(y2, h_start), h_end) - h_start,
            ],
            dim=-1,
        )
        new_h, new_w = h_end - h_start, w_end - w_start
        boxes = bbox.convert_format(boxes, "xyxy", "rel_xyxy", height=new_h, width=new_w)
        boxes = bbox.clip_to_image_size(boxes, bounding_box_format="rel_xyxy")
        return bbox.convert_format(
            boxes, "rel_xyxy", self.bounding_box_format, height=height, width=width
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
