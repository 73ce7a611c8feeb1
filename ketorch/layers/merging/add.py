"""Add: element-wise sum of a list of tensors."""

from __future__ import annotations

from .base_merge import Merge


class Add(Merge):
    """Sum a list of tensors element-wise (shapes broadcast as in Keras).

    Args:
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Add
        >>> Add()([torch.ones(2, 3), torch.ones(2, 3)])
        tensor([[2., 2., 2.],
                [2., 2., 2.]])
    """

    def _merge_function(self, inputs, masks):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out
