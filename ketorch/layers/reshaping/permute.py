"""Permute: reorder the non-batch axes."""

from __future__ import annotations

from ..input_spec import InputSpec
from ..layer import Layer
from ..node import KerasTensor


class Permute(Layer):
    """Reorder the axes of each sample; the batch axis stays first.

    Args:
        dims: Tuple giving the new order of the sample axes, numbered from 1
            (the batch axis is 0 and is not listed). ``(2, 1)`` swaps the two
            axes of ``(batch, steps, features)`` inputs.
        **kwargs: Base layer arguments.

    Input shape:
        ``(batch, d1, ..., dn)`` with ``n == len(dims)``.

    Output shape:
        The input shape with the sample axes reordered by ``dims``.

    Example:
        >>> import torch
        >>> from ketorch.layers import Permute
        >>> Permute((2, 1))(torch.ones(4, 10, 64)).shape
        torch.Size([4, 64, 10])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims_t = tuple(dims)
        except TypeError:
            dims_t = None
        valid = dims_t is not None and all(
            isinstance(d, int) and not isinstance(d, bool) for d in dims_t
        )
        if not valid or sorted(dims_t) != list(range(1, len(dims_t) + 1)):
            raise ValueError(
                "Argument `dims` of Permute must be a permutation of 1, 2, ..., n (sample axes "
                f"numbered from 1; the batch axis is not listed). Received: dims={dims!r}"
            )
        self.dims = dims_t
        self._order = (0, *dims_t)
        self.input_spec = InputSpec(ndim=len(dims_t) + 1)
        self.built = True

    def call(self, inputs):
        return inputs.permute(self._order)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[d] for d in self._order)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config
