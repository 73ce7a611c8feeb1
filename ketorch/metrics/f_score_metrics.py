"""F-beta and F1 scores for multi-class and multi-label classification.

Predictions become hard decisions (the top class of each sample, or every
class above ``threshold``); weighted true positives, false positives and false
negatives are kept per class (or pooled, for ``average="micro"``), and the
score ``(1 + beta^2) * precision * recall / (beta^2 * precision + recall)`` is
computed from them.

Example:
    >>> import torch
    >>> m = F1Score(threshold=0.5)
    >>> y_true = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    >>> y_pred = torch.tensor([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m(y_true, y_pred)
    tensor([0.5000, 0.8000, 0.6667])
"""

from __future__ import annotations

from typing import Any

import torch

from ketorch.losses.loss import EPSILON, to_tensor
from ketorch.metrics.metric import Metric

__all__ = ["FBetaScore", "F1Score"]

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """F-beta score: a weighted harmonic mean of precision and recall.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (counts pooled over
            classes), ``"macro"`` (mean of the class scores) or ``"weighted"``
            (class scores weighted by the number of true instances).
        beta: How much more recall weighs than precision (a float > 0).
        threshold: Classes with a prediction above it are predicted; ``None``
            predicts only the highest-scoring class of each sample.
        name: Name of the metric.
        dtype: Dtype of the state.

    Input shape:
        ``y_true`` and ``y_pred`` of shape ``(batch_size, num_classes)``.
    """

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(
                "Argument `average` must be one of None, 'micro', 'macro', 'weighted'. "
                f"Received: average={average!r}"
            )
        if not isinstance(beta, float):
            raise ValueError(f"Argument `beta` must be a Python float. Received: beta={beta!r}")
        if beta <= 0.0:
            raise ValueError(f"Argument `beta` must be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    f"Argument `threshold` must be a Python float. Received: threshold={threshold!r}"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    f"Argument `threshold` must satisfy 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs of shape (batch_size, output_dim). "
                f"Received: y_pred.shape={y_pred_shape}, y_true.shape={y_true_shape}"
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for var_name in ("true_positives", "false_positives", "false_negatives"):
            setattr(self, var_name, self.add_variable(shape=shape, name=var_name))
        self.intermediate_weights = self.add_variable(shape=shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's weighted true/false positives and false negatives."""
        dtype = self.torch_dtype
        y_pred = to_tensor(y_pred, dtype=dtype)
        y_true = to_tensor(y_true, dtype=dtype, device=y_pred.device)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
            self.to(y_pred.device)
        if self.threshold is None:
            top = y_pred.amax(dim=-1, keepdim=True)
            predicted = (y_pred >= top) & (y_pred.abs() > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.to(dtype)
        if sample_weight is not None:
            sample_weight = to_tensor(sample_weight, dtype=dtype, device=y_pred.device)
            sample_weight = sample_weight.unsqueeze(1)

        def weighted_sum(values: torch.Tensor) -> torch.Tensor:
            if sample_weight is not None:
                values = values * sample_weight
            return values.sum() if self.axis is None else values.sum(dim=self.axis)

        self.true_positives.add_(weighted_sum(predicted * y_true))
        self.false_positives.add_(weighted_sum(predicted * (1.0 - y_true)))
        self.false_negatives.add_(weighted_sum((1.0 - predicted) * y_true))
        self.intermediate_weights.add_(weighted_sum(y_true))

    def result(self) -> torch.Tensor:
        """Returns the score (one per class when ``average`` is ``None``)."""
        if not self._built:
            return torch.zeros((), dtype=self.torch_dtype)
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + EPSILON)
        recall = tp / (tp + self.false_negatives + EPSILON)
        beta2 = self.beta**2
        score = precision * recall / (beta2 * precision + recall + EPSILON) * (1 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights
            return (score * (weights / (weights.sum() + EPSILON))).sum()
        if self.average is not None:
            return score.mean()
        return score

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"average": self.average, "beta": self.beta, "threshold": self.threshold})
        return config


class F1Score(FBetaScore):
    """F1 score: the harmonic mean of precision and recall (``FBetaScore`` with ``beta=1``).

    Args:
        average: ``None``, ``"micro"``, ``"macro"`` or ``"weighted"`` (see :class:`FBetaScore`).
        threshold: Classes with a prediction above it are predicted; ``None``
            predicts only the highest-scoring class of each sample.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
