"""Resizing: resize images to a fixed size (always on, in training and inference)."""

from __future__ import annotations

import torch

from ....ops import image as image_ops
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .bounding_boxes import clip_to_image_size, convert_format
from .image_utils import image_size, saturate_cast


class Resizing(BaseImagePreprocessingLayer):
    """Resize images to ``(height, width)``.

    Integer images are resized in float and rounded back to their dtype; float images keep
    theirs. By default the aspect ratio is not kept; ``crop_to_aspect_ratio=True`` first crops
    the largest centred window of the target aspect ratio, ``pad_to_aspect_ratio=True`` first
    pads the short side evenly with ``fill_value``.

    Args:
        height: Output height.
        width: Output width.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``, ``"lanczos3"``
            or ``"lanczos5"``.
        crop_to_aspect_ratio: Crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: Pad to the target aspect ratio before resizing.
        fill_mode: Padding mode for ``pad_to_aspect_ratio``; only ``"constant"``.
        fill_value: Padding value for ``pad_to_aspect_ratio``.
        antialias: Low-pass filter the image when downsampling.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Input shape:
        ``(..., height, width, channels)`` (3D or 4D), channels last by default.

    Output shape:
        ``(..., target_height, target_width, channels)``.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.Resizing(4, 6)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 4, 6, 3])
    """

    _USE_BASE_FACTOR = False
    _jit_unfriendly = None  # deterministic tensor ops

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        return image_size(images.shape, self.data_format)

    def _transform_images(self, images, transformation, interpolation):
        resized = image_ops.resize(
            images,
            size=(self.height, self.width),
            interpolation=interpolation,
            antialias=self.antialias,
            data_format=self.data_format,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
        )
        if resized.dtype == images.dtype:
            return resized
        if not images.dtype.is_floating_point:
            resized = torch.round(resized)
        return saturate_cast(resized, images.dtype)

    def transform_images(self, images, transformation=None, training=True):
        return self._transform_images(images, transformation, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return self._transform_images(segmentation_masks, transformation, "nearest")

    def transform_labels(self, labels, transformation=None, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        in_h, in_w = transformation
        boxes = bounding_boxes["boxes"]
        empty = (boxes == -1).all(-1) | (boxes == 0).all(-1)
        bounding_boxes = convert_format(
            bounding_boxes, self.bounding_box_format, "xyxy", height=in_h, width=in_w
        )
        bounding_boxes["boxes"] = self._resize_xyxy(bounding_boxes["boxes"], in_h, in_w)
        bounding_boxes = clip_to_image_size(bounding_boxes, height=self.height, width=self.width)
        bounding_boxes["boxes"] = torch.where(
            empty.unsqueeze(-1), torch.zeros_like(bounding_boxes["boxes"]), bounding_boxes["boxes"]
        )
        return convert_format(
            bounding_boxes,
            "xyxy",
            self.bounding_box_format,
            height=self.height,
            width=self.width,
        )

    def _resize_xyxy(self, boxes, in_h, in_w):
        """Box corners in the output image (the same crop/pad rule as the images)."""
        if self.pad_to_aspect_ratio:
            ratio = min(self.height / in_h, self.width / in_w)
            dy = (self.height - in_h * ratio) // 2
            dx = (self.width - in_w * ratio) // 2
            sx = sy = ratio
        elif self.crop_to_aspect_ratio:
            src, dst = in_w / in_h, self.width / self.height
            new_w = self.height * src if src > dst else self.width
            new_h = self.height if src > dst else self.width / src
            sx, sy = new_w / in_w, new_h / in_h
            dx, dy = -((new_w - self.width) // 2), -((new_h - self.height) // 2)
        else:
            sx, sy, dx, dy = self.width / in_w, self.height / in_h, 0.0, 0.0
        scale = torch.tensor([sx, sy, sx, sy], dtype=boxes.dtype, device=boxes.device)
        shift = torch.tensor([dx, dy, dx, dy], dtype=boxes.dtype, device=boxes.device)
        return boxes * scale + shift

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        first = len(shape) - 3 + (1 if self.data_format == "channels_first" else 0)
        shape[first] = self.height
        shape[first + 1] = self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "height": self.height,
                "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "antialias": self.antialias,
                "data_format": self.data_format,
            }
        )
        return config
