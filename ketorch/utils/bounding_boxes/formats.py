"""``convert_format``: bounding boxes from one coordinate convention to another."""

from __future__ import annotations

from ...backend._core import torch_dtype
from ._common import as_tensor, join4, split4

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def to_corners(boxes, fmt, height, width):
    """Boxes in ``fmt`` as absolute ``(x1, y1, x2, y2)`` (``height``/``width`` broadcast
    against each coordinate, shaped ``(..., 1)``). The augmentation layers use it too."""
    a, b, c, d = split4(boxes)
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return join4(b, a, d, c)
    if fmt == "xywh":
        return join4(a, b, a + c, b + d)
    if fmt == "center_xywh":
        return join4(a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0)
    if fmt == "center_yxhw":
        return join4(b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0)
    if fmt == "rel_xyxy":
        return join4(a * width, b * height, c * width, d * height)
    if fmt == "rel_yxyx":
        return join4(b * width, a * height, d * width, c * height)
    if fmt == "rel_xywh":
        return join4(a * width, b * height, (a + c) * width, (b + d) * height)
    # rel_center_xywh
    return join4(
        (a - c / 2.0) * width,
        (b - d / 2.0) * height,
        (a + c / 2.0) * width,
        (b + d / 2.0) * height,
    )


def from_corners(boxes, fmt, height, width):
    """Absolute ``(x1, y1, x2, y2)`` boxes written in ``fmt``."""
    x1, y1, x2, y2 = split4(boxes)
    w, h = x2 - x1, y2 - y1
    cx, cy = x1 + w / 2.0, y1 + h / 2.0
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return join4(y1, x1, y2, x2)
    if fmt == "xywh":
        return join4(x1, y1, w, h)
    if fmt == "center_xywh":
        return join4(cx, cy, w, h)
    if fmt == "center_yxhw":
        return join4(cy, cx, h, w)
    if fmt == "rel_xyxy":
        return join4(x1 / width, y1 / height, x2 / width, y2 / height)
    if fmt == "rel_yxyx":
        return join4(y1 / height, x1 / width, y2 / height, x2 / width)
    if fmt == "rel_xywh":
        return join4(x1 / width, y1 / height, w / width, h / height)
    # rel_center_xywh
    return join4(cx / width, cy / height, w / width, h / height)


def convert_format(boxes, source: str, target: str, height=None, width=None, dtype="float32"):
    """Converts bounding boxes between coordinate formats.

    Formats (case-insensitive): ``"xyxy"`` (left, top, right, bottom), ``"yxyx"``,
    ``"xywh"`` (left, top, width, height), ``"center_xywh"``, ``"center_yxhw"``, and the
    relative ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"``, whose
    coordinates are fractions of the image ``width`` and ``height``.

    Args:
        boxes: Boxes of shape ``(..., 4)``, or a dict whose ``"boxes"`` entry holds them
            (the other entries are kept).
        source: Format of ``boxes``.
        target: Format to convert to.
        height: Image height; required when either format is relative.
        width: Image width; required when either format is relative.
        dtype: Data type of the result.

    Returns:
        The converted boxes as a tensor (or a dict with converted ``"boxes"``).

    Raises:
        ValueError: For an unknown format, a last dimension other than 4, or a
            relative format without ``height`` and ``width``.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> boxes = np.array([[10, 20, 30, 40]])
        >>> bounding_boxes.convert_format(boxes, source="xyxy", target="xywh")
        tensor([[10., 20., 20., 20.]])
        >>> bounding_boxes.convert_format(
        ...     boxes, source="xyxy", target="rel_xyxy", height=200, width=100
        ... )
        tensor([[0.1000, 0.1000, 0.3000, 0.2000]])
    """
    if isinstance(boxes, dict):
        result = dict(boxes)
        result["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return result
    tensor = as_tensor(boxes)
    if tensor.ndim == 0 or tensor.shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={tuple(tensor.shape)}"
        )
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(
            f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}. "
            f"Received: source={source!r}, target={target!r}"
        )
    relative = source.startswith("rel_") or target.startswith("rel_")
    if relative and (height is None or width is None):
        raise ValueError(
            "convert_format() needs `height` and `width` to convert between relative and "
            f"absolute formats. Received: source={source!r}, target={target!r}, "
            f"height={height}, width={width}"
        )
    tdtype = torch_dtype(dtype)
    tensor = tensor.to(tdtype)
    if source == target:
        return tensor
    if width is not None:
        width = as_tensor(width).to(tdtype)
    if height is not None:
        height = as_tensor(height).to(tdtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    corners = to_corners(tensor, source, height, width)
    return from_corners(corners, target, height, width)


__all__ = ["SUPPORTED_FORMATS", "convert_format"]
