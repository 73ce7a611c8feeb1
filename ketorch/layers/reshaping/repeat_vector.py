"""RepeatVector: repeat a vector along a new time axis."""

from __future__ import annotations

from ..input_spec import InputSpec
from ..layer import Layer


class RepeatVector(Layer):
    """Turn ``(batch, features)`` into ``(batch, n, features)`` by repetition.

    Args:
        n: Positive int, the number of repetitions.
        **kwargs: Base layer arguments.

    Input shape:
        2D ``(batch, features)``.

    Output shape:
        3D ``(batch, n, features)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import RepeatVector
        >>> RepeatVector(3)(torch.ones(2, 32)).shape
        torch.Size([2, 3, 32])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Argument `n` of RepeatVector must be an integer. Received: n={n!r}")
        if n <= 0:
            raise ValueError(f"Argument `n` of RepeatVector must be positive. Received: n={n!r}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        # A real copy rather than an expand() view, so later in-place ops and .view() work.
        return inputs.unsqueeze(1).repeat(1, self.n, 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
