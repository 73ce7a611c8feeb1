"""Confusion counts at thresholds, and one rate read at a constraint on another.

``TruePositives``/``FalsePositives``/``TrueNegatives``/``FalseNegatives`` keep a
(weighted) count per threshold. ``SensitivityAtSpecificity`` and friends keep
all four counts at ``num_thresholds`` evenly spaced thresholds and report the
best value of one rate among the thresholds where the other reaches its target.
A prediction counts as positive when it is strictly above the threshold.

Example:
    >>> import torch
    >>> m = TruePositives()
    >>> m(torch.tensor([0.0, 1.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
    tensor(2.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch.losses.loss import EPSILON
from ketorch.metrics.confusion_metrics import (
    _as_list,
    _bucket_counts,
    _divide_no_nan,
    _prepare,
    _threshold_counts,
)
from ketorch.metrics.metric import Metric

__all__ = [
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
]


def _evenly_spaced(thresholds: list[float]) -> bool:
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _counts(metric: Metric, y_true, y_pred, sample_weight, class_id=None) -> dict:
    """The batch's tp/fp/tn/fn at ``metric``'s thresholds (all on device)."""
    y_true, y_pred, weights = _prepare(metric, y_true, y_pred, sample_weight, None, class_id)
    if metric._evenly:
        return _bucket_counts(y_true, y_pred, weights, len(metric.thresholds), with_epsilon=False)
    thr = metric.__dict__.get("_thr_tensor")
    if thr is None or thr.device != y_pred.device or thr.dtype != y_pred.dtype:
        thr = torch.tensor(metric.thresholds, dtype=y_pred.dtype, device=y_pred.device)
        metric._thr_tensor = thr
    return _threshold_counts(y_true, y_pred, weights, thr)


class _ConditionCount(Metric):
    _condition: str  # "tp", "fp", "tn" or "fn"

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _as_list(thresholds, 0.5)
        self._evenly = _evenly_spaced(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's (weighted) count at each threshold."""
        self.accumulator.add_(_counts(self, y_true, y_pred, sample_weight)[self._condition])

    def result(self) -> torch.Tensor:
        """Returns the count at each threshold (a 0-d tensor for a single threshold)."""
        return self.accumulator[0].clone() if len(self.thresholds) == 1 else self.accumulator + 0

    def get_config(self) -> dict:
        config = super().get_config()
        config["thresholds"] = self.init_thresholds
        return config


class TruePositives(_ConditionCount):
    """Weighted count of positives predicted positive.

    Args:
        thresholds: A float or list of floats in ``[0, 1]`` (default 0.5); a
            prediction above a threshold is positive. One count per threshold.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    _condition = "tp"


class FalsePositives(_ConditionCount):
    """Weighted count of negatives predicted positive. Args as in :class:`TruePositives`.

    Example:
        >>> import torch
        >>> FalsePositives()(torch.tensor([0.0, 1.0, 0.0, 0.0]), torch.tensor([0.0, 0.0, 1.0, 1.0]))
        tensor(2.)
    """

    _condition = "fp"


class TrueNegatives(_ConditionCount):
    """Weighted count of negatives predicted negative. Args as in :class:`TruePositives`."""

    _condition = "tn"


class FalseNegatives(_ConditionCount):
    """Weighted count of positives predicted negative. Args as in :class:`TruePositives`."""

    _condition = "fn"


class _RateAtRate(Metric):
    """Keeps tp/fp/tn/fn at evenly spaced thresholds; subclasses say which rates to read."""

    _target_name: str  # constructor argument holding the target value

    def __init__(self, value: float, num_thresholds: int, class_id, name, dtype) -> None:
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._target_name}` must be in the range [0, 1]. "
                f"Received: {self._target_name}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        self.value = value
        setattr(self, self._target_name, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0, *inner, 1.0], True
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), name="true_positives")
        self.false_positives = self.add_variable(shape=(n,), name="false_positives")
        self.true_negatives = self.add_variable(shape=(n,), name="true_negatives")
        self.false_negatives = self.add_variable(shape=(n,), name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's four counts at every threshold."""
        counts = _counts(self, y_true, y_pred, sample_weight, self.class_id)
        self.true_positives.add_(counts["tp"])
        self.false_positives.add_(counts["fp"])
        self.true_negatives.add_(counts["tn"])
        self.false_negatives.add_(counts["fn"])

    def _rates(self) -> dict[str, torch.Tensor]:
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {
            "recall": _divide_no_nan(tp + 0, tp + fn),
            "specificity": _divide_no_nan(tn + 0, tn + fp),
            "precision": _divide_no_nan(tp + 0, tp + fp),
        }

    def _best(self, constrained: str, dependent: str) -> torch.Tensor:
        # The largest `dependent` among thresholds where `constrained` >= the target (0 if none).
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        best = torch.where(feasible, rates[dependent], torch.zeros_like(rates[dependent]))
        return torch.clamp(best.max(), min=0.0)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "class_id": self.class_id,
                "num_thresholds": self.num_thresholds,
                self._target_name: self.value,
            }
        )
        return config


class SensitivityAtSpecificity(_RateAtRate):
    """Best sensitivity (recall) among thresholds whose specificity is at least ``specificity``.

    Args:
        specificity: Target specificity in ``[0, 1]``.
        num_thresholds: Number of evenly spaced thresholds in ``[0, 1]`` (1 means 0.5).
        class_id: Only this class (last-axis index) is scored.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    _target_name = "specificity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self) -> torch.Tensor:
        """Returns the sensitivity at the target specificity."""
        return self._best("specificity", "recall")


class SpecificityAtSensitivity(_RateAtRate):
    """Best specificity among thresholds whose sensitivity is at least ``sensitivity``.

    Args:
        sensitivity: Target sensitivity (recall) in ``[0, 1]``.
        num_thresholds: Number of evenly spaced thresholds in ``[0, 1]`` (1 means 0.5).
        class_id: Only this class (last-axis index) is scored.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    _target_name = "sensitivity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self) -> torch.Tensor:
        """Returns the specificity at the target sensitivity."""
        return self._best("recall", "specificity")


class PrecisionAtRecall(_RateAtRate):
    """Best precision among thresholds whose recall is at least ``recall``.

    Args:
        recall: Target recall in ``[0, 1]``.
        num_thresholds: Number of evenly spaced thresholds in ``[0, 1]`` (1 means 0.5).
        class_id: Only this class (last-axis index) is scored.
        name: Name of the metric.
        dtype: Dtype of the state.

    Example:
        >>> import torch
        >>> m = PrecisionAtRecall(0.5, num_thresholds=1)
        >>> m(torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0]), torch.tensor([0.0, 0.3, 0.8, 0.3, 0.8]))
        tensor(0.5000)
    """

    _target_name = "recall"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self) -> torch.Tensor:
        """Returns the precision at the target recall."""
        return self._best("recall", "precision")


class RecallAtPrecision(_RateAtRate):
    """Best recall among thresholds whose precision is at least ``precision``.

    Args:
        precision: Target precision in ``[0, 1]``.
        num_thresholds: Number of evenly spaced thresholds in ``[0, 1]`` (1 means 0.5).
        class_id: Only this class (last-axis index) is scored.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    _target_name = "precision"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self) -> torch.Tensor:
        """Returns the recall at the target precision."""
        return self._best("precision", "recall")
