"""keras.ops.numpy, elementwise part: arithmetic, comparisons, logic, bitwise, unary math."""

from __future__ import annotations

import torch

from ._common import promote
from .operation import keras_op

__all__ = ["add", "multiply", "subtract"]


@keras_op
def add(x1, x2):
    """Elementwise ``x1 + x2`` with Keras's dtype promotion.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.add(torch.tensor([1, 2], dtype=torch.int32), 1.5)
    tensor([2.5000, 3.5000])
    """
    x1, x2 = promote(x1, x2)
    return torch.add(x1, x2)


@keras_op
def subtract(x1, x2):
    """Elementwise ``x1 - x2`` with Keras's dtype promotion."""
    x1, x2 = promote(x1, x2)
    return torch.subtract(x1, x2)


@keras_op
def multiply(x1, x2):
    """Elementwise ``x1 * x2`` with Keras's dtype promotion."""
    x1, x2 = promote(x1, x2)
    return torch.multiply(x1, x2)
