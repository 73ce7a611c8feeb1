"""Average: element-wise mean of a list of tensors."""

from __future__ import annotations

from .base_merge import Merge


class Average(Merge):
    """Average a list of tensors element-wise (shapes broadcast as in Keras).

    Args:
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Average
        >>> Average()([torch.zeros(1, 2), torch.full((1, 2), 4.0)])
        tensor([[2., 2.]])
    """

    def _merge_function(self, inputs, masks):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)
