"""Connectionist temporal classification (CTC) loss.

Targets are padded label sequences where ``0`` is the blank (and padding)
class; predictions are unnormalised scores for every time step. The loss of a
sample is the negative log-likelihood of its label sequence summed over every
alignment, computed by torch's CTC kernel.

Example:
    >>> import torch
    >>> y_true = torch.tensor([[1, 2, 0]])
    >>> y_pred = torch.zeros(1, 4, 3)  # uniform scores over 3 classes, 4 steps
    >>> ctc(y_true, y_pred)
    tensor([1.6864])
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ketorch.losses.classes import _REDUCTION, _FixedFunctionLoss
from ketorch.losses.loss import Loss, to_tensor

__all__ = ["ctc", "CTC"]

BLANK = 0


def ctc(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Per-sample CTC loss, with class ``0`` as the blank.

    Args:
        y_true: Integer labels ``(batch, max_label_length)``, padded with 0; the
            label length of a row is its number of non-zero entries.
        y_pred: Logits ``(batch, time, num_classes)`` (not softmax-normalised);
            every step counts.

    Returns:
        Tensor of shape ``(batch,)``.

    Raises:
        ValueError: If the ranks are not 2 and 3.
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, device=y_pred.device)
    if y_true.dim() != 2:
        raise ValueError(
            "Targets `y_true` must have shape (batch_size, max_length) in integer format. "
            f"Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.dim() != 3:
        raise ValueError(
            "Logits `y_pred` must have shape (batch_size, max_length, num_classes). "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if not y_pred.is_floating_point() or y_pred.dtype in (torch.float16, torch.bfloat16):
        y_pred = y_pred.float()
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    labels = y_true.long()
    label_lengths = (labels != BLANK).sum(dim=-1)
    log_probs = torch.log_softmax(y_pred.transpose(0, 1), dim=-1)
    input_lengths = torch.full((batch,), steps, dtype=torch.long, device=y_pred.device)
    return F.ctc_loss(
        log_probs, labels, input_lengths, label_lengths, blank=BLANK, reduction="none"
    )


class CTC(_FixedFunctionLoss):
    """CTC loss for sequence labelling without a known alignment.

    Args:
        reduction: See :class:`~ketorch.losses.Loss`.
        name: Name of the loss.
        dtype: Computation dtype.
    """

    _fn = staticmethod(ctc)
    _default_name = "ctc"

    def __init__(
        self, reduction: str | None = _REDUCTION, name: str | None = "ctc", dtype: Any = None
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def get_config(self) -> dict:
        """Returns name and reduction."""
        return Loss.get_config(self)
