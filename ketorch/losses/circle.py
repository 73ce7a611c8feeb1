"""Circle loss for metric learning on L2-normalised embeddings (Sun et al., 2020).

Every pair of embeddings in the batch (or against reference embeddings) is
scored by cosine distance; pairs of the same label are pulled together and the
others pushed apart, each with a weight that grows with how far it is from its
optimum. Samples with no loss left are masked out of the average.

Example:
    >>> import torch
    >>> emb = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]))
    >>> circle(torch.tensor([0, 0, 1]), emb, gamma=2.0)
    tensor([0.4518, 0.7763, 0.0000])
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ketorch.losses.classes import _REDUCTION, _FixedFunctionLoss
from ketorch.losses.loss import MASK_ATTR, to_tensor

__all__ = ["circle", "Circle"]


def _pair_masks(query: torch.Tensor, keys: torch.Tensor, remove_diagonal: bool):
    positive = query.reshape(-1, 1) == keys.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        eye = torch.eye(positive.shape[0], positive.shape[1], dtype=torch.bool, device=query.device)
        positive = positive & ~eye
    return positive, negative


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> torch.Tensor:
    """Per-sample circle loss.

    Args:
        y_true: Integer labels, shape ``(batch,)``.
        y_pred: L2-normalised embeddings, shape ``(batch, dim)``.
        ref_labels: Labels of the reference embeddings (default: ``y_true``).
        ref_embeddings: L2-normalised reference embeddings (default: ``y_pred``).
        remove_diagonal: Leave each sample's pair with itself out of the positives.
        gamma: Scale of the similarity scores.
        margin: Relaxation margin.

    Returns:
        Tensor of shape ``(batch,)``; it carries a ``_keras_mask`` of the samples
        whose loss is positive, which the loss reduction averages over.
    """
    y_pred = to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    labels = to_tensor(y_true, device=y_pred.device).to(torch.int32)
    refs = (
        y_pred if ref_embeddings is None else to_tensor(ref_embeddings, y_pred.dtype, y_pred.device)
    )
    ref_ids = labels if ref_labels is None else to_tensor(ref_labels, device=y_pred.device)
    ref_ids = ref_ids.to(torch.int32)

    distances = torch.clamp(1.0 - y_pred @ refs.T, min=0.0)
    positive, negative = _pair_masks(labels, ref_ids, remove_diagonal)
    pos_weights = torch.clamp((margin + distances) * positive.to(distances.dtype), min=0.0)
    neg_weights = torch.clamp((1.0 + margin - distances) * negative.to(distances.dtype), min=0.0)
    pos_terms = -gamma * pos_weights * (margin - distances)
    neg_terms = gamma * neg_weights * ((1.0 - margin) - distances)
    neg_inf = torch.tensor(float("-inf"), dtype=distances.dtype, device=distances.device)
    pos_loss = torch.logsumexp(torch.where(positive, pos_terms, neg_inf), dim=1)
    neg_loss = torch.logsumexp(torch.where(negative, neg_terms, neg_inf), dim=1)
    loss = F.softplus(pos_loss + neg_loss)
    setattr(loss, MASK_ATTR, loss > 0)
    return loss


class Circle(_FixedFunctionLoss):
    """Circle loss between integer labels and L2-normalised embeddings.

    Use it on a model that ends with a linear layer followed by
    ``UnitNormalization``.

    Args:
        gamma: Scale of the similarity scores.
        margin: Relaxation margin.
        remove_diagonal: Leave each sample's pair with itself out of the positives.
        reduction: See :class:`~ketorch.losses.Loss`.
        name: Name of the loss.
        dtype: Computation dtype.
    """

    _fn = staticmethod(circle)
    _default_name = "circle"
    _options = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = _REDUCTION,
        name: str | None = "circle",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
