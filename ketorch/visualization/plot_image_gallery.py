"""``plot_image_gallery``: a grid of images, optionally titled with labels, in matplotlib."""

from __future__ import annotations

import math

import numpy as np

from ..backend._core import image_data_format
from ._arrays import to_numpy


def _to_0_255(images: np.ndarray, value_range) -> np.ndarray:
    low, high = value_range
    if (low, high) == (0, 255):
        return images
    scaled = (images.astype("float32") - np.float32(low)) / np.float32(high - low)
    return scaled * np.float32(255)


def plot_image_gallery(
    images,
    y_true=None,
    y_pred=None,
    label_map: dict | None = None,
    rows: int | None = None,
    cols: int | None = None,
    value_range=(0, 255),
    scale: float = 2,
    path: str | None = None,
    show: bool | None = None,
    transparent: bool = True,
    dpi: int = 60,
    legend_handles=None,
    data_format: str | None = None,
):
    """Shows a batch of images as a ``rows`` x ``cols`` grid.

    Args:
        images: Images of shape ``(batch, height, width, channels)`` (or channels first).
        y_true: Optional true class ids, shown in the titles through ``label_map``.
        y_pred: Optional predicted class ids, shown likewise.
        label_map: Class id to name; required with ``y_true`` or ``y_pred``.
        rows: Grid rows; defaults to ``ceil(sqrt(batch))``.
        cols: Grid columns; defaults to ``batch // rows`` (as Keras computes it).
        value_range: The range of the image values, mapped to ``[0, 255]``.
        scale: Size in inches of each grid cell.
        path: Save the figure to this file (and close it) instead of showing it.
        show: Show the figure with ``plt.show()``; defaults to ``path is None``.
        transparent: Transparent background when saving.
        dpi: Resolution when saving.
        legend_handles: Optional matplotlib handles for a figure legend.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            `ketorch.backend.image_data_format()`.

    Returns:
        The matplotlib ``Figure`` (Keras returns None).

    Raises:
        ValueError: If both ``path`` and ``show`` are set, labels come without
            ``label_map``, or ``images`` is not batched.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from ketorch import visualization
        >>> fig = visualization.plot_image_gallery(
        ...     np.zeros((4, 8, 8, 3)), rows=2, cols=2, show=False)
        >>> len(fig.axes)
        4
    """
    import matplotlib.pyplot as plt  # optional dependency, loaded on first use

    if path is not None and show:
        raise ValueError(
            "plot_image_gallery() expects either `path` to be set, or `show` to be true."
        )
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "If `y_true` or `y_pred` are provided, a `label_map` must also be provided."
        )
    show = show if show is not None else path is None
    data_format = data_format or image_data_format()
    images = to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            "`plot_image_gallery()` requires you to batch your samples together. "
            f"Received: images.shape={images.shape}"
        )
    batch_size = images.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    cols = cols or int(math.ceil(batch_size // rows))
    images = images[: min(rows * cols, batch_size)]
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    fig, axes = plt.subplots(
        nrows=rows,
        ncols=cols,
        figsize=(cols * scale, rows * scale),
        frameon=False,
        layout="tight",
        squeeze=False,
        sharex="row",
        sharey="col",
    )
    fig.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    images = _to_0_255(images, value_range)
    y_true = None if y_true is None else to_numpy(y_true)
    y_pred = None if y_pred is None else to_numpy(y_pred)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue
        axis.imshow(images[index].astype("uint8"))
        axis.margins(x=0, y=0)
        title = []
        if y_true is not None and index < len(y_true):
            title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
        if y_pred is not None and index < len(y_pred):
            title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
        if title:
            axis.set_title("  ".join(title), fontsize=8)
    if path is not None:
        fig.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close(fig)
    elif show:
        plt.show()
        plt.close(fig)
    return fig
