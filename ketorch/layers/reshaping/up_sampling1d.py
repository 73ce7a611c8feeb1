"""UpSampling1D: repeat every time step."""

from __future__ import annotations

from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer


class UpSampling1D(Layer):
    """Repeat each step of ``(batch, steps, features)`` inputs ``size`` times.

    Args:
        size: Positive int, the upsampling factor.
        **kwargs: Base layer arguments.

    Input shape:
        3D ``(batch, steps, features)``.

    Output shape:
        3D ``(batch, steps * size, features)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import UpSampling1D
        >>> UpSampling1D(2)(torch.tensor([[[1.0], [2.0]]])).flatten().tolist()
        [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(
                f"Argument `size` of UpSampling1D must be an integer. Received: size={size!r}"
            )
        if size <= 0:
            raise ValueError(
                f"Argument `size` of UpSampling1D must be positive. Received: size={size!r}"
            )
        self.size = size
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def call(self, inputs):
        if inputs.ndim != 3:  # eager calls skip the spec check; unpacking would fail unclearly
            check_input_spec(self, self.input_spec, tuple(inputs.shape))
        b, t, f = inputs.shape
        return inputs.unsqueeze(2).expand(b, t, self.size, f).reshape(b, t * self.size, f)

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config
