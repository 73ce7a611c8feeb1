"""Focal crossentropies and the generalized (noise-robust) crossentropy.

The focal losses scale each crossentropy term by ``(1 - p_t) ** gamma``, where
``p_t`` is the probability given to the true class, so confident correct
predictions contribute little (Lin et al., 2017). The generalized crossentropy
``(1 - p ** q) / q`` sits between crossentropy (``q -> 0``) and mean absolute
error (``q = 1``) (Zhang and Sabuncu, 2018).

Example:
    >>> import torch
    >>> y_true = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    >>> y_pred = torch.tensor([[0.6, 0.4], [0.4, 0.6]])
    >>> binary_focal_crossentropy(y_true, y_pred, gamma=2.0)
    tensor([0.3299, 0.2058])
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from ketorch.losses.classes import _REDUCTION, _FixedFunctionLoss
from ketorch.losses.loss import EPSILON, to_tensor
from ketorch.losses.probabilistic import _check_axis

__all__ = [
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
]


def _inputs(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    y_pred = to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    return to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device), y_pred


def _as_factor(value: Any, like: torch.Tensor) -> Any:
    # A list of per-class factors becomes a tensor broadcast along the last axis.
    if isinstance(value, (list, tuple)) or hasattr(value, "shape"):
        return to_tensor(value, dtype=like.dtype, device=like.device)
    return value


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Binary crossentropy scaled by the focal factor, averaged over ``axis``.

    The focal factor is ``(1 - p) ** gamma`` for positives and ``p ** gamma``
    for negatives, ``p`` being the predicted probability.

    Args:
        y_true: Targets in ``[0, 1]``, same shape as ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits`` is set.
        apply_class_balancing: Also weight positives by ``alpha`` and negatives
            by ``1 - alpha``.
        alpha: Weight of the positive class when balancing.
        gamma: Focusing exponent; 0 gives plain binary crossentropy.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Moves targets towards 0.5 by this fraction.
        axis: Axis averaged over.

    Returns:
        Tensor with ``axis`` removed.
    """
    _check_axis(axis)
    y_true, y_pred = _inputs(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "binary_focal_crossentropy: `y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    p = torch.clamp(y_pred, EPSILON, 1.0 - EPSILON)
    bce = -(y_true * torch.log(p) + (1.0 - y_true) * torch.log1p(-p))
    p_true = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = torch.pow(1.0 - p_true, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return focal.mean(dim=axis)


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: Any = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Categorical crossentropy weighted by ``alpha * (1 - p) ** gamma`` per class.

    Args:
        y_true: One-hot (or soft) targets, same shape as ``y_pred``.
        y_pred: Probabilities (renormalised to sum to one), or logits.
        alpha: Class weight: a number, or one number per class.
        gamma: Focusing exponent; 0 gives ``alpha`` times the crossentropy.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Mixes targets with the uniform distribution by this fraction.
        axis: The class axis.

    Returns:
        Tensor with ``axis`` removed.
    """
    if isinstance(axis, bool):
        raise ValueError(f"Argument `axis` must be an int. Received: axis={axis!r}")
    y_true, y_pred = _inputs(y_true, y_pred)
    if y_pred.dim() and y_pred.shape[-1] == 1:
        warnings.warn(
            "categorical_focal_crossentropy expects `y_pred` of shape (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Use "
            "binary_focal_crossentropy for two classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    prob = torch.clamp(y_pred / y_pred.sum(dim=axis, keepdim=True), EPSILON, 1.0 - EPSILON)
    weight = torch.pow(1.0 - prob, gamma) * _as_factor(alpha, prob)
    return (weight * (-y_true * torch.log(prob))).sum(dim=axis)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> torch.Tensor:
    """Generalized crossentropy ``(1 - p ** q) / q`` of integer labels.

    Args:
        y_true: Integer class ids, shape ``(batch,)`` (or ``(batch, 1)``).
        y_pred: Class probabilities, shape ``(batch, num_classes)``.
        q: Noise parameter in ``(0, 1)``.

    Returns:
        Tensor of shape ``(batch,)``. A label outside ``[0, num_classes)`` gives
        ``p = 0``.
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    if y_true.dim() == y_pred.dim() and y_true.dim() > 1 and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    classes = torch.arange(y_pred.shape[-1], device=y_pred.device)
    one_hot = (y_true.long().unsqueeze(-1) == classes).to(y_pred.dtype)
    p = (y_pred * one_hot).sum(dim=-1)
    return (1.0 - torch.pow(p, q)) / q


class BinaryFocalCrossentropy(_FixedFunctionLoss):
    """Binary crossentropy that down-weights easy examples (focal loss).

    Args:
        apply_class_balancing: Weight positives by ``alpha``, negatives by ``1 - alpha``.
        alpha: Weight of the positive class when balancing.
        gamma: Focusing exponent.
        from_logits: Whether predictions are logits.
        label_smoothing: Moves targets towards 0.5 by this fraction.
        axis: Axis averaged over.
        reduction: See :class:`~ketorch.losses.Loss`.
        name: Name of the loss.
        dtype: Computation dtype.

    Example:
        >>> import torch
        >>> loss = BinaryFocalCrossentropy(gamma=2.0, from_logits=True)
        >>> loss(torch.tensor([[0.0, 1.0, 0.0, 0.0]]), torch.tensor([[-18.6, 0.51, 2.94, -12.8]]))
        tensor(0.6912)
    """

    _fn = staticmethod(binary_focal_crossentropy)
    _default_name = "binary_focal_crossentropy"
    _options = (
        "from_logits",
        "label_smoothing",
        "axis",
        "apply_class_balancing",
        "alpha",
        "gamma",
    )

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = _REDUCTION,
        name: str | None = "binary_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(_FixedFunctionLoss):
    """Categorical crossentropy with focal and class weighting, for one-hot targets.

    Args:
        alpha: Class weight: a number, or a list with one number per class.
        gamma: Focusing exponent.
        from_logits: Whether predictions are logits.
        label_smoothing: Mixes targets with the uniform distribution by this fraction.
        axis: The class axis.
        reduction: See :class:`~ketorch.losses.Loss`.
        name: Name of the loss.
        dtype: Computation dtype.

    Example:
        >>> import torch
        >>> y_true = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        >>> y_pred = torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
        >>> CategoricalFocalCrossentropy()(y_true, y_pred)
        tensor(0.2332)
    """

    _fn = staticmethod(categorical_focal_crossentropy)
    _default_name = "categorical_focal_crossentropy"
    _options = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha: Any = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = _REDUCTION,
        name: str | None = "categorical_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalGeneralizedCrossEntropy(_FixedFunctionLoss):
    """Generalized crossentropy of integer labels, robust to label noise.

    Args:
        q: Noise parameter in ``(0, 1)``: near 0 it behaves like crossentropy,
            near 1 like mean absolute error.
        reduction: See :class:`~ketorch.losses.Loss`.
        name: Name of the loss.
        dtype: Computation dtype.

    Example:
        >>> import torch
        >>> y_pred = torch.tensor([[0.7, 0.3], [0.2, 0.8]])
        >>> CategoricalGeneralizedCrossEntropy()(torch.tensor([0, 1]), y_pred)
        tensor(0.2689)
    """

    _fn = staticmethod(categorical_generalized_cross_entropy)
    _default_name = "categorical_generalized_cross_entropy"
    _options = ("q",)

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = _REDUCTION,
        name: str | None = "categorical_generalized_cross_entropy",
        dtype: Any = None,
    ) -> None:
        if not 0 < q < 1:
            raise ValueError(f"Argument `q` must be in the interval (0, 1). Received: q={q}")
        super().__init__(reduction=reduction, name=name, dtype=dtype, q=q)
