"""Per-sample regression losses: ``(y_true, y_pred) -> loss`` over the last axis.

Each function returns one value per sample (the input shape without its last
axis) and matches the Keras 3 formula of the same name.

Example:
    >>> import torch
    >>> mean_absolute_error(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
    tensor([0.5000])
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from ketorch.losses.loss import EPSILON, squeeze_or_expand_to_same_rank, to_tensor

__all__ = [
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "cosine_similarity",
    "huber",
    "log_cosh",
]


def prepare(y_true: Any, y_pred: Any, align: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Converts both to tensors (``y_true`` takes ``y_pred``'s dtype and device).

    With ``align``, a trailing size-1 axis is squeezed or added so ranks agree.
    """
    y_pred = to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    y_true = to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    if align:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def mean_squared_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Mean of ``(y_true - y_pred) ** 2`` over the last axis.

    Args:
        y_true: Targets, shape ``(batch, ..., d)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch, ...)``.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    return torch.square(y_true - y_pred).mean(dim=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Mean of ``|y_true - y_pred|`` over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred)
    return torch.abs(y_true - y_pred).mean(dim=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps))`` over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=EPSILON))
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Mean of ``(log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps))) ** 2``."""
    y_true, y_pred = prepare(y_true, y_pred)
    first = torch.log(torch.clamp(y_pred, min=EPSILON) + 1.0)
    second = torch.log(torch.clamp(y_true, min=EPSILON) + 1.0)
    return torch.square(first - second).mean(dim=-1)


def _l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    # x / max(||x||, eps), written as x * min(rsqrt(sum x^2), 1/eps) like Keras.
    inv_norm = torch.rsqrt(torch.square(x).sum(dim=axis, keepdim=True))
    return x * torch.clamp(inv_norm, max=1.0 / EPSILON)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Negative cosine similarity along ``axis`` (-1 means perfectly aligned).

    Args:
        y_true: Targets.
        y_pred: Predictions.
        axis: Axis along which the similarity is computed.

    Returns:
        Tensor with ``axis`` removed.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    return -(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> torch.Tensor:
    """Huber loss: quadratic for ``|error| <= delta``, linear beyond, mean over last axis.

    Args:
        y_true: Targets.
        y_pred: Predictions.
        delta: Where the loss switches from quadratic to linear.

    Returns:
        Tensor of shape ``(batch, ...)``.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return torch.where(abs_error <= delta, quadratic, linear).mean(dim=-1)


def log_cosh(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis, computed stably."""
    y_true, y_pred = prepare(y_true, y_pred)
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - math.log(2.0)).mean(dim=-1)
