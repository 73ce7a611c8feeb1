"""RandomFlip: flip images horizontally and/or vertically at random in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .bounding_boxes import clip_to_image_size, convert_format
from .image_utils import image_size

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(BaseImagePreprocessingLayer):
    """Flip each image left-right and/or top-bottom with probability 1/2 in training.

    With ``mode="horizontal_and_vertical"`` one draw per image decides both flips (an image
    is either unchanged or rotated by 180 degrees), as in Keras. At inference the images
    pass through unchanged (cast to the layer's float dtype).

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"`` (default).
        seed: Integer seed of the layer's :class:`ketorch.random.SeedGenerator`.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``bounding_box_format``, ``name``, ...).

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> x = np.arange(4.0).reshape(1, 2, 2, 1)
        >>> bool((layers.RandomFlip()(x, training=False).numpy() == x).all())
        True
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if mode not in (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL):
            raise ValueError(
                "RandomFlip layer mode must be one of 'horizontal', 'vertical' or "
                f"'horizontal_and_vertical'. Received: mode={mode!r}"
            )
        self.mode = mode
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        draws = krandom.uniform(flips_shape, seed=self._seed_source(seed))
        return {"flips": draws <= 0.5, "input_shape": shape}

    def transform_images(self, images, transformation, training=True):
        images = images.to(self.torch_compute_dtype)
        if training:
            return self._flip(images, transformation)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def _flip(self, images, transformation):
        if transformation is None:
            return images
        flips = transformation["flips"].to(images.device)
        unbatched = images.ndim == 3
        if unbatched:
            images = images.unsqueeze(0)
        h_axis, w_axis = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        out = images
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = torch.where(flips, out.flip(w_axis), out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = torch.where(flips, out.flip(h_axis), out)
        return out.squeeze(0) if unbatched else out

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        flips = transformation["flips"].reshape(-1, 1, 1).to(bounding_boxes["boxes"].device)
        if bounding_boxes["boxes"].ndim == 2:
            flips = flips.reshape(-1, 1)
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = convert_format(
            bounding_boxes, self.bounding_box_format, "rel_xyxy", height=height, width=width
        )
        b = boxes["boxes"]
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x1, y1, x2, y2 = b.unbind(-1)
            b = torch.where(flips, torch.stack([1 - x2, y1, 1 - x1, y2], -1), b)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            x1, y1, x2, y2 = b.unbind(-1)
            b = torch.where(flips, torch.stack([x1, 1 - y2, x2, 1 - y1], -1), b)
        boxes["boxes"] = b
        boxes = clip_to_image_size(boxes, bounding_box_format="rel_xyxy")
        return convert_format(
            boxes, "rel_xyxy", self.bounding_box_format, height=height, width=width
        )

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "mode": self.mode, "data_format": self.data_format})
        return config
