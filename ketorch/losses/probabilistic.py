"""Per-sample probabilistic losses: crossentropies, KL divergence and Poisson.

Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` and categorical
probabilities are renormalised to sum to one, as Keras does; logits go through
fused ``log_softmax`` / ``cross_entropy`` kernels.

Example:
    >>> import torch
    >>> y_true = torch.tensor([1, 2])
    >>> y_pred = torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> sparse_categorical_crossentropy(y_true, y_pred)
    tensor([0.0513, 2.3026])
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ketorch.losses.loss import EPSILON, MASK_ATTR, to_tensor
from ketorch.losses.regression import prepare

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "kl_divergence",
    "poisson",
]


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"Argument `axis` must be an int. Received: axis={axis!r}")


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Binary crossentropy, averaged over ``axis``.

    Args:
        y_true: Targets in ``[0, 1]``, same shape as ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits`` is set.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Moves targets towards 0.5 by this fraction.
        axis: Axis averaged over.

    Returns:
        Tensor with ``axis`` removed.
    """
    _check_axis(axis)
    y_true, y_pred = prepare(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "binary_crossentropy: `y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        # Written out (not F.binary_cross_entropy) because that kernel refuses autocast.
        p = torch.clamp(y_pred, EPSILON, 1.0 - EPSILON)
        bce = -(y_true * torch.log(p) + (1.0 - y_true) * torch.log1p(-p))
    return bce.mean(dim=axis)


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Crossentropy between one-hot (or soft) targets and class scores.

    Args:
        y_true: One-hot or soft targets, same shape as ``y_pred``.
        y_pred: Probabilities (renormalised to sum to one), or logits.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Mixes targets with the uniform distribution by this fraction.
        axis: The class axis.

    Returns:
        Tensor with ``axis`` removed.
    """
    _check_axis(axis)
    y_true, y_pred = prepare(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "categorical_crossentropy: `y_true` and `y_pred` must have the same shape "
            "(one-hot targets; use sparse_categorical_crossentropy for integer labels). "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    if label_smoothing:
        num_classes = y_true.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if from_logits:
        log_prob = torch.log_softmax(y_pred, dim=axis)
    else:
        prob = y_pred / y_pred.sum(dim=axis, keepdim=True)
        log_prob = torch.log(torch.clamp(prob, EPSILON, 1.0 - EPSILON))
    return -(y_true * log_prob).sum(dim=axis)


def _label_range_error(labels: torch.Tensor, num_classes: int) -> ValueError:
    low, high = int(labels.min()), int(labels.max())
    return ValueError(
        f"sparse_categorical_crossentropy: labels must be in [0, {num_classes}) for an output "
        f"with {num_classes} classes; Received labels in [{low}, {high}]"
    )


def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> torch.Tensor:
    """Crossentropy between integer labels and class scores.

    Args:
        y_true: Integer class ids (int or float dtype), shape ``y_pred.shape``
            without ``axis``, or with a size-1 ``axis``.
        y_pred: Probabilities (renormalised to sum to one), or logits.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label value whose positions get zero loss and are left out
            of the average (the result carries them as a ``_keras_mask``).
        axis: The class axis.

    Returns:
        Tensor with ``axis`` removed.

    Raises:
        ValueError: If a label is outside ``[0, num_classes)``.
    """
    _check_axis(axis)
    y_pred = to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    y_true = to_tensor(y_true, device=y_pred.device)
    if y_pred.dim() < 1:
        raise ValueError(
            "sparse_categorical_crossentropy: `y_pred` must have at least rank 1. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    class_axis = axis % y_pred.dim()
    if y_true.dim() == y_pred.dim() and y_true.shape[class_axis] == 1:
        y_true = y_true.squeeze(class_axis)
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1 :]
    if y_true.shape != expected:
        raise ValueError(
            "sparse_categorical_crossentropy: `y_true` must have the shape of `y_pred` without "
            f"its class axis. Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = torch.where(valid, y_true, torch.zeros_like(y_true))
        y_pred = torch.where(valid.unsqueeze(class_axis), y_pred, torch.zeros_like(y_pred))
    labels = y_true.long()
    num_classes = y_pred.shape[class_axis]
    squeeze = y_pred.dim() == 1
    if squeeze:
        y_pred, labels = y_pred.unsqueeze(0), labels.unsqueeze(0)
    elif class_axis != 1:
        y_pred = y_pred.movedim(class_axis, 1)
    try:
        if from_logits:
            res = F.cross_entropy(y_pred, labels, reduction="none")
        else:
            prob = y_pred / y_pred.sum(dim=1, keepdim=True)
            log_prob = torch.log(torch.clamp(prob, EPSILON, 1.0 - EPSILON))
            res = F.nll_loss(log_prob, labels, reduction="none")
    except (IndexError, RuntimeError) as err:
        if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
            raise _label_range_error(labels, num_classes) from err
        raise
    if squeeze:
        res = res.squeeze(0)
    if valid is not None:
        res = torch.where(valid, res, torch.zeros_like(res))
        setattr(res, MASK_ATTR, valid)
    return res


def kl_divergence(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))`` over the last axis.

    Both inputs are clipped to ``[1e-7, 1]`` first.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    y_true = torch.clamp(y_true, EPSILON, 1.0)
    y_pred = torch.clamp(y_pred, EPSILON, 1.0)
    return (y_true * torch.log(y_true / y_pred)).sum(dim=-1)


def poisson(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Poisson loss ``mean(y_pred - y_true * log(y_pred + 1e-7))`` over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred)
    return (y_pred - y_true * torch.log(y_pred + EPSILON)).mean(dim=-1)
