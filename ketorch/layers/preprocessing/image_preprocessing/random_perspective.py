"""RandomPerspective: move the image corners at random (a projective warp) in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from ....ops import image as image_ops
from . import bounding_boxes as bbox
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import image_size

INTERPOLATIONS = ("nearest", "bilinear")


class RandomPerspective(BaseImagePreprocessingLayer):
    """Warp images by moving their four corners at random (training only).

    Per image, with a probability drawn from the factor range, each corner moves by up to
    ``scale / 2`` of its coordinates; the image follows the projective map between the
    corner sets, and points from outside the input get ``fill_value``.

    Args:
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``: the probability range.
        scale: In ``[0, 1]``, the corner displacement (relative).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_value: The value of points outside the input.
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomPerspective(seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
            raise ValueError(
                f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}"
            )
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}."
            )

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        batch = shape[0] if len(shape) == 4 else 1
        height, width = image_size(shape, self.data_format)
        seed = self._seed_source(seed)
        probability = krandom.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = krandom.uniform((batch,), 0.0, 1.0, seed=seed)
        offsets = krandom.uniform(
            (batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, dtype=self.compute_dtype, seed=seed
        )
        corners = torch.tensor(
            [[[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]],
            dtype=self.torch_compute_dtype,
            device=offsets.device,
        ).repeat(batch, 1, 1)
        return {
            "apply_perspective": threshold < probability,
            "start_points": corners,
            "end_points": corners + corners * offsets,
            "input_shape": shape,
        }

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        unbatched = images.ndim == 3
        if unbatched:
            images = images.unsqueeze(0)
        out = image_ops.perspective_transform(
            images,
            transformation["start_points"].to(images.device),
            transformation["end_points"].to(images.device),
            interpolation=interpolation,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        apply = transformation["apply_perspective"].to(images.device).reshape(-1, 1, 1, 1)
        out = torch.where(apply, out, images)
        return out.squeeze(0) if unbatched else out

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = bbox.convert_format(
            bounding_boxes, self.bounding_box_format, "xyxy", height=height, width=width
        )
        b = boxes["boxes"]
        start = transformation["start_points"].to(b.device)
        end = transformation["end_points"].to(b.device)
        # The image map sends output points to input points; boxes move the other way.
        rows = image_ops._homography(start, end).to(b.dtype)
        matrix = torch.cat([rows, torch.ones_like(rows[:, :1])], dim=1).reshape(-1, 3, 3)
        inverse = torch.linalg.inv(matrix)
        x1, y1, x2, y2 = b.unbind(-1)
        xs, ys = [], []
        for px, py in ((x1, y1), (x2, y2), (x1, y2), (x2, y1)):
            points = torch.stack([px, py, torch.ones_like(px)], dim=-1)  # (batch, n, 3)
            moved = torch.einsum("bij,bnj->bni", inverse, points)
            xs.append(moved[..., 0] / moved[..., 2])
            ys.append(moved[..., 1] / moved[..., 2])
        xs, ys = torch.stack(xs, -1), torch.stack(ys, -1)
        warped = torch.stack([xs.amin(-1), ys.amin(-1), xs.amax(-1), ys.amax(-1)], dim=-1)
        apply = transformation["apply_perspective"].to(b.device).reshape(-1, 1, 1)
        boxes["boxes"] = torch.where(apply, warped, b)
        boxes = bbox.clip_to_image_size(boxes, height=height, width=width)
        return bbox.convert_format(
            boxes, "xyxy", self.bounding_box_format, height=height, width=width
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "interpolation": self.interpolation,
                "fill_value": self.fill_value,
                "seed": self.seed,
            }
        )
        return config
