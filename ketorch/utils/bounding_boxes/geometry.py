"""Geometric edits of ``xyxy`` boxes: clipping to the image, cropping, padding, affine maps."""

from __future__ import annotations

import math

import torch

from ._common import as_tensor, join4, split4


def _require_xyxy(bounding_box_format: str, allowed=("xyxy",)) -> None:
    if bounding_box_format not in allowed:
        raise NotImplementedError(
            f"Only the {' and '.join(repr(f) for f in allowed)} formats are supported. "
            f"Received: bounding_box_format={bounding_box_format!r}"
        )


def clip_to_image_size(bounding_boxes: dict, height=None, width=None, bounding_box_format="xyxy"):
    """Clips boxes to the image; boxes left with no area get the label -1.

    Args:
        bounding_boxes: A dict with ``"boxes"`` of shape ``(N, 4)`` or ``(batch, N, 4)`` and,
            optionally, ``"labels"`` of shape ``(N,)`` or ``(batch, N)``.
        height: Image height (required for ``"xyxy"``).
        width: Image width (required for ``"xyxy"``).
        bounding_box_format: ``"xyxy"`` or ``"rel_xyxy"`` (clipped to ``[0, 1]``).

    Returns:
        A new dict with the clipped ``"boxes"`` and updated ``"labels"``.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> out = bounding_boxes.clip_to_image_size(
        ...     {"boxes": np.array([[-10.0, -20, 150, 160], [130, 40, 170, 80]]),
        ...      "labels": np.array([0, 1])},
        ...     height=100, width=120)
        >>> out["boxes"]
        tensor([[  0.,   0., 120., 100.],
                [120.,  40., 120.,  80.]])
        >>> out["labels"]
        tensor([ 0, -1])
    """
    _require_xyxy(bounding_box_format, ("xyxy", "rel_xyxy"))
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError(
            "`height` and `width` must be set if `format='xyxy'`. "
            f"Received: height={height}, width={width}"
        )
    boxes = as_tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels", None)
    if bounding_box_format == "xyxy":
        x_max = as_tensor(width).to(boxes.dtype)
        y_max = as_tensor(height).to(boxes.dtype)
    else:
        x_max = y_max = torch.tensor(1.0, dtype=boxes.dtype)
    zero = torch.zeros((), dtype=boxes.dtype)
    x1, y1, x2, y2 = split4(boxes)
    boxes = join4(
        torch.clamp(x1, zero, x_max),
        torch.clamp(y1, zero, y_max),
        torch.clamp(x2, zero, x_max),
        torch.clamp(y2, zero, y_max),
    )
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if labels is not None:
        labels = as_tensor(labels)
        x1, y1, x2, y2 = split4(boxes)
        area = ((x2 - x1) * (y2 - y1)).squeeze(-1)
        result["labels"] = torch.where(area > 0, labels, torch.full_like(labels, -1))
    return result


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Moves boxes into the frame of a crop window and clips them to it.

    Args:
        boxes: ``xyxy`` boxes of shape ``(N, 4)`` or ``(batch, N, 4)``.
        top: Row of the crop window's top edge.
        left: Column of the crop window's left edge.
        height: Height of the crop window.
        width: Width of the crop window.
        bounding_box_format: Must be ``"xyxy"``.

    Returns:
        The cropped boxes.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> bounding_boxes.crop(np.array([[10.0, 20, 50, 60]]), top=10, left=20,
        ...                     height=40, width=30)
        tensor([[ 0., 10., 30., 40.]])
    """
    _require_xyxy(bounding_box_format)
    x1, y1, x2, y2 = split4(as_tensor(boxes))
    return join4(
        torch.clamp(x1 - left, 0, width),
        torch.clamp(y1 - top, 0, height),
        torch.clamp(x2 - left, 0, width),
        torch.clamp(y2 - top, 0, height),
    )


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Shifts boxes by the padding added above and to the left of the image.

    Args:
        boxes: ``xyxy`` boxes of shape ``(N, 4)`` or ``(batch, N, 4)``.
        top: Rows of padding added above.
        left: Columns of padding added on the left.
        height: Unused; accepted as in Keras.
        width: Unused; accepted as in Keras.
        bounding_box_format: Must be ``"xyxy"``.

    Returns:
        The shifted boxes.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> bounding_boxes.pad(np.array([[10.0, 20, 50, 60]]), top=5, left=2)
        tensor([[12., 25., 52., 65.]])
    """
    _require_xyxy(bounding_box_format)
    x1, y1, x2, y2 = split4(as_tensor(boxes))
    return join4(x1 + left, y1 + top, x2 + left, y2 + top)


