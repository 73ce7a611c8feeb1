"""Intersection-over-union metrics for segmentation: ``IoU`` and its variants.

A running ``(num_classes, num_classes)`` confusion matrix (rows: true class,
columns: predicted class) is kept on the device. The IoU of a class is
``tp / (tp + fp + fn)``; the result averages it over the target classes that
occurred (classes never seen, in truth or prediction, are left out).

Example:
    >>> import torch
    >>> m = MeanIoU(num_classes=2)
    >>> m(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    tensor(0.3333)
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from ketorch.losses.loss import EPSILON, to_tensor
from ketorch.metrics.metric import Metric

__all__ = ["IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


class _IoUBase(Metric):
    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(name=name, dtype=dtype or "int32")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes), name="total_confusion_matrix"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's (weighted) confusion matrix.

        Entries whose true or predicted class is outside ``[0, num_classes)``,
        or whose true class is ``ignore_class``, are left out.
        """
        dtype = self.torch_dtype
        y_pred = to_tensor(y_pred)
        y_true = to_tensor(y_true, device=y_pred.device)
        if not self.sparse_y_true:
            y_true = y_true.argmax(dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(dim=self.axis)
        y_true = y_true.to(dtype).reshape(-1)
        y_pred = y_pred.to(dtype).reshape(-1)
        if sample_weight is None:
            weights = torch.ones((), dtype=dtype, device=y_pred.device)
        else:
            if (
                isinstance(sample_weight, torch.Tensor)
                and sample_weight.is_floating_point()
                and not dtype.is_floating_point
            ):
                warnings.warn(
                    "Float sample weights are cast to the metric's integer dtype, which truncates "
                    "them. Use integer weights, or pass dtype='float32'.",
                    stacklevel=2,
                )
            weights = to_tensor(sample_weight, device=y_pred.device).to(dtype).reshape(-1)
        weights = torch.broadcast_to(weights, y_true.shape)
        n = self.num_classes
        valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            valid = valid & (y_true != self.ignore_class)
        true_ids = torch.where(valid, y_true, 0).long()
        pred_ids = torch.where(valid, y_pred, 0).long()
        weights = torch.where(valid, weights, torch.zeros_like(weights))
        cells = torch.zeros(n * n, dtype=dtype, device=y_pred.device)
        cells.index_add_(0, true_ids * n + pred_ids, weights)
        self.total_cm.add_(cells.reshape(n, n))


class IoU(_IoUBase):
    """Mean intersection-over-union over ``target_class_ids``.

    Args:
        num_classes: Number of classes.
        target_class_ids: Ids of the classes averaged over.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix; defaults to ``"int32"`` (weights
            are cast to it).
        ignore_class: A true class left out of the matrix.
        sparse_y_true: Whether targets are class ids (else one-hot/scores along ``axis``).
        sparse_y_pred: Whether predictions are class ids (else scores along ``axis``).
        axis: The class axis of non-sparse inputs.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes}). Received: target_class_ids={target_class_ids}"
            )
        self.target_class_ids = list(target_class_ids)

    def result(self) -> torch.Tensor:
        """Returns the IoU averaged over the target classes that occurred."""
        cm = self.total_cm
        tp = torch.diagonal(cm)
        denominator = cm.sum(dim=0) + cm.sum(dim=1) - tp
        ids = self.__dict__.get("_ids")
        if ids is None or ids.device != cm.device:
            ids = torch.tensor(self.target_class_ids, dtype=torch.long, device=cm.device)
            self._ids = ids
        tp = tp[ids].float()
        denominator = denominator[ids].float()
        valid = denominator > 1e-9
        iou = torch.where(valid, tp / (denominator + EPSILON), 0.0)
        return iou.sum(dim=self.axis) / (valid.float().sum() + EPSILON)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis,
            }
        )
        return config


class BinaryIoU(IoU):
    """IoU of binary targets, with predictions thresholded into classes 0 and 1.

    Args:
        target_class_ids: Which of the classes ``0``/``1`` to average over.
        threshold: Predictions ``>= threshold`` are class 1.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix (default ``"int32"``).

    Example:
        >>> import torch
        >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m(torch.tensor([0, 1, 0, 1]), torch.tensor([0.1, 0.2, 0.4, 0.7]))
        tensor(0.3333)
    """

    def __init__(
        self,
        target_class_ids: Any = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Thresholds the predictions, then adds the batch's confusion matrix."""
        y_pred = to_tensor(y_pred, dtype=torch.float32)
        y_true = to_tensor(y_true, device=y_pred.device).to(self.torch_dtype)
        y_pred = (y_pred >= self.threshold).to(self.torch_dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class _OneHotTargets:
    """Mixin of the one-hot variants: ``sparse_y_true`` is fixed to False, so it is not part
    of their config."""

    def get_config(self) -> dict:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class MeanIoU(IoU):
    """Mean IoU over all ``num_classes`` classes.

    Args:
        num_classes: Number of classes.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix (default ``"int32"``).
        ignore_class: A true class left out of the matrix.
        sparse_y_true: Whether targets are class ids.
        sparse_y_pred: Whether predictions are class ids.
        axis: The class axis of non-sparse inputs.
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(_OneHotTargets, IoU):
    """IoU over ``target_class_ids`` for one-hot targets and class scores.

    Args:
        num_classes: Number of classes.
        target_class_ids: Ids of the classes averaged over.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix (default ``"int32"``).
        ignore_class: A true class left out of the matrix.
        sparse_y_pred: Whether predictions are class ids (default: scores).
        axis: The class axis.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotMeanIoU(_OneHotTargets, MeanIoU):
    """Mean IoU over all classes for one-hot targets and class scores.

    Args:
        num_classes: Number of classes.
        name: Name of the metric.
        dtype: Dtype of the confusion matrix (default ``"int32"``).
        ignore_class: A true class left out of the matrix.
        sparse_y_pred: Whether predictions are class ids (default: scores).
        axis: The class axis.
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
