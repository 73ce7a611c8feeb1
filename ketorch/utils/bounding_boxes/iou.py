"""Overlap measures between boxes: pairwise IoU tables and the Complete IoU (CIoU)."""

from __future__ import annotations

import math

import torch

from ...backend._core import epsilon
from ._common import as_tensor, split4
from .formats import convert_format


def _check_rank(boxes, name, ranks):
    if boxes.ndim not in (2, 3):
        raise ValueError(
            f"compute_iou() expects {name} to be batched (rank 3) or unbatched (rank 2). "
            f"Received: len(boxes1.shape)={ranks[0]}, len(boxes2.shape)={ranks[1]}"
        )


def compute_iou(
    boxes1,
    boxes2,
    bounding_box_format: str,
    use_masking: bool = False,
    mask_val=-1,
    image_shape=None,
):
    """The table of intersection-over-union values between two sets of boxes.

    Shapes: ``(M, 4)`` and ``(N, 4)`` give ``(M, N)``; when either set is batched,
    ``(batch, M, N)``.

    Args:
        boxes1: Boxes of shape ``(M, 4)`` or ``(batch, M, 4)``.
        boxes2: Boxes of shape ``(N, 4)`` or ``(batch, N, 4)``.
        bounding_box_format: Format of both sets (see `convert_format`).
        use_masking: Whether boxes whose coordinates are all negative (padding) get
            ``mask_val`` instead of an IoU.
        mask_val: The value written for masked pairs.
        image_shape: ``(height, width, channels)``, required for relative formats.

    Returns:
        The IoU table.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> a = np.array([[0.0, 0, 10, 10]])
        >>> b = np.array([[0.0, 0, 10, 10], [5.0, 0, 15, 10]])
        >>> bounding_boxes.compute_iou(a, b, "xyxy")
        tensor([[1.0000, 0.3333]])
    """
    boxes1, boxes2 = as_tensor(boxes1), as_tensor(boxes2)
    ranks = (boxes1.ndim, boxes2.ndim)
    _check_rank(boxes1, "boxes1", ranks)
    _check_rank(boxes2, "boxes2", ranks)
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "Relative bounding box formats (e.g. `rel_yxyx`) need the `image_shape` "
            f"argument. Received: image_shape={image_shape}"
        )
    height, width = (None, None) if image_shape is None else tuple(image_shape[:2])
    boxes1 = convert_format(boxes1, bounding_box_format, "yxyx", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "yxyx", height, width)
    y1a, x1a, y2a, x2a = split4(boxes1)  # (..., M, 1)
    y1b, x1b, y2b, x2b = (t.transpose(-1, -2) for t in split4(boxes2))  # (..., 1, N)
    inter_h = torch.clamp(torch.minimum(y2a, y2b) - torch.maximum(y1a, y1b), min=0)
    inter_w = torch.clamp(torch.minimum(x2a, x2b) - torch.maximum(x1a, x1b), min=0)
    intersection = inter_h * inter_w
    area1 = (y2a - y1a) * (x2a - x1a)
    area2 = (y2b - y1b) * (x2b - x1b)
    iou = intersection / (area1 + area2 - intersection + epsilon())
    if not use_masking:
        return iou
    padding1 = boxes1.amax(dim=-1, keepdim=True) < 0  # (..., M, 1)
    padding2 = (boxes2.amax(dim=-1, keepdim=True) < 0).transpose(-1, -2)  # (..., 1, N)
    fill = torch.full_like(iou, float(mask_val))
    return torch.where(padding1 | padding2, fill, iou)


def compute_ciou(boxes1, boxes2, bounding_box_format: str, image_shape=None):
    """The Complete IoU between matching boxes (elementwise, not a table).

    CIoU is the IoU minus a penalty for the distance between the box centers (relative to
    the enclosing box's diagonal) and for the difference in aspect ratio.

    Args:
        boxes1: Boxes of shape ``(..., 4)``.
        boxes2: Boxes of the same shape.
        bounding_box_format: An absolute format (relative ones are rejected, as in Keras).
        image_shape: Accepted for symmetry with `compute_iou`.

    Returns:
        The CIoU values, of shape ``boxes1.shape[:-1]``.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> a = np.array([[0.0, 0, 10, 10]])
        >>> bounding_boxes.compute_ciou(a, a, "xyxy")
        tensor([1.])
    """
    if "rel" in bounding_box_format:
        raise ValueError(
            "compute_ciou() does not support relative bounding box formats (e.g. `rel_yxyx`). "
            f"Received: bounding_box_format={bounding_box_format!r}, image_shape={image_shape}"
        )
    height, width = (None, None) if image_shape is None else tuple(image_shape[:2])
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    eps = epsilon()
    x1a, y1a, x2a, y2a = split4(boxes1)
    x1b, y1b, x2b, y2b = split4(boxes2)
    w1, h1 = x2a - x1a, y2a - y1a + eps
    w2, h2 = x2b - x1b, y2b - y1b + eps
    inter = torch.clamp(torch.minimum(x2a, x2b) - torch.maximum(x1a, x1b), min=0) * torch.clamp(
        torch.minimum(y2a, y2b) - torch.maximum(y1a, y1b), min=0
    )
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = (inter / (union + eps)).squeeze(-1)
    hull_w = torch.maximum(x2a, x2b) - torch.minimum(x1a, x1b)
    hull_h = torch.maximum(y2a, y2b) - torch.minimum(y1a, y1b)
    diagonal2 = (hull_w**2 + hull_h**2 + eps).squeeze(-1)
    center_dist2 = (
        ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    ).squeeze(-1)
    v = ((4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2).squeeze(-1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (center_dist2 / diagonal2 + v * alpha)