def _inverse_affine_matrices(cx_frac, cy_frac, angle, tx, ty, scale, shear_x, shear_y, h, w):
    """``(batch, 3, 3)`` matrices mapping output pixels back to input pixels (the same
    inverse matrix that the image-side affine transform uses)."""
    to_rad = math.pi / 180.0
    cx = cx_frac * (w - 1)
    cy = cy_frac * (h - 1)
    rot = -angle * to_rad
    tx = -tx * (w - 1)
    ty = -ty * (h - 1)
    sx = -shear_x * to_rad
    sy = -shear_y * to_rad
    cos_sy, tan_sx = torch.cos(sy), torch.tan(sx)
    a = torch.cos(rot - sy) / cos_sy
    b = a * tan_sx + torch.sin(rot)
    c = -torch.sin(rot - sy) / cos_sy
    d = torch.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    shift_x, shift_y = cx + tx, cy + ty
    a2 = cx - a0 * shift_x - a1 * shift_y
    b2 = cy - b0 * shift_x - b1 * shift_y
    zeros, ones = torch.zeros_like(a0), torch.ones_like(a0)
    rows = [a0, a1, a2, b0, b1, b2, zeros, zeros, ones]
    return torch.stack(rows, dim=-1).reshape(-1, 3, 3)


def affine_transform(
    boxes,
    angle,
    translate_x,
    translate_y,
    scale,
    shear_x,
    shear_y,
    height,
    width,
    center_x=None,
    center_y=None,
    bounding_box_format="xyxy",
):
    """Maps boxes through a per-image affine transform and returns their enclosing boxes.

    The parameters are those of the random affine image augmentation: the four corners of
    each box go through the transform and the result is the axis-aligned box around them.

    Args:
        boxes: ``xyxy`` boxes of shape ``(batch, N, 4)`` (or ``(N, 4)`` for one image).
        angle: Rotation in degrees, shape ``(batch,)``.
        translate_x: Horizontal shift as a fraction of the width, shape ``(batch,)``.
        translate_y: Vertical shift as a fraction of the height, shape ``(batch,)``.
        scale: Zoom factor, shape ``(batch,)``.
        shear_x: Shear angle along x in degrees, shape ``(batch,)``.
        shear_y: Shear angle along y in degrees, shape ``(batch,)``.
        height: Image height.
        width: Image width.
        center_x: Center of the transform as a fraction of the width (default 0.5).
        center_y: Center of the transform as a fraction of the height (default 0.5).
        bounding_box_format: Must be ``"xyxy"``.

    Returns:
        The transformed boxes, shaped like ``boxes``.

    Example:
        >>> import numpy as np
        >>> from ketorch.utils import bounding_boxes
        >>> zero, one = np.zeros(1, "float32"), np.ones(1, "float32")
        >>> bounding_boxes.affine_transform(
        ...     np.array([[[10.0, 10, 20, 20]]]), angle=zero, translate_x=zero + 0.1,
        ...     translate_y=zero, scale=one, shear_x=zero, shear_y=zero,
        ...     height=101, width=101)
        tensor([[[20., 10., 30., 20.]]])
    """
    _require_xyxy(bounding_box_format)
    angle = as_tensor(angle)
    params = [as_tensor(p).to(angle.dtype) for p in (translate_x, translate_y, scale)]
    shears = [as_tensor(p).to(angle.dtype) for p in (shear_x, shear_y)]
    matrix = _inverse_affine_matrices(
        0.5 if center_x is None else center_x,
        0.5 if center_y is None else center_y,
        angle,
        *params,
        *shears,
        height,
        width,
    )
    boxes = as_tensor(boxes).to(matrix.dtype)
    unbatched = boxes.ndim == 2
    if unbatched:
        boxes = boxes[None]
    x1, y1, x2, y2 = boxes.unbind(-1)
    # corners (x1,y1) (x2,y1) (x2,y2) (x1,y2) in homogeneous coordinates: (B, N, 4, 3)
    xs = torch.stack([x1, x2, x2, x1], dim=-1)
    ys = torch.stack([y1, y1, y2, y2], dim=-1)
    points = torch.stack([xs, ys, torch.ones_like(xs)], dim=-1)
    moved = torch.einsum("bnkc,bdc->bnkd", points, matrix[:, :2, :])
    out = torch.cat([moved.amin(dim=2), moved.amax(dim=2)], dim=-1)
    return out[0] if unbatched else out
