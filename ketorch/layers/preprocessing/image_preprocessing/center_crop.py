"""CenterCrop: crop the central window of images (always on)."""

from __future__ import annotations

import torch

from ....ops import image as image_ops
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .bounding_boxes import clip_to_image_size, convert_format
from .image_utils import image_size


def crop_window(in_h, in_w, height, width):
    """``(top, left, crop_h, crop_w)`` of the largest centred window of aspect ``width/height``."""
    crop_h = max(min(in_h, int(float(in_w * height) / width)), 1)
    crop_w = max(min(in_w, int(float(in_h * width) / height)), 1)
    return int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2), crop_h, crop_w


def crop_or_smart_resize(images, height, width, data_format, top=None, left=None):
    """Crop ``(height, width)`` at ``(top, left)`` (centred by default) when the image is large
    enough; otherwise crop the largest centred window of the target aspect ratio and resize
    it (bilinear) to the target size."""
    in_h, in_w = image_size(images.shape, data_format)
    if in_h < height or in_w < width:
        return image_ops.resize(
            images, (height, width), crop_to_aspect_ratio=True, data_format=data_format
        )
    top = (in_h - height) // 2 if top is None else top
    left = (in_w - width) // 2 if left is None else left
    if data_format == "channels_first":
        return images[..., top : top + height, left : left + width]
    return images[..., top : top + height, left : left + width, :]


class CenterCrop(BaseImagePreprocessingLayer):
    """Crop the central ``(height, width)`` window of images.

    Images smaller than the target are not padded: the largest centred window of the target
    aspect ratio is cropped and resized (bilinear) to the target size. The output is in the
    layer's float dtype.

    Args:
        height: Output height.
        width: Output width.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.CenterCrop(2, 2)(np.arange(16.0).reshape(4, 4, 1))[..., 0]
        tensor([[ 5.,  6.],
                [ 9., 10.]])
    """

    _USE_BASE_FACTOR = False
    _jit_unfriendly = None  # deterministic tensor ops

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        return {"input_shape": tuple(images.shape)}

    def transform_images(self, images, transformation=None, training=True):
        images = images.to(self.torch_compute_dtype)
        return crop_or_smart_resize(images, self.height, self.width, self.data_format)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        in_h, in_w = image_size(transformation["input_shape"], self.data_format)
        boxes = convert_format(
            bounding_boxes, self.bounding_box_format, "xyxy", height=in_h, width=in_w
        )
        if in_h >= self.height and in_w >= self.width:
            top, left = int((in_h - self.height) / 2), int((in_w - self.width) / 2)
            boxes = _crop_boxes(boxes, top, left, top + self.height, left + self.width)
        else:
            top, left, crop_h, crop_w = crop_window(in_h, in_w, self.height, self.width)
            boxes = _crop_boxes(boxes, top, left, top + crop_h, left + crop_w)
            boxes = convert_format(boxes, "xyxy", "rel_xyxy", height=crop_h, width=crop_w)
            boxes = convert_format(boxes, "rel_xyxy", "xyxy", height=self.height, width=self.width)
        boxes = clip_to_image_size(boxes, height=self.height, width=self.width)
        return convert_format(
            boxes, "xyxy", self.bounding_box_format, height=self.height, width=self.width
        )

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if len(shape) not in (3, 4) or isinstance(shape[0], (list, tuple)):
            raise ValueError(
                "`input_shape` must be a non-nested tuple or list of rank-1 with size 3 "
                f"(unbatched) or 4 (batched). Received: input_shape={input_shape}"
            )
        first = len(shape) - 3 + (1 if self.data_format == "channels_first" else 0)
        shape[first], shape[first + 1] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "data_format": self.data_format})
        return config


def _crop_boxes(bounding_boxes, top, left, bottom, right):
    """Clip ``"xyxy"`` boxes to a window and move them to its coordinates."""
    x1, y1, x2, y2 = bounding_boxes["boxes"].unbind(-1)
    boxes = [
        x1.clamp(left, right) - left,
        y1.clamp(top, bottom) - top,
        x2.clamp(left, right) - left,
        y2.clamp(top, bottom) - top,
    ]
    out = dict(bounding_boxes)
    out["boxes"] = torch.stack(boxes, dim=-1)
    return out
