"""RandomCrop: crop a random window in training, the central one at inference."""

from __future__ import annotations

import torch

from .... import random as krandom
from ....ops import image as image_ops
from . import bounding_boxes as bbox
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .center_crop import crop_window
from .image_utils import image_size


class RandomCrop(BaseImagePreprocessingLayer):
    """Crop images to ``(height, width)``: a random window in training.

    In training, one window position is drawn per call (shared by the batch) when the images
    are at least the target size. At inference -- and in training for images smaller than the
    target -- the largest centred window of the target aspect ratio is cropped and resized to
    the target size, so the output always has the target shape. The output is in the
    layer's float dtype.

    Args:
        height: Output height.
        width: Output width.
        seed: Integer seed (one is drawn when ``None``; it is part of the config).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomCrop(4, 4, seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 4, 4, 3])
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.seed = seed if seed is not None else krandom.make_default_seed()
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        """``(top, left, crop_height, crop_width)`` of the window to crop (then resized to
        the target size when it differs)."""
        images = data["images"] if isinstance(data, dict) else data
        in_h, in_w = image_size(images.shape, self.data_format)
        if training and in_h >= self.height and in_w >= self.width:
            seed = self._seed_source(seed)
            top = krandom.uniform((), 0, float(in_h - self.height + 1), seed=seed)
            left = krandom.uniform((), 0, float(in_w - self.width + 1), seed=seed)
            return int(top), int(left), self.height, self.width
        return crop_window(in_h, in_w, self.height, self.width)

    def _window(self, transformation):
        top, left, *size = transformation
        crop_h, crop_w = size if size else (self.height, self.width)
        return int(top), int(left), int(crop_h), int(crop_w)

    def transform_images(self, images, transformation, training=True):
        images = images.to(self.torch_compute_dtype)
        top, left, crop_h, crop_w = self._window(transformation)
        h_axis = images.ndim - 3 + (1 if self.data_format == "channels_first" else 0)
        crop = images.narrow(h_axis, top, min(crop_h, images.shape[h_axis] - top))
        crop = crop.narrow(h_axis + 1, left, min(crop_w, images.shape[h_axis + 1] - left))
        if tuple(crop.shape[h_axis : h_axis + 2]) != (self.height, self.width):
            crop = image_ops.resize(crop, (self.height, self.width), data_format=self.data_format)
        return crop

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        top, left, crop_h, crop_w = self._window(transformation)
        boxes = bbox.convert_format(
            bounding_boxes, self.bounding_box_format, "xyxy", height=self.height, width=self.width
        )
        b = boxes["boxes"]
        shift = torch.tensor([left, top, left, top], dtype=b.dtype, device=b.device)
        scale = torch.tensor(
            [self.width / crop_w, self.height / crop_h] * 2, dtype=b.dtype, device=b.device
        )
        boxes["boxes"] = (b - shift).clamp_min(0) * scale
        boxes = bbox.clip_to_image_size(boxes, height=self.height, width=self.width)
        return bbox.convert_format(
            boxes, "xyxy", self.bounding_box_format, height=self.height, width=self.width
        )

    def compute_output_shape(self, input_shape, *args, **kwargs):
        shape = list(input_shape)
        shape[self._height_axis] = self.height
        shape[self._width_axis] = self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "height": self.height,
                "width": self.width,
                "seed": self.seed,
                "data_format": self.data_format,
            }
        )
        return config
