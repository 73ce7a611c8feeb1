"""Cropping1D: remove steps from the start and end of sequences."""

from __future__ import annotations

from ..input_spec import InputSpec, format_shape
from ..layer import Layer
from .zero_padding2d import int_pair


class Cropping1D(Layer):
    """Crop the time axis of 3D ``(batch, steps, features)`` inputs.

    Args:
        cropping: An int (the same number of steps cut at both ends) or a
            tuple ``(start_crop, end_crop)``.
        **kwargs: Base layer arguments.

    Input shape:
        3D ``(batch, steps, features)``.

    Output shape:
        ``(batch, steps - start_crop - end_crop, features)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import Cropping1D
        >>> Cropping1D((1, 2))(torch.ones(2, 6, 4)).shape
        torch.Size([2, 3, 4])
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = int_pair(cropping, "cropping", "Cropping1D")
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def _check(self, shape):
        if shape[1] is not None and sum(self.cropping) >= shape[1]:
            raise ValueError(
                f"Layer '{self.name}' (Cropping1D) would crop away every step: `cropping` must "
                f"remove fewer than the {shape[1]} steps of the input (shape "
                f"{format_shape(tuple(shape))}). Received: cropping={self.cropping}"
            )

    def call(self, inputs):
        steps = inputs.shape[1]
        self._check(inputs.shape)
        return inputs[:, self.cropping[0] : steps - self.cropping[1], :]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        steps = input_shape[1]
        length = None if steps is None else steps - sum(self.cropping)
        return (input_shape[0], length, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        return config
