"""Bounding-box helpers for the augmentation layers: formats, clipping, densifying.

Boxes are ``(..., 4)`` float tensors in one of Keras's formats: ``"xyxy"`` (corners),
``"yxyx"``, ``"xywh"`` (corner and size), ``"center_xywh"``, ``"center_yxhw"``, and the
relative forms ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"`` whose
coordinates are fractions of the image width and height.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ....backend import torch_dtype
from ....utils.bounding_boxes.formats import from_corners, to_corners

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


def _parts(boxes):
    return boxes.unbind(-1)


def _stack(*parts):
    return torch.stack(parts, dim=-1)


def _scalar(v, like):
    if v is None:
        return None
    if isinstance(v, torch.Tensor):  # per-image sizes, (batch, 1), broadcast over the boxes
        return v.to(device=like.device, dtype=like.dtype)
    return float(v)


def _coordinate_size(v, like):
    v = _scalar(v, like)
    return v.unsqueeze(-1) if isinstance(v, torch.Tensor) and v.ndim else v


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Convert boxes (a tensor, or a dict with a ``"boxes"`` key) between formats.

    Raises:
        ValueError: For an unknown format, a last axis other than 4, or a relative format
            without ``height`` and ``width``.
    """
    if isinstance(boxes, dict):
        out = dict(boxes)
        out["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return out
    if not isinstance(boxes, torch.Tensor):
        boxes = torch.as_tensor(np.asarray(boxes))
    if boxes.shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={tuple(boxes.shape)}"
        )
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}")
    if (source.startswith("rel_") or target.startswith("rel_")) and (
        width is None or height is None
    ):
        raise ValueError(
            "convert_format() must receive `height` and `width` transforming between relative "
            f"and absolute formats. Received: source={source!r}, target={target!r}, "
            f"height={height}, width={width}."
        )

    boxes = boxes.to(torch_dtype(dtype))
    if source == target:
        return boxes
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    # Per-image sizes come as (batch, 1) (or (1,) for one image); the conversion works on
    # coordinates shaped (..., 1), so they gain a trailing axis.
    height, width = (_coordinate_size(v, boxes) for v in (height, width))
    return from_corners(to_corners(boxes, source, height, width), target, height, width)


def compute_area(boxes):
    x1, y1, x2, y2 = _parts(boxes)
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clip ``"xyxy"`` (or ``"rel_xyxy"``) boxes to the image; empty boxes get label -1."""
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(f"Cannot clip boxes in format {bounding_box_format!r}.")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = bounding_boxes["boxes"]
    if bounding_box_format == "xyxy":
        w, h = _scalar(width, boxes), _scalar(height, boxes)
    else:
        w = h = 1.0
    x1, y1, x2, y2 = _parts(boxes)
    zero = torch.zeros((), dtype=boxes.dtype, device=boxes.device)

    def clip(v, hi):
        hi = hi if isinstance(hi, torch.Tensor) else torch.tensor(hi, dtype=v.dtype)
        return torch.minimum(torch.maximum(v, zero), hi.to(v.device))

    boxes = _stack(clip(x1, w), clip(y1, h), clip(x2, w), clip(y2, h))
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    labels = bounding_boxes.get("labels")
    if labels is not None:
        labels = torch.as_tensor(labels, device=boxes.device)
        result["labels"] = torch.where(compute_area(boxes) > 0, labels, torch.full_like(labels, -1))
    return result


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
):
    """The axis-aligned hulls of ``"xyxy"`` boxes moved by an affine image transform.

    The parameters are per image (``(batch,)``); angles in degrees, translations as
    fractions of the image size.
    """
    center_x = 0.5 if center_x is None else center_x
    center_y = 0.5 if center_y is None else center_y
    dtype = angle.dtype
    batch, n = boxes.shape[0], boxes.shape[1]
    to_rad = math.pi / 180.0
    rot = -angle * to_rad
    sx, sy = -shear_x * to_rad, -shear_y * to_rad
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    cos_sy, tan_sx = torch.cos(sy), torch.tan(sx)
    a = torch.cos(rot - sy) / cos_sy
    b = a * tan_sx + torch.sin(rot)
    c = -torch.sin(rot - sy) / cos_sy
    d = torch.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    matrix = torch.stack([a0, a1, a2, b0, b1, b2], dim=-1).reshape(batch, 2, 3)
    boxes = boxes.to(dtype)
    x1, y1, x2, y2 = _parts(boxes)
    corners = torch.stack(
        [torch.stack(p, -1) for p in ((x1, y1), (x2, y1), (x2, y2), (x1, y2))], dim=2
    )  # (batch, n, 4, 2)
    ones = torch.ones((batch, n, 4, 1), dtype=dtype, device=boxes.device)
    points = torch.cat([corners, ones], dim=-1)
    moved = torch.einsum("bnkj,bij->bnki", points, matrix)
    return torch.cat([moved.amin(dim=2), moved.amax(dim=2)], dim=-1)


def validate_bounding_boxes(bounding_boxes):
    if (
        not isinstance(bounding_boxes, dict)
        or "labels" not in bounding_boxes
        or "boxes" not in bounding_boxes
    ):
        raise ValueError(
            "Expected `bounding_boxes` argument to be a dict with keys 'boxes' and 'labels'. "
            f"Received: bounding_boxes={bounding_boxes}"
        )
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    if isinstance(boxes, list):
        if not isinstance(labels, list) or len(boxes) != len(labels):
            raise ValueError(
                "If `bounding_boxes['boxes']` is a list, `bounding_boxes['labels']` must be a "
                f"list of the same length. Received: bounding_boxes['labels']={labels}"
            )
        return
    rank, label_rank = np.ndim(boxes), np.ndim(labels)
    if rank == 2 and label_rank not in (1, 2) or rank == 3 and label_rank not in (2, 3):
        raise ValueError(
            f"Found bounding_boxes['boxes'] of rank {rank} and expected "
            f"bounding_boxes['labels'] to have rank {rank - 1} or {rank}, but received rank "
            f"{label_rank}."
        )
    if rank not in (2, 3):
        raise ValueError(
            "Expected `bounding_boxes['boxes']` to have rank 2 or 3, with shape (num_boxes, 4) "
            f"or (batch_size, num_boxes, 4). Received: shape={tuple(np.shape(boxes))}"
        )


def densify_bounding_boxes(
    bounding_boxes,
    is_batched=False,
    max_boxes=None,
    boxes_default_value=0,
    labels_default_value=-1,
    device=None,
):
    """Boxes as a float32 tensor and labels as a tensor; ragged Python lists are padded."""
    validate_bounding_boxes(bounding_boxes)
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    out = dict(bounding_boxes)
    if isinstance(boxes, list) and boxes and isinstance(boxes[0], list) and is_batched:
        longest = max_boxes or max(len(b) for b in boxes)
        pad = [boxes_default_value] * 4
        boxes = [list(b[:longest]) + [pad] * (longest - len(b)) for b in boxes]
        labels = [
            list(lab[:longest]) + [labels_default_value] * (longest - len(lab)) for lab in labels
        ]
        out["boxes"] = torch.tensor(boxes, dtype=torch.float32, device=device)
        out["labels"] = torch.tensor(labels, dtype=torch.int32, device=device)
        return out
    out["boxes"] = torch.as_tensor(
        boxes.detach() if isinstance(boxes, torch.Tensor) else np.asarray(boxes),
        dtype=torch.float32,
        device=device,
    )
    out["labels"] = torch.as_tensor(
        labels if isinstance(labels, torch.Tensor) else np.asarray(labels), device=device
    )
    return out
