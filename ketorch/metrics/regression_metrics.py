"""``R2Score`` and ``CosineSimilarity``: regression metrics beyond the mean errors.

Example:
    >>> import torch
    >>> m = R2Score()
    >>> m(torch.tensor([[1.0], [4.0], [3.0]]), torch.tensor([[2.0], [4.0], [4.0]]))
    tensor(0.5714)
"""

from __future__ import annotations

from typing import Any

import torch

from ketorch.losses.loss import squeeze_or_expand_to_same_rank, to_tensor
from ketorch.losses.regression import _l2_normalize, prepare
from ketorch.metrics.metric import Metric
from ketorch.metrics.reduction_metrics import MeanMetricWrapper

__all__ = ["R2Score", "CosineSimilarity", "cosine_similarity"]

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Cosine similarity along ``axis`` (1 means perfectly aligned)."""
    y_true, y_pred = prepare(y_true, y_pred)
    return (_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between targets and predictions.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        axis: Axis along which the similarity is computed.

    Example:
        >>> import torch
        >>> m = CosineSimilarity()
        >>> m(torch.tensor([[0.0, 1.0], [1.0, 1.0]]), torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
        tensor(0.5000)
    """

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class R2Score(Metric):
    """Coefficient of determination, ``1 - residual sum of squares / total sum of squares``.

    Args:
        class_aggregation: How the per-output scores combine: ``"uniform_average"``
            (mean), ``"variance_weighted_average"`` (weighted by each output's
            variance) or ``None`` (one score per output).
        num_regressors: Number of independent variables; when > 0 the adjusted
            R² is returned (unless there are too few samples for it).
        name: Name of the metric.
        dtype: Dtype of the state.

    Input shape:
        ``y_true`` and ``y_pred`` of shape ``(batch_size, num_outputs)``.
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Argument `class_aggregation` must be one of {_AGGREGATIONS}. "
                f"Received: class_aggregation={class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(
                f"Argument `num_regressors` must be >= 0. Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs of shape (batch_size, output_dim). "
                f"Received: y_pred.shape={y_pred_shape}, y_true.shape={y_true_shape}"
            )
        n = y_pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(n,), name="squared_sum")
        self.sum = self.add_variable(shape=(n,), name="sum")
        self.total_mse = self.add_variable(shape=(n,), name="residual")
        self.count = self.add_variable(shape=(n,), name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's weighted sums of targets, squared targets and squared errors."""
        dtype = self.torch_dtype
        y_pred = to_tensor(y_pred, dtype=dtype)
        y_true = to_tensor(y_true, dtype=dtype, device=y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
            self.to(y_pred.device)
        if sample_weight is None:
            weights = torch.ones_like(y_true)
        else:
            weights = to_tensor(sample_weight, dtype=dtype, device=y_pred.device)
            if weights.dim() == 1:
                weights = weights.unsqueeze(1)
            weights = torch.broadcast_to(weights, y_true.shape)
        weighted = y_true * weights
        self.sum.add_(weighted.sum(dim=0))
        self.squared_sum.add_((y_true * weighted).sum(dim=0))
        self.total_mse.add_((torch.square(y_true - y_pred) * weights).sum(dim=0))
        self.count.add_(weights.sum(dim=0))
        self.num_samples.add_(y_true.numel())

    def result(self) -> torch.Tensor:
        """Returns the (adjusted) R² score."""
        if not self._built:
            return torch.zeros((), dtype=self.torch_dtype)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1 - self.total_mse / total
        raw = torch.where(torch.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors:
            # Adjusted only when there are more samples than regressors + 1 (decided on device).
            n = self.num_samples.float()
            p = float(self.num_regressors)
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
            score = torch.where(p < n - 1.0, adjusted, score)
        return score

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {"class_aggregation": self.class_aggregation, "num_regressors": self.num_regressors}
        )
        return config
