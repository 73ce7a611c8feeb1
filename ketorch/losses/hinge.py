"""Per-sample hinge losses (for labels in ``{-1, 1}``; ``{0, 1}`` labels are converted).

Example:
    >>> import torch
    >>> hinge(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, -2.0]]))
    tensor([0.2500])
"""

from __future__ import annotations

from typing import Any

import torch

from ketorch.losses.regression import prepare

__all__ = ["hinge", "squared_hinge", "categorical_hinge"]


def _to_signed_labels(y_true: torch.Tensor) -> torch.Tensor:
    # {0, 1} labels become {-1, 1}; decided on device, so no host sync.
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Mean of ``max(1 - y_true * y_pred, 0)`` over the last axis.

    Args:
        y_true: Labels in ``{-1, 1}`` (or ``{0, 1}``, converted).
        y_pred: Scores.

    Returns:
        Tensor of shape ``(batch, ...)``.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    y_true = _to_signed_labels(y_true)
    return torch.clamp(1.0 - y_true * y_pred, min=0.0).mean(dim=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Mean of ``max(1 - y_true * y_pred, 0) ** 2`` over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred)
    y_true = _to_signed_labels(y_true)
    return torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)).mean(dim=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis.

    Args:
        y_true: One-hot targets.
        y_pred: Scores.

    Returns:
        Tensor of shape ``(batch, ...)``.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    pos = (y_true * y_pred).sum(dim=-1)
    neg = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)
