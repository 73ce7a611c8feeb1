"""Concatenate: join a list of tensors along one axis."""

from __future__ import annotations

import torch

from .base_merge import Merge, _keras2_mask_merging, input_masks


class Concatenate(Merge):
    """Concatenate a list of tensors along ``axis``.

    All inputs must have the same rank and the same sizes on every other axis.

    Args:
        axis: The axis to join along (``-1``, the features, by default).
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Concatenate
        >>> Concatenate()([torch.ones(2, 3), torch.zeros(2, 4)]).shape
        torch.Size([2, 7])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(
                f"Argument `axis` of Concatenate must be an integer. Received: axis={axis!r}"
            )
        self.axis = axis

    def _check_shapes(self, input_shape):
        self._check_list(input_shape)
        ranks = {len(s) for s in input_shape}
        if len(ranks) != 1:
            raise self._shape_error(
                f"needs inputs of the same rank (concatenating on axis {self.axis})", input_shape
            )
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise self._shape_error(
                f"cannot concatenate on axis {self.axis} of rank-{rank} inputs", input_shape
            )
        axis = self.axis % rank
        for d in range(rank):
            if d == axis:
                continue
            sizes = {s[d] for s in input_shape} - {None}
            if len(sizes) > 1:
                raise self._shape_error(
                    "needs inputs with matching shapes except on the concatenation axis "
                    f"(axis={self.axis}); axis {d} differs",
                    input_shape,
                )
        return axis

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        axis = self._check_shapes(input_shape)
        out = list(input_shape[0])
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if any(v is None for v in sizes) else sum(sizes)
        return tuple(out)

    def _merge_function(self, inputs, masks):
        return torch.cat(inputs, dim=self.axis)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            return super().call(inputs)
        try:
            return torch.cat(list(inputs), dim=self.axis)
        except (RuntimeError, IndexError) as e:
            shapes = [tuple(x.shape) for x in inputs]
            raise self._shape_error(f"could not concatenate its inputs ({e})", shapes) from e

    def compute_mask(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            return None
        if mask is None:
            mask = input_masks(inputs)
        if all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = torch.ones(x.shape, dtype=torch.bool, device=x.device)
            else:
                while m.ndim < x.ndim:
                    m = m.unsqueeze(-1)
                m = m.expand(x.shape)
            full.append(m)
        joined = torch.cat(full, dim=self.axis)
        # Keras 2 required every feature to be unmasked, Keras 3 one (see ketorch.config).
        return joined.all(dim=-1) if _keras2_mask_merging() else joined.any(dim=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
