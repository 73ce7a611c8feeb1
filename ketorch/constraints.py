"""Weight constraints applied after each optimizer step.

Example:
    >>> import torch
    >>> from ketorch import constraints
    >>> constraints.NonNeg()(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

import torch

from ._identifiers import get_from_names, make_deserialize

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "get", "serialize"]

_EPS = 1e-7


class Constraint:
    """Base class: ``__call__(w) -> projected w``."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescale so the norm along ``axis`` is at most ``max_value``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = torch.sqrt(torch.sum(torch.square(w), dim=self.axis, keepdim=True))
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (_EPS + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep the norm along ``axis`` within ``[min_value, max_value]`` (blended by ``rate``)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = torch.sqrt(torch.sum(torch.square(w), dim=self.axis, keepdim=True))
        desired = (
            self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        )
        return w * (desired / (_EPS + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


class NonNeg(Constraint):
    """Clamp negative weights to zero."""

    def __call__(self, w):
        # max(w, 0) as Keras: negatives become +0.0 (a mask product would give -0.0).
        return torch.clamp_min(w, 0)


class UnitNorm(Constraint):
    """Rescale to unit norm along ``axis``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (_EPS + torch.sqrt(torch.sum(torch.square(w), dim=self.axis, keepdim=True)))

    def get_config(self):
        return {"axis": self.axis}


max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm
_NAMES = {
    "max_norm": MaxNorm, "MaxNorm": MaxNorm, "min_max_norm": MinMaxNorm,
    "MinMaxNorm": MinMaxNorm, "non_neg": NonNeg, "NonNeg": NonNeg,
    "unit_norm": UnitNorm, "UnitNorm": UnitNorm,
}  # fmt: skip


def get(identifier):
    """Resolve a constraint from ``None``, a name, a config dict or a callable."""
    return get_from_names(identifier, _NAMES, "constraint")


def serialize(constraint):
    if constraint is None:
        return None
    return {
        "module": "keras.constraints",
        "class_name": type(constraint).__name__,
        "config": constraint.get_config(),
        "registered_name": None,
    }


deserialize = make_deserialize(get, "constraint", __name__)
