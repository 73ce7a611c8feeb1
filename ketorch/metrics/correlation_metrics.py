"""Pearson and concordance correlation, per sample and as streaming means.

Both functions correlate ``y_true`` with ``y_pred`` along ``axis`` (by default
the features of each sample); the metric classes average that value over
every sample seen.

Example:
    >>> import torch
    >>> y_true = torch.tensor([[0.0, 1.0, 0.5], [1.0, 1.0, 0.2]])
    >>> y_pred = torch.tensor([[0.1, 0.9, 0.5], [1.0, 0.9, 0.2]])
    >>> pearson_correlation(y_true, y_pred)
    tensor([1.0000, 0.9934])
"""

from __future__ import annotations

from typing import Any

import torch

from ketorch.losses.loss import EPSILON
from ketorch.losses.regression import prepare
from ketorch.metrics.reduction_metrics import MeanMetricWrapper

__all__ = [
    "pearson_correlation",
    "concordance_correlation",
    "PearsonCorrelation",
    "ConcordanceCorrelation",
]


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Pearson correlation coefficient along ``axis``.

    Args:
        y_true: Targets.
        y_pred: Predictions.
        axis: Axis along which the correlation is computed.

    Returns:
        Tensor with ``axis`` removed.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    t = y_true - y_true.mean(dim=axis, keepdim=True)
    p = y_pred - y_pred.mean(dim=axis, keepdim=True)
    t = t / t.std(dim=axis, keepdim=True, correction=0)
    p = p / p.std(dim=axis, keepdim=True, correction=0)
    return (t * p).mean(dim=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Lin's concordance correlation coefficient along ``axis``, as Keras computes it.

    Keras's covariance term is ``(y_true - mean(y_pred)) * (y_pred - mean(y_pred))``
    (centred on the prediction mean for both factors); it is kept here so that
    the numbers match.

    Args:
        y_true: Targets.
        y_pred: Predictions.
        axis: Axis along which the coefficient is computed.

    Returns:
        Tensor with ``axis`` removed.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = (y_true - true_mean).var(dim=axis, keepdim=True, correction=0)
    pred_var = (y_pred - pred_mean).var(dim=axis, keepdim=True, correction=0)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + torch.square(true_mean - pred_mean)
    return (2 * covariance / (norm + EPSILON)).mean(dim=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Mean Pearson correlation between targets and predictions.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        axis: Axis along which each correlation is computed.
    """

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Mean concordance correlation between targets and predictions.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        axis: Axis along which each coefficient is computed.
    """

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
