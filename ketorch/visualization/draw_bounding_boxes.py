"""``draw_bounding_boxes``: box outlines and class labels burned into a batch of images."""

from __future__ import annotations

import numpy as np

from ..backend._core import image_data_format
from ..utils.bounding_boxes import convert_format
from ._arrays import to_numpy


def _as_uint8(images: np.ndarray) -> np.ndarray:
    """Float images in ``[0, 1]`` are scaled to ``[0, 255]``; others are clipped to it."""
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    return images.astype("uint8")


def _paint(image: np.ndarray, mask: np.ndarray, color) -> None:
    """Writes ``color`` (RGB, cut or repeated to the channel count) where ``mask`` is set."""
    channels = image.shape[-1]
    rgb = np.resize(np.asarray(color, dtype="int64"), channels).clip(0, 255).astype("uint8")
    image[mask] = rgb


def _rectangle_mask(shape, x1, y1, x2, y2, thickness: int) -> np.ndarray:
    """Pixels of a rectangle outline ``thickness`` pixels wide, centered on its edges
    (a filled rectangle when ``thickness`` is negative)."""
    height, width = shape
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    left, right = min(x1, x2), max(x1, x2)
    top, bottom = min(y1, y2), max(y1, y2)
    if thickness < 0:
        return (rows >= top) & (rows <= bottom) & (cols >= left) & (cols <= right)
    before = thickness // 2
    after = max(thickness, 1) - 1 - before
    outer = (
        (rows >= top - before)
        & (rows <= bottom + after)
        & (cols >= left - before)
        & (cols <= right + after)
    )
    inner = (
        (rows > top + after)
        & (rows < bottom - before)
        & (cols > left + after)
        & (cols < right - before)
    )
    return outer & ~inner


def _text_mask(shape, text: str, origin, font_scale: float) -> np.ndarray:
    """Pixels covered by ``text`` whose baseline starts at ``origin`` (x, y)."""
    from PIL import Image, ImageDraw, ImageFont  # optional dependency, loaded on first use

    height, width = shape
    canvas = Image.new("L", (width, height), 0)
    size = max(int(round(22 * font_scale)), 1)
    try:
        font = ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # Pillow without FreeType: fixed bitmap font
        font = ImageFont.load_default()
    draw = ImageDraw.Draw(canvas)
    try:
        draw.text(origin, text, fill=255, font=font, anchor="ls")  # origin on the baseline
    except ValueError:  # bitmap fonts take no anchor: place the text's top above the line
        draw.text((origin[0], origin[1] - size), text, fill=255, font=font)
    return np.asarray(canvas) > 127


def _text_origin(x: int, y: int, font_scale: float, thickness: int) -> tuple[int, int]:
    """Above the box when there is room, else just inside its top-left corner."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def draw_bounding_boxes(
    images,
    bounding_boxes: dict,
    bounding_box_format: str,
    class_mapping: dict | None = None,
    color=(128, 128, 128),
    line_thickness: int = 2,
    text_thickness: int = 1,
    font_scale: float = 1.0,
    data_format: str | None = None,
) -> np.ndarray:
    """Draws bounding boxes (and optional class labels) on a batch of images.

    Keras draws with OpenCV; ketorch draws with NumPy and Pillow, so no OpenCV is needed.
    Outlines are ``line_thickness`` pixels wide and centered on the box edges, as OpenCV
    draws them; label text uses Pillow's default font, so its pixels differ from OpenCV's
    Hershey font. Boxes whose label is -1 are skipped.

    Args:
        images: Images of shape ``(batch, height, width, channels)`` (or channels first).
            Floats with a maximum of at most 1 are taken as ``[0, 1]`` and scaled to 255.
        bounding_boxes: A dict with ``"boxes"`` ``(batch, num_boxes, 4)``, ``"labels"``
            ``(batch, num_boxes)`` and optionally ``"confidences"`` ``(batch, num_boxes)``.
        bounding_box_format: Format of the boxes (see
            `ketorch.utils.bounding_boxes.convert_format`).
        class_mapping: Class id to label text; labels are drawn only for ids in it.
        color: RGB color of outlines and text.
        line_thickness: Width of the outlines in pixels (negative: filled boxes).
        text_thickness: Accepted for Keras compatibility; Pillow's font has one weight.
        font_scale: Text size relative to the default.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            `ketorch.backend.image_data_format()`.

    Returns:
        A uint8 NumPy array of the annotated images, shaped like ``images``.

    Raises:
        ValueError: If ``images`` is not 4D or ``bounding_boxes`` lacks keys.
        TypeError: If ``bounding_boxes`` is not a dict.

    Example:
        >>> import numpy as np
        >>> from ketorch import visualization
        >>> images = np.zeros((1, 8, 8, 3), "uint8")
        >>> boxes = {"boxes": np.array([[[1, 1, 6, 6]]]), "labels": np.array([[0]])}
        >>> out = visualization.draw_bounding_boxes(
        ...     images, boxes, "xyxy", color=(255, 0, 0), line_thickness=1)
        >>> out[0, :, :, 0]
        array([[  0,   0,   0,   0,   0,   0,   0,   0],
               [  0, 255, 255, 255, 255, 255, 255,   0],
               [  0, 255,   0,   0,   0,   0, 255,   0],
               [  0, 255,   0,   0,   0,   0, 255,   0],
               [  0, 255,   0,   0,   0,   0, 255,   0],
               [  0, 255,   0,   0,   0,   0, 255,   0],
               [  0, 255, 255, 255, 255, 255, 255,   0],
               [  0,   0,   0,   0,   0,   0,   0,   0]], dtype=uint8)
    """
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or image_data_format()
    images = to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images.shape}"
        )
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            "`bounding_boxes` should be a dict. "
            f"Received: bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. "
            f"Received: bounding_boxes={bounding_boxes}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    height, width = images.shape[1], images.shape[2]
    converted = convert_format(dict(bounding_boxes), bounding_box_format, "xyxy", height, width)
    boxes = to_numpy(converted["boxes"])
    labels = to_numpy(converted["labels"])
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else to_numpy(confidences)
    images = _as_uint8(images).copy()
    for i, image in enumerate(images):
        for j, box in enumerate(boxes[i]):
            x1, y1, x2, y2 = (int(v) for v in box.astype("int32"))
            label = int(labels[i][j])
            if label == -1:
                continue
            _paint(image, _rectangle_mask((height, width), x1, y1, x2, y2, line_thickness), color)
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {float(confidences[i][j]):.2f}"
                origin = _text_origin(x1, y1, font_scale, text_thickness)
                _paint(image, _text_mask((height, width), text, origin, font_scale), color)
    if data_format == "channels_first":
        images = images.transpose(0, 3, 1, 2)
    return images
