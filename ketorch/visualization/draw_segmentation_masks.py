"""``draw_segmentation_masks``: class masks colored and blended over a batch of images."""

from __future__ import annotations

import numpy as np

from ..backend._core import image_data_format
from ._arrays import to_numpy


def default_palette(num_classes: int) -> list[list[int]]:
    """One RGB color per class index, spread over the cube by three large odd multipliers."""
    multipliers = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * multipliers) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(
    images,
    segmentation_masks,
    num_classes: int | None = None,
    color_mapping: dict | None = None,
    alpha: float = 0.8,
    blend: bool = True,
    ignore_index: int = -1,
    data_format: str | None = None,
) -> np.ndarray:
    """Colors each class of a segmentation mask and overlays it on the images.

    Pixels of class ``c`` (``0 <= c < num_classes``) take the color of ``c``; with
    ``blend=True`` that color is mixed with the image (``alpha`` is the color's weight)
    and pixels equal to ``ignore_index`` keep the image. Classes outside
    ``[0, num_classes)`` are not colored; when ``num_classes`` is inferred it is the mask's
    maximum, so its largest class stays uncolored, as in Keras.

    Args:
        images: Images of shape ``(batch, height, width, channels)`` (or channels first).
        segmentation_masks: Integer masks of shape ``(batch, height, width, 1)`` (or
            ``(batch, 1, height, width)`` with channels first).
        num_classes: Number of classes; defaults to the mask's maximum value.
        color_mapping: Class index to RGB color for every class in ``[0, num_classes)``;
            defaults to a fixed palette.
        alpha: Opacity of the colors when blending, in ``[0, 1]``.
        blend: Blend with the image (uint8 result) or return the colored images as
            float32 without blending.
        ignore_index: Mask value left undrawn when blending.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            `ketorch.backend.image_data_format()`. Results are channels last.

    Returns:
        A NumPy array ``(batch, height, width, channels)``: uint8 when blending, else float32.

    Raises:
        ValueError: If ``images`` is not 4D.
        TypeError: If ``segmentation_masks`` is not of an integer dtype.

    Example:
        >>> import numpy as np
        >>> from ketorch import visualization
        >>> images = np.full((1, 1, 2, 3), 100.0, "float32")
        >>> masks = np.array([[[[1], [-1]]]])
        >>> visualization.draw_segmentation_masks(images, masks, num_classes=2, alpha=0.5)
        array([[[[ 50, 113,  65],
                 [100, 100, 100]]]], dtype=uint8)
    """
    data_format = data_format or image_data_format()
    images = to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images.shape}"
        )
    masks = to_numpy(segmentation_masks)
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
        masks = masks.transpose(0, 2, 3, 1)
    images = images.astype("float32")
    if masks.dtype.kind not in "iu":
        raise TypeError(
            f"`segmentation_masks` must be in integer dtype. "
            f"Received: segmentation_masks.dtype={masks.dtype}"
        )
    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = default_palette(num_classes)
    else:
        colors = [color_mapping[i] for i in range(num_classes)]
    classes = masks[..., 0]
    colored = images.copy()
    for index, color in enumerate(colors):
        colored[classes == index] = np.asarray(color, dtype="float32")
    if not blend:
        return colored
    mixed = images * np.float32(1 - alpha) + colored * np.float32(alpha)
    mixed = np.where((classes != ignore_index)[..., None], mixed, images)
    return mixed.astype("uint8")
