"""MaxNumBoundingBoxes: pad or truncate the boxes of each image to a fixed count."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Give every image exactly ``max_number`` boxes: extra boxes are dropped, missing ones
    are padded with ``fill_value`` (boxes and labels alike). Images pass through.

    Args:
        max_number: The number of boxes per image.
        fill_value: The padding value (default -1).
        **kwargs: Base layer arguments (``bounding_box_format``, ...).

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
        >>> out = layer({"images": np.zeros((1, 4, 4, 3), "float32"),
        ...              "bounding_boxes": {"boxes": np.ones((1, 1, 4), "float32"),
        ...                                 "labels": np.array([[2]])}})
        >>> out["bounding_boxes"]["labels"].tolist()
        [[2, -1, -1]]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_number, bool) or not isinstance(max_number, (int, np.integer)):
            raise ValueError(
                f"`max_number` must be a positive integer. Received: max_number={max_number!r}"
            )
        if max_number <= 0:
            raise ValueError(
                f"`max_number` must be a positive integer. Received: max_number={max_number}"
            )
        if isinstance(fill_value, bool) or not isinstance(fill_value, (int, float, np.number)):
            raise ValueError(f"`fill_value` must be a number. Received: fill_value={fill_value!r}")
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def transform_images(self, images, transformation=None, training=True):
        return images

    def transform_labels(self, labels, transformation=None, training=True):
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        pad = max(self.max_number - int(boxes.shape[1]), 0)
        boxes = F.pad(boxes[:, : self.max_number], (0, 0, 0, pad), value=self.fill_value)
        labels = F.pad(labels[:, : self.max_number], (0, pad), value=self.fill_value)
        out = dict(bounding_boxes)
        out["boxes"] = boxes.reshape(-1, self.max_number, 4)
        out["labels"] = labels.reshape(-1, self.max_number)
        return out

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            extra = set(input_shape["bounding_boxes"]) - {"boxes", "labels"}
            if extra:
                raise KeyError(
                    f"There are unsupported keys in `bounding_boxes`: {list(extra)}. Only "
                    "`boxes` and `labels` are supported."
                )
            boxes = list(input_shape["bounding_boxes"]["boxes"])
            labels = list(input_shape["bounding_boxes"]["labels"])
            boxes[1] = labels[1] = self.max_number
            input_shape = dict(input_shape)
            input_shape["bounding_boxes"] = {"boxes": tuple(boxes), "labels": tuple(labels)}
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_number": self.max_number})
        return config
