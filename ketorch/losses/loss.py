"""The ``Loss`` base class and the reduction rules shared by losses and metrics.

A loss object turns per-sample values from :meth:`Loss.call` into one number,
applying ``sample_weight`` and any mask carried by ``y_pred`` the way Keras 3
does. Everything here is torch ops only, so nothing forces a host sync.

Example:
    >>> import torch
    >>> from ketorch.losses import MeanSquaredError
    >>> MeanSquaredError()(torch.tensor([[1.0], [2.0]]), torch.tensor([[1.5], [2.0]]))
    tensor(0.1250)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

EPSILON = 1e-7
"""Fuzz factor Keras uses for clipping (``keras.backend.epsilon()``)."""

MASK_ATTR = "_keras_mask"
"""Attribute name under which a tensor carries its boolean mask."""

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")

__all__ = [
    "Loss",
    "EPSILON",
    "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
    "to_tensor",
]


def snake_case(name: str) -> str:
    """Turns ``"CamelCase"`` into ``"camel_case"`` (``"AUC"`` becomes ``"auc"``)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def standardize_dtype(dtype: Any) -> str:
    """Returns a floating dtype name such as ``"float32"``; ``None`` means float32."""
    if dtype is None:
        return "float32"
    if isinstance(dtype, torch.dtype):
        return str(dtype).replace("torch.", "")
    name = getattr(dtype, "compute_dtype", None) or getattr(dtype, "name", None) or dtype
    if isinstance(name, str) and isinstance(getattr(torch, name, None), torch.dtype):
        return name
    raise ValueError(
        f"Argument `dtype` must be a torch dtype or a dtype name like 'float32'. Received: dtype={dtype!r}"
    )


def to_tensor(x: Any, dtype: torch.dtype | None = None, device: Any = None) -> torch.Tensor:
    """Converts ``x`` (tensor, array, list or number) to a tensor on ``device``.

    Tensors already of the right dtype and device are returned unchanged;
    non-tensor floating inputs default to float32.
    """
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(np.asarray(x))
        if dtype is None and x.is_floating_point():
            dtype = torch.float32  # host floats (often float64) become floatx
    if (dtype is not None and x.dtype != dtype) or (device is not None and x.device != device):
        x = x.to(device=device, dtype=dtype)
    return x


def standardize_reduction(reduction: str | None) -> str | None:
    """Checks ``reduction`` against the names Keras accepts and returns it."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Argument `reduction` must be one of "
            f"{', '.join(repr(r) for r in REDUCTIONS)}. Received: reduction={reduction!r}"
        )
    return reduction


def squeeze_or_expand_to_same_rank(
    x1: torch.Tensor, x2: torch.Tensor, expand_rank_1: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Makes two tensors whose ranks differ by one have the same rank.

    The higher-rank tensor loses its trailing axis of size 1, except when the
    other one is rank 1 and ``expand_rank_1`` is set: then that one gains an axis.
    """
    r1, r2 = x1.dim(), x2.dim()
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _divide_no_nan(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    return torch.where(den == 0, torch.zeros_like(num), num / torch.where(den == 0, 1, den))


def apply_mask(
    sample_weight: torch.Tensor | None,
    mask: torch.Tensor | None,
    dtype: torch.dtype,
    reduction: str | None,
) -> torch.Tensor | None:
    """Folds a boolean ``mask`` into ``sample_weight``.

    For the averaging reductions the kept entries are scaled by
    ``total / valid`` so that dividing by the full element count averages over
    the valid entries only.
    """
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        mask_f = mask.to(dtype)
        valid = mask_f.sum()  # may be 0; stays on device (no host sync)
        scale = torch.where(valid == 0, 0.0, mask.numel() / torch.where(valid == 0, 1.0, valid))
        float_mask = mask_f * scale
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight.to(dtype))
    return sample_weight * float_mask


def reduce_values(
    values: torch.Tensor,
    sample_weight: torch.Tensor | None = None,
    reduction: str | None = "sum_over_batch_size",
) -> torch.Tensor:
    """Sums ``values`` and divides as ``reduction`` says (already-weighted values)."""
    if reduction is None or reduction == "none" or values.dim() == 0 or values.shape == (0,):
        return values
    loss = values.sum()
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(loss, sample_weight.sum().to(loss.dtype))
    n = values.numel()
    return loss / n if n else loss * 0


def reduce_weighted_values(
    values: torch.Tensor,
    sample_weight: Any = None,
    mask: torch.Tensor | None = None,
    reduction: str | None = "sum_over_batch_size",
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Weights per-sample ``values`` by ``sample_weight`` and ``mask``, then reduces."""
    reduction = standardize_reduction(reduction)
    values = to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype=values.dtype, device=values.device)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def get_mask(x: Any) -> torch.Tensor | None:
    """Returns the boolean mask a tensor carries, or ``None``."""
    return getattr(x, MASK_ATTR, None)


class Loss:
    """Base class of every loss: computes per-sample values, then reduces them.

    Subclasses implement :meth:`call` (``y_true, y_pred -> per-sample loss``);
    calling the object applies ``sample_weight`` and the reduction.

    Args:
        name: Name of the loss; defaults to the snake_case class name.
        reduction: How per-sample values become the result: ``"sum_over_batch_size"``
            (default; sum divided by the number of values), ``"mean"`` (same),
            ``"sum"``, ``"mean_with_sample_weight"`` (sum divided by the sum of the
            weights) or ``"none"``/``None`` (no reduction).
        dtype: Computation dtype (inputs are cast to it). Defaults to float32.

    Example:
        >>> import torch
        >>> class Absolute(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return (y_true - y_pred).abs().mean(dim=-1)
        >>> Absolute()(torch.zeros(2, 1), torch.ones(2, 1))
        tensor(1.)
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        self.name = name or snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = standardize_dtype(dtype)

    @property
    def dtype(self) -> str:
        """Name of the computation dtype, e.g. ``"float32"``."""
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        """Computes the reduced loss.

        Args:
            y_true: Targets.
            y_pred: Predictions; a boolean ``_keras_mask`` attribute on it masks values.
            sample_weight: Optional weights broadcast against the per-sample loss.

        Returns:
            The reduced loss (a 0-d tensor unless ``reduction`` is ``"none"``).
        """
        in_mask = get_mask(y_pred)
        dtype = getattr(torch, self._dtype)
        y_pred = to_tensor(y_pred, dtype=dtype)
        y_true = to_tensor(y_true, dtype=dtype, device=y_pred.device)
        losses = self.call(y_true, y_pred)
        out_mask = get_mask(losses)
        if in_mask is not None and out_mask is not None:
            mask = in_mask & out_mask
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction, dtype=dtype
        )

    def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        """Returns the per-sample loss; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def get_config(self) -> dict:
        """Returns the constructor arguments as a JSON-safe dict."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        """Rebuilds a loss from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
