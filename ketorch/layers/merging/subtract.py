"""Subtract: the element-wise difference of two tensors."""

from __future__ import annotations

from .base_merge import Merge


class Subtract(Merge):
    """Compute ``inputs[0] - inputs[1]`` for a list of exactly two tensors.

    Args:
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Subtract
        >>> Subtract()([torch.ones(1, 2), torch.full((1, 2), 3.0)])
        tensor([[-2., -2.]])
    """

    _exact_inputs = 2

    def _merge_function(self, inputs, masks):
        if len(inputs) != 2:
            raise ValueError(
                f"Layer '{self.name}' (Subtract) must be called on exactly 2 inputs. "
                f"Received: {len(inputs)} inputs"
            )
        return inputs[0] - inputs[1]
