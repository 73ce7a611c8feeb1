"""Overlap losses for segmentation: Dice and Tversky.

Both compare soft masks by their intersection: Dice is ``1 - 2|A∩B| / (|A| + |B|)``;
Tversky weights the false positives and false negatives separately (with
``alpha = beta = 0.5`` it equals Dice). With ``axis=None`` the whole batch is
one overlap; pass e.g. ``axis=(1, 2, 3)`` for one value per image.

Example:
    >>> import torch
    >>> y_true = torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    >>> y_pred = torch.tensor([[0.0, 1.0, 0.0, 1.0], [0.4, 0.0, 0.0, 0.9]])
    >>> dice(y_true, y_pred, axis=1)
    tensor([0.5000, 0.7576])
"""

from __future__ import annotations

from typing import Any

import torch

from ketorch.losses.classes import _REDUCTION, _FixedFunctionLoss
from ketorch.losses.loss import EPSILON, to_tensor

__all__ = ["dice", "tversky", "Dice", "Tversky"]


def _sum(x: torch.Tensor, axis: Any) -> torch.Tensor:
    if axis is None:
        return x.sum()
    return x.sum(dim=tuple(axis) if isinstance(axis, (list, tuple)) else axis)


def _inputs(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred = to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    return to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device), y_pred


def dice(y_true: Any, y_pred: Any, axis: Any = None) -> torch.Tensor:
    """Dice loss ``1 - 2 sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)``.

    Args:
        y_true: Target masks.
        y_pred: Predicted masks (probabilities).
        axis: Axis or tuple of axes summed over; ``None`` sums everything.

    Returns:
        Tensor with ``axis`` removed (a 0-d tensor for ``axis=None``).
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    return 1.0 - 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + EPSILON)


def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None
) -> torch.Tensor:
    """Tversky loss ``1 - tp / (tp + alpha * fp + beta * fn + eps)`` on soft masks.

    Here ``fp`` is ``sum((1 - y_pred) * y_true)`` and ``fn`` is
    ``sum(y_pred * (1 - y_true))``, the terms Keras weights by ``alpha`` and ``beta``.

    Args:
        y_true: Target masks.
        y_pred: Predicted masks (probabilities).
        alpha: Weight of the ``fp`` term.
        beta: Weight of the ``fn`` term.
        axis: Axis or tuple of axes summed over; ``None`` sums everything.

    Returns:
        Tensor with ``axis`` removed (a 0-d tensor for ``axis=None``).
    """
    y_true, y_pred = _inputs(y_true, y_pred)
    tp = _sum(y_true * y_pred, axis)
    fp = _sum((1.0 - y_pred) * y_true, axis)
    fn = _sum(y_pred * (1.0 - y_true), axis)
    return 1.0 - tp / (tp + fp * alpha + fn * beta + EPSILON)


class Dice(_FixedFunctionLoss):
    """Dice loss between target and predicted masks.

    Args:
        reduction: See :class:`~ketorch.losses.Loss`.
        name: Name of the loss.
        axis: Axis or tuple of axes summed over; ``None`` (default) sums everything.
        dtype: Computation dtype.

    Example:
        >>> import torch
        >>> y_true = torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
        >>> y_pred = torch.tensor([[0.0, 1.0, 0.0, 1.0], [0.4, 0.0, 0.0, 0.9]])
        >>> Dice()(y_true, y_pred)
        tensor(0.6164)
    """

    _fn = staticmethod(dice)
    _default_name = "dice"
    _options = ("axis",)

    def __init__(
        self,
        reduction: str | None = _REDUCTION,
        name: str | None = "dice",
        axis: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(_FixedFunctionLoss):
    """Tversky loss: Dice with separate weights for the two kinds of error.

    Args:
        alpha: Weight of the ``sum((1 - y_pred) * y_true)`` term.
        beta: Weight of the ``sum(y_pred * (1 - y_true))`` term.
        reduction: See :class:`~ketorch.losses.Loss`.
        name: Name of the loss.
        axis: Axis or tuple of axes summed over; ``None`` (default) sums everything.
        dtype: Computation dtype.
    """

    _fn = staticmethod(tversky)
    _default_name = "tversky"
    _options = ("alpha", "beta", "axis")

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = _REDUCTION,
        name: str | None = "tversky",
        axis: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis
        )
