"""Softmax layer, with Keras's optional mask."""

from __future__ import annotations

import torch

from ..layer import Layer


class Softmax(Layer):
    """Softmax over ``axis``; masked-out positions get probability 0.

    Args:
        axis: Int or list of ints, the axes the probabilities sum to 1 over.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: The logits.
        mask: Optional boolean (or 0/1) tensor broadcastable to ``inputs``;
            ``False`` positions are excluded.

    Example:
        >>> import torch
        >>> from ketorch.layers import Softmax
        >>> Softmax()(torch.zeros(1, 2), mask=torch.tensor([[True, False]]))
        tensor([[1., 0.]])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or any(not isinstance(a, int) or isinstance(a, bool) for a in axis):
                raise TypeError(
                    "Argument `axis` of Softmax must be an int or a non-empty list of ints. "
                    f"Received: axis={axis!r}"
                )
        elif not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                f"Argument `axis` of Softmax must be an int or a list of ints. Received: axis={axis!r}"
            )
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        x = inputs if inputs.is_floating_point() else inputs.float()
        if mask is not None:
            mask = _check_mask(mask, x)
            big_negative = -3e4 if x.dtype == torch.float16 else -1e9
            x = x.masked_fill(~mask, big_negative)
        if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1:
            out = torch.exp(x - torch.logsumexp(x, dim=tuple(self.axis), keepdim=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, (list, tuple)) else self.axis
            out = torch.softmax(x, dim=axis)
        if mask is not None:
            out = out.masked_fill(~mask, 0.0)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _check_mask(mask, x):
    if mask.ndim > x.ndim:
        raise ValueError(
            "The `mask` of Softmax must be broadcastable to the inputs and have no more "
            f"dimensions. Received: inputs.shape={tuple(x.shape)}, mask.shape={tuple(mask.shape)}"
        )
    for m, d in zip(reversed(mask.shape), reversed(x.shape)):
        if m not in (1, d):
            raise ValueError(
                "The `mask` of Softmax must be broadcastable to the inputs (each mask dimension 1 "
                f"or equal to the input's). Received: inputs.shape={tuple(x.shape)}, "
                f"mask.shape={tuple(mask.shape)}"
            )
    if mask.dtype != torch.bool:
        mask = mask > 0.5
    return mask.to(x.device)
