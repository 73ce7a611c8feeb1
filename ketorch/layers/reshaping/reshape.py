"""Reshape: give each sample a new shape."""

from __future__ import annotations

import math

from ..input_spec import format_shape
from ..layer import Layer
from ..node import KerasTensor


def _check_target_shape(target_shape):
    try:
        dims = tuple(target_shape)
    except TypeError:
        dims = None
    if dims is None or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        raise ValueError(
            "Argument `target_shape` of Reshape must be a tuple of integers (without the batch "
            f"axis), e.g. (3, 4) or (-1, 2). Received: target_shape={target_shape!r}"
        )
    if any(d < -1 for d in dims) or dims.count(-1) > 1:
        raise ValueError(
            "Argument `target_shape` of Reshape may only contain non-negative integers and at "
            f"most one -1 (a size to infer). Received: target_shape={target_shape!r}"
        )
    return dims


class Reshape(Layer):
    """Reshape every sample to ``target_shape``; the batch axis is kept.

    Args:
        target_shape: Tuple of ints, the new shape of one sample (without the
            batch axis). One entry may be ``-1``: it is inferred from the
            sample size.
        **kwargs: Base layer arguments.

    Input shape:
        Any shape whose sample size matches ``target_shape``.

    Output shape:
        ``(batch,) + target_shape``.

    Example:
        >>> import torch
        >>> from ketorch.layers import Reshape
        >>> Reshape((-1, 2))(torch.ones(5, 12)).shape
        torch.Size([5, 6, 2])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = _check_target_shape(target_shape)
        self.built = True

    def _resolve(self, sample_shape):
        """``target_shape`` with ``-1`` resolved (or ``None`` while a size is unknown)."""
        target = self.target_shape
        if any(d is None for d in sample_shape):
            return tuple(None if d == -1 else d for d in target)
        size = math.prod(sample_shape)
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            fits = known != 0 and size % known == 0
        else:
            fits = size == known
        if not fits:
            raise ValueError(
                f"Layer '{self.name}' (Reshape) cannot reshape samples of shape "
                f"{format_shape(tuple(sample_shape))} ({size} values) to "
                f"target_shape={target}: the number of values must stay the same. "
                f"Received: input_shape={format_shape((None, *sample_shape))}"
            )
        return tuple(size // known if d == -1 else d for d in target)

    def call(self, inputs):
        shape = self._resolve(tuple(inputs.shape[1:]))
        return inputs.reshape((inputs.shape[0], *shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolve(tuple(input_shape[1:])))

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config
