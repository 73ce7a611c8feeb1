"""MonitorCallback: shared "is this epoch better?" logic for callbacks that watch a metric."""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from .callback import Callback

# Metric classes that get better as they grow; anything loss-like gets better as it shrinks.
_HIGHER_IS_BETTER = frozenset(
    {
        "Accuracy",
        "BinaryAccuracy",
        "CategoricalAccuracy",
        "SparseCategoricalAccuracy",
        "TopKCategoricalAccuracy",
        "SparseTopKCategoricalAccuracy",
        "Precision",
        "Recall",
        "AUC",
        "F1Score",
        "FBetaScore",
        "IoU",
        "BinaryIoU",
        "MeanIoU",
        "OneHotIoU",
        "OneHotMeanIoU",
        "R2Score",
        "CosineSimilarity",
        "PearsonCorrelation",
        "ConcordanceCorrelation",
        "SensitivityAtSpecificity",
        "SpecificityAtSensitivity",
        "PrecisionAtRecall",
        "RecallAtPrecision",
    }
)
_LOWER_IS_BETTER = frozenset(
    {
        "MeanSquaredError",
        "MeanAbsoluteError",
        "MeanAbsolutePercentageError",
        "MeanSquaredLogarithmicError",
        "RootMeanSquaredError",
        "LogCoshError",
        "Hinge",
        "SquaredHinge",
        "CategoricalHinge",
        "BinaryCrossentropy",
        "CategoricalCrossentropy",
        "SparseCategoricalCrossentropy",
        "KLDivergence",
        "Poisson",
    }
)


def metric_direction(metric: Any) -> str | None:
    """Returns ``"up"``, ``"down"`` or None (unknown) for a metric object."""
    direction = getattr(metric, "_direction", None)
    if direction in ("up", "down"):
        return direction
    for cls in type(metric).__mro__:
        if cls.__name__ in _HIGHER_IS_BETTER:
            return "up"
        if cls.__name__ in _LOWER_IS_BETTER:
            return "down"
    fn = getattr(metric, "_fn", None)
    if fn is not None and str(getattr(fn, "__module__", "")).startswith("ketorch.losses"):
        return "down"
    return None


def get_learning_rate(optimizer: Any) -> float:
    """The optimizer's current learning rate as a Python float (ketorch or torch optimizer)."""
    if optimizer is None:
        raise ValueError(
            "The model has no optimizer: call `compile()` first. Received: optimizer=None"
        )
    if hasattr(optimizer, "learning_rate"):
        return float(optimizer.learning_rate)
    if hasattr(optimizer, "param_groups"):
        return float(optimizer.param_groups[0]["lr"])
    raise ValueError(
        'The optimizer must have a "learning_rate" attribute. '
        f"Received: optimizer={type(optimizer).__name__}"
    )


def set_learning_rate(optimizer: Any, value: float) -> None:
    """Sets a float learning rate on a ketorch optimizer or on every group of a torch one."""
    if hasattr(optimizer, "learning_rate"):
        optimizer.learning_rate = value
    elif hasattr(optimizer, "param_groups"):
        for group in optimizer.param_groups:
            group["lr"] = float(value)
    else:
        raise ValueError(
            'The optimizer must have a "learning_rate" attribute. '
            f"Received: optimizer={type(optimizer).__name__}"
        )


class MonitorCallback(Callback):
    """Base of the callbacks that track the best value of a logged quantity.

    Subclasses call :meth:`_is_improvement` once the direction is known; it is
    resolved lazily at the first epoch end, when the model's metrics exist.

    Args:
        monitor: The log key to watch, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (``loss`` keys are minimised,
            metrics follow their own direction, e.g. accuracy is maximised).
        baseline: Initial best value, or None to take the first value seen.
        min_delta: Smallest change that counts as an improvement.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown; using 'auto' instead.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss" or name.endswith("_loss"):
                self.monitor_op = operator.lt
            for metric in getattr(self.model, "metrics", None) or []:
                if getattr(metric, "name", None) == name:
                    direction = metric_direction(metric)
                    if direction is not None:
                        self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} cannot tell whether `{self.monitor}` should be "
                    "minimised or maximised. Pass `mode='min'` or `mode='max'`. "
                    f"Received: monitor={self.monitor!r}, mode='auto'"
                )
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        # Compared in float32, as Keras does, so ties resolve the same way.
        return bool(self.monitor_op(np.float32(value - self.min_delta), np.float32(reference)))
