"""Multiply: element-wise product of a list of tensors."""

from __future__ import annotations

import torch

from .base_merge import Merge, expand_mask


class Multiply(Merge):
    """Multiply a list of tensors element-wise (shapes broadcast as in Keras).

    With masked inputs, masked entries count as 1 in the product; when every
    input is masked, entries masked in all of them are set to 0.

    Args:
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Multiply
        >>> Multiply()([torch.full((1, 2), 2.0), torch.full((1, 2), 3.0)])
        tensor([[6., 6.]])
    """

    def _merge_function(self, inputs, masks):
        if all(m is None for m in masks):
            out = inputs[0]
            for x in inputs[1:]:
                out = out * x
            return out
        all_masked = all(m is not None for m in masks)
        out, any_mask = None, None
        for x, m in zip(inputs, masks):
            if m is not None:
                m = expand_mask(m, x)
                x = torch.where(m, x, torch.ones((), dtype=x.dtype, device=x.device))
                if all_masked:
                    any_mask = m if any_mask is None else torch.logical_or(any_mask, m)
            out = x if out is None else out * x
        if all_masked:
            out = torch.where(any_mask, out, torch.zeros((), dtype=out.dtype, device=out.device))
        return out
