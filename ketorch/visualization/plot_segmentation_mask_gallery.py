"""``plot_segmentation_mask_gallery``: each image beside its true and predicted masks."""

from __future__ import annotations

import numpy as np

from ..backend._core import image_data_format
from ._arrays import to_numpy
from .draw_segmentation_masks import draw_segmentation_masks
from .plot_image_gallery import plot_image_gallery


def plot_segmentation_mask_gallery(
    images,
    num_classes: int,
    value_range=(0, 255),
    y_true=None,
    y_pred=None,
    color_mapping: dict | None = None,
    blend: bool = True,
    alpha: float = 0.8,
    ignore_index: int = -1,
    data_format: str | None = None,
    **kwargs,
):
    """Shows one row per image: the image, then its true and predicted masks drawn on it.

    Args:
        images: Images of shape ``(batch, height, width, channels)`` (or channels first).
        num_classes: Number of mask classes.
        value_range: The range of the image values.
        y_true: Optional true masks ``(batch, height, width, 1)``.
        y_pred: Optional predicted masks, same shape.
        color_mapping: Class index to RGB color.
        blend: Blend colors with the image.
        alpha: Opacity of the colors.
        ignore_index: Mask value left undrawn.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Passed to `plot_image_gallery` (``path``, ``show``, ``scale``, ...).

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from ketorch import visualization
        >>> masks = np.zeros((3, 8, 8, 1), "int32")
        >>> fig = visualization.plot_segmentation_mask_gallery(
        ...     np.zeros((3, 8, 8, 3)), num_classes=2, y_true=masks, y_pred=masks, show=False)
        >>> len(fig.axes)
        9
    """
    data_format = data_format or image_data_format()
    images = to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images.shape}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)

    def draw(masks):
        masks = to_numpy(masks)
        if data_format == "channels_first":
            masks = masks.transpose(0, 2, 3, 1)
        return draw_segmentation_masks(
            images,
            masks.astype("int32"),
            num_classes=num_classes,
            color_mapping=color_mapping,
            alpha=alpha,
            blend=blend,
            ignore_index=ignore_index,
            data_format="channels_last",
        )

    panels = [[image] for image in images]
    for masks in (y_true, y_pred):
        if masks is not None:
            for row, drawn in zip(panels, draw(masks)):
                row.append(drawn)
    gallery = np.stack([panel for row in panels for panel in row], axis=0)
    return plot_image_gallery(
        gallery,
        value_range=value_range,
        rows=len(images),
        cols=len(panels[0]),
        data_format="channels_last",
        **kwargs,
    )
