"""Masking: skip time steps whose features all equal a given value."""

from __future__ import annotations

import numbers

from ..layer import Layer


class Masking(Layer):
    """Mask the steps of a sequence whose features all equal ``mask_value``.

    The output is the input with masked steps set to 0, carrying a boolean
    mask of shape ``(batch, steps)`` (True = keep) that downstream layers such
    as ``LSTM``, ``GlobalAveragePooling1D`` or the merge layers consume.

    Args:
        mask_value: The value marking padding steps (0.0 by default).
        **kwargs: Base layer arguments.

    Input shape:
        ``(batch, steps, ...)``; a step is masked when every value in its last
        axis equals ``mask_value``.

    Output shape:
        Same as the input.

    Example:
        >>> import torch
        >>> from ketorch.layers import Masking
        >>> x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
        >>> Masking()(x)._keras_mask
        tensor([[ True, False,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if hasattr(mask_value, "item") and getattr(mask_value, "ndim", 0) == 0:
            mask_value = mask_value.item()  # numpy / torch scalar
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise ValueError(
                f"Argument `mask_value` of Masking must be a number. Received: mask_value={mask_value!r}"
            )
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return (inputs != self.mask_value).any(dim=-1)

    def call(self, inputs):
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)
        return inputs.masked_fill(~keep, 0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
