"""Weight and activity penalties: ``L1``, ``L2``, ``L1L2`` and ``OrthogonalRegularizer``.

Example:
    >>> import torch
    >>> from ketorch import regularizers
    >>> float(regularizers.L2(0.1)(torch.ones(2, 2)))
    0.4000000059604645
"""

from __future__ import annotations

import math
import numbers

import torch

from ._identifiers import get_from_names, make_deserialize

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "get", "serialize"]


class Regularizer:
    """Base class: ``__call__(weight) -> scalar penalty``."""

    def __call__(self, x):  # pragma: no cover - abstract
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_factor(name, value):
    # As Keras: a finite non-negative Python/NumPy number, else a ValueError naming it.
    if not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative number. Received: {name}={value!r}")
    return float(value)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        # None means 0.0, as in Keras.
        self.l1 = _check_factor("l1", 0.0 if l1 is None else l1)
        self.l2 = _check_factor("l2", 0.0 if l2 is None else l2)

    def __call__(self, x):
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)`` (default factor 0.01)."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor("l1", l1)

    def __call__(self, x):
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)`` (default factor 0.01)."""

    def __init__(self, l2=0.01):
        self.l2 = _check_factor("l2", l2)

    def __call__(self, x):
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalise non-orthogonal rows (``mode="rows"``) or columns of a 2-D kernel."""

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"`mode` must be 'rows' or 'columns'. Received: mode={mode!r}")
        self.factor, self.mode = _check_factor("factor", factor), mode

    def __call__(self, x):
        if self.mode == "columns":
            x = x.T
        x = torch.nn.functional.normalize(x, dim=1)
        prod = x @ x.T
        n = x.shape[0]
        off = prod - torch.eye(n, dtype=x.dtype, device=x.device)
        return self.factor * torch.sum(torch.abs(off)) / (n * (n - 1)) if n > 1 else x.new_zeros(())

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2 = L1, L2, L1L2
_NAMES = {
    "l1": L1, "l2": L2, "l1_l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
    "OrthogonalRegularizer": OrthogonalRegularizer,
}  # fmt: skip


def get(identifier):
    """Resolve a regularizer from ``None``, a name, a config dict or a callable."""
    return get_from_names(identifier, _NAMES, "regularizer")


def serialize(regularizer):
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        return {
            "module": "keras.regularizers",
            "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(),
            "registered_name": None,
        }
    return getattr(regularizer, "__name__", None)


orthogonal_regularizer = OrthogonalRegularizer


deserialize = make_deserialize(get, "regularizer", __name__)
