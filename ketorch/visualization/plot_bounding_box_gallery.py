"""``plot_bounding_box_gallery``: images with true and predicted boxes, in a grid."""

from __future__ import annotations

import numpy as np

from ..backend._core import image_data_format
from ._arrays import to_numpy
from .draw_bounding_boxes import draw_bounding_boxes
from .plot_image_gallery import plot_image_gallery


def plot_bounding_box_gallery(
    images,
    bounding_box_format: str,
    y_true: dict | None = None,
    y_pred: dict | None = None,
    value_range=(0, 255),
    true_color=(0, 188, 212),
    pred_color=(255, 235, 59),
    line_thickness: int = 2,
    font_scale: float = 1.0,
    text_thickness: int | None = None,
    class_mapping: dict | None = None,
    ground_truth_mapping: dict | None = None,
    prediction_mapping: dict | None = None,
    legend: bool = False,
    legend_handles=None,
    rows: int | None = None,
    cols: int | None = None,
    data_format: str | None = None,
    **kwargs,
):
    """Draws true and predicted boxes on the images and shows them as a gallery.

    Args:
        images: Images of shape ``(batch, height, width, channels)`` (or channels first).
        bounding_box_format: Format of the boxes in ``y_true`` and ``y_pred``.
        y_true: Optional ground-truth dict (``"boxes"``, ``"labels"``).
        y_pred: Optional prediction dict (``"boxes"``, ``"labels"``, ``"confidences"``).
        value_range: The range of the image values.
        true_color: RGB color of the ground truth.
        pred_color: RGB color of the predictions.
        line_thickness: Outline width in pixels.
        font_scale: Label text size.
        text_thickness: Accepted for Keras compatibility.
        class_mapping: Class id to name, for both sets unless overridden below.
        ground_truth_mapping: Class id to name for ``y_true``.
        prediction_mapping: Class id to name for ``y_pred``.
        legend: Add a "Ground Truth"/"Prediction" legend.
        legend_handles: Custom legend handles (not together with ``legend``).
        rows: Grid rows.
        cols: Grid columns.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Passed to `plot_image_gallery` (``path``, ``show``, ``scale``, ...).

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from ketorch import visualization
        >>> boxes = {"boxes": np.array([[[1, 1, 6, 6]]] * 2), "labels": np.zeros((2, 1))}
        >>> fig = visualization.plot_bounding_box_gallery(
        ...     np.zeros((2, 8, 8, 3)), "xyxy", y_true=boxes, legend=True,
        ...     rows=1, cols=2, show=False)
        >>> len(fig.axes)
        2
    """
    import matplotlib.patches as patches  # optional dependency, loaded on first use

    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = data_format or image_data_format()
    images = to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images.shape}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    common = dict(
        bounding_box_format=bounding_box_format,
        line_thickness=line_thickness,
        text_thickness=text_thickness,
        font_scale=font_scale,
        data_format="channels_last",
    )
    if y_true is not None:
        images = draw_bounding_boxes(
            images, y_true, color=true_color, class_mapping=ground_truth_mapping, **common
        )
    if y_pred is not None:
        images = draw_bounding_boxes(
            images, y_pred, color=pred_color, class_mapping=prediction_mapping, **common
        )
    if legend:
        if legend_handles:
            raise ValueError(
                "Only pass `legend` OR `legend_handles` to plot_bounding_box_gallery()."
            )
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(
        images,
        value_range=value_range,
        legend_handles=legend_handles,
        rows=rows,
        cols=cols,
        data_format="channels_last",
        **kwargs,
    )
