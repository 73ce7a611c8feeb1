"""Accuracy metrics: the per-sample functions and their streaming classes.

Example:
    >>> import torch
    >>> m = SparseCategoricalAccuracy()
    >>> m(torch.tensor([1, 0]), torch.tensor([[0.1, 0.9], [0.2, 0.8]]))
    tensor(0.5000)
"""

from __future__ import annotations

from typing import Any

import torch

from ketorch.losses.loss import squeeze_or_expand_to_same_rank, to_tensor
from ketorch.metrics.reduction_metrics import MeanMetricWrapper

__all__ = [
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
]


def _pred(y_pred: Any) -> torch.Tensor:
    y_pred = to_tensor(y_pred)
    return y_pred if y_pred.is_floating_point() else y_pred.float()


def accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where ``y_true == y_pred`` exactly, else 0.0 (element-wise)."""
    y_pred = _pred(y_pred)
    y_true = to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).float()


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> torch.Tensor:
    """1.0 where ``(y_pred > threshold)`` equals the 0/1 label, element-wise.

    Args:
        y_true: 0/1 labels.
        y_pred: Probabilities (or scores compared with ``threshold``).
        threshold: Decision threshold.

    Returns:
        Float tensor of matches, shaped like the rank-aligned inputs.
    """
    y_pred = _pred(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ((y_pred > threshold).to(y_true.dtype) == y_true).float()


def categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` over the last axis."""
    y_pred = _pred(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    return (y_true.argmax(dim=-1) == y_pred.argmax(dim=-1)).float()


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where the integer label equals ``argmax(y_pred)`` over the last axis.

    Labels may be int or float, with or without a trailing axis of size 1.
    """
    y_pred = _pred(y_pred)
    y_true = to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    matches = (y_true == y_pred.argmax(dim=-1).to(y_true.dtype)).float()
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(labels: torch.Tensor, y_pred: torch.Tensor, k: int) -> torch.Tensor:
    # A label counts when its score reaches the k-th largest score (ties count).
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    k = min(k, y_pred.shape[-1])
    kth = torch.topk(y_pred, k, dim=-1).values[:, -1]
    target = torch.take_along_dim(y_pred, labels.reshape(-1, 1).long(), dim=-1)[:, 0]
    return (target >= kth).float()


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> torch.Tensor:
    """1.0 where the one-hot target's class is among the ``k`` highest scores."""
    y_pred = _pred(y_pred)
    labels = to_tensor(y_true, device=y_pred.device).argmax(dim=-1)
    return _in_top_k(labels, y_pred, k).reshape(labels.shape)


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> torch.Tensor:
    """1.0 where the integer label is among the ``k`` highest scores.

    Args:
        y_true: Integer labels.
        y_pred: Scores, or (with ``from_sorted_ids``) class ids sorted by score.
        k: How many top entries count as a hit.
        from_sorted_ids: Whether ``y_pred`` already holds sorted class ids.

    Returns:
        Float tensor of matches, shaped like ``y_true``.
    """
    y_pred = _pred(y_pred)
    labels = to_tensor(y_true, device=y_pred.device)
    shape = labels.shape
    if from_sorted_ids:
        ids = y_pred.reshape(-1, y_pred.shape[-1])[:, :k]
        hits = (ids == labels.reshape(-1, 1).to(ids.dtype)).any(dim=-1).float()
    else:
        hits = _in_top_k(labels, y_pred, k)
    return hits.reshape(shape)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 label.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        threshold: Decision threshold.
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction matches the argmax of the one-hot label.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction matches the integer label.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest scores.

    Args:
        k: How many top entries count as a hit.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest scores.

    Args:
        k: How many top entries count as a hit.
        name: Name of the metric.
        dtype: Dtype of the state.
        from_sorted_ids: Whether predictions are class ids sorted by score.
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
