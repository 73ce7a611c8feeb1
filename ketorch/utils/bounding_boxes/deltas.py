"""Box regression targets: boxes encoded as deltas from anchors, and decoded back."""

from __future__ import annotations

import torch

from ...backend._core import epsilon
from ._common import as_tensor
from .formats import convert_format

_ENCODINGS = ("center_xywh", "center_yxhw")


def _check(variance, encoding: str, arg: str):
    if variance is not None:
        variance = as_tensor(variance, torch.float32)
        if variance.shape[-1] != 4:
            raise ValueError(f"`variance` must be length 4. Received: variance={variance}")
    if encoding not in _ENCODINGS:
        raise ValueError(
            f"`{arg}` should be one of 'center_xywh' or 'center_yxhw'. Received: {arg}={encoding!r}"
        )
    return variance


def _image_hw(image_shape):
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(
    anchors,
    boxes,
    anchor_format: str,
    box_format: str,
    encoding_format: str = "center_yxhw",
    variance=None,
    image_shape=None,
):
    """Encodes boxes as offsets and log-scales relative to anchors.

    Both are converted to ``encoding_format`` (a center format); the deltas are the center
    offset divided by the anchor size and the log of the size ratio, optionally divided by
    ``variance``.

    Args:
        anchors: Anchor boxes, shape ``(N, 4)``.
        boxes: Boxes to encode, shape ``(N, 4)`` or ``(batch, N, 4)``.
        anchor_format: Format of ``anchors``.
        box_format: Format of ``boxes``.
        encoding_format: ``"center_yxhw"`` (default) or ``"center_xywh"``.
        variance: Optional 4 scale factors that divide the deltas.
        image_shape: ``(height, width, channels)``, needed for relative formats.

    Returns:
        The deltas, shaped like ``boxes``.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> anchors = np.array([[0.0, 0, 10, 10]])
        >>> bounding_boxes.encode_box_to_deltas(
        ...     anchors, np.array([[1.0, 2, 11, 12]]), "xyxy", "xyxy")
        tensor([[0.2000, 0.1000, 0.0000, 0.0000]])
    """
    variance = _check(variance, encoding_format, "encoding_format")
    height, width = _image_hw(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_size = torch.clamp(anchors[..., 2:], min=epsilon())
    box_size = torch.clamp(boxes[..., 2:], min=epsilon())
    deltas = torch.cat(
        [(boxes[..., :2] - anchors[..., :2]) / anchor_size, torch.log(box_size / anchor_size)],
        dim=-1,
    )
    return deltas / variance if variance is not None else deltas


def decode_deltas_to_boxes(
    anchors,
    boxes_delta,
    anchor_format: str,
    box_format: str,
    encoded_format: str = "center_yxhw",
    variance=None,
    image_shape=None,
):
    """Turns deltas back into boxes (the inverse of `encode_box_to_deltas`).

    Args:
        anchors: Anchor boxes of shape ``(N, 4)``, or a dict of them keyed by level.
        boxes_delta: Deltas of shape ``(N, 4)`` or ``(batch, N, 4)``, or a dict with the
            same keys as ``anchors``.
        anchor_format: Format of ``anchors``.
        box_format: Format of the returned boxes.
        encoded_format: ``"center_yxhw"`` (default) or ``"center_xywh"``.
        variance: Optional 4 scale factors that multiply the deltas.
        image_shape: ``(height, width, channels)``, needed for relative formats.

    Returns:
        The boxes in ``box_format`` (a dict of them when dicts were given).

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> anchors = np.array([[0.0, 0, 10, 10]])
        >>> bounding_boxes.decode_deltas_to_boxes(
        ...     anchors, np.array([[0.2, 0.1, 0.0, 0.0]]), "xyxy", "xyxy")
        tensor([[ 1.,  2., 11., 12.]])
    """
    variance = _check(variance, encoded_format, "encoded_format")
    height, width = _image_hw(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = as_tensor(delta)
        if variance is not None:
            delta = delta * variance
        centers = delta[..., :2] * anchor[..., 2:] + anchor[..., :2]
        sizes = torch.exp(delta[..., 2:]) * anchor[..., 2:]
        box = torch.cat([centers, sizes], dim=-1)
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
