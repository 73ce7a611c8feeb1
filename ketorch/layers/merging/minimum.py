"""Minimum: element-wise minimum of a list of tensors."""

from __future__ import annotations

import torch

from .base_merge import Merge


class Minimum(Merge):
    """Element-wise minimum of a list of tensors (shapes broadcast as in Keras).

    A masked entry of one input is ignored (the other inputs' value is used).

    Args:
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Minimum
        >>> Minimum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
        tensor([[1., 2.]])
    """

    def _merge_function(self, inputs, masks):
        return self._masked_reduce(torch.minimum, inputs, masks)
