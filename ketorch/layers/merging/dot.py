"""Dot: batch-wise dot product of two tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import config as _config
from .base_merge import Merge


def batch_dot(x, y, axes):
    """Contract ``x``'s axis ``axes[0]`` with ``y``'s axis ``axes[1]`` per sample.

    The result has ``x``'s remaining axes then ``y``'s remaining sample axes;
    a result of rank 1 becomes ``(batch, 1)`` as in Keras.
    """
    a0, a1 = axes
    xm = x.movedim(a0, -1)
    ym = y.movedim(a1, 1)
    b, k = xm.shape[0], xm.shape[-1]
    x_rest, y_rest = tuple(xm.shape[1:-1]), tuple(ym.shape[2:])
    out = torch.bmm(xm.reshape(b, -1, k), ym.reshape(b, k, -1))
    out = out.reshape((b, *x_rest, *y_rest))
    return out.unsqueeze(-1) if out.ndim == 1 else out


class Dot(Merge):
    """Dot product of two tensors along one axis of each, sample by sample.

    For inputs of shapes ``(batch, 3, 5)`` and ``(batch, 10, 3)`` with
    ``axes=(1, 2)`` the output has shape ``(batch, 5, 10)``.

    Args:
        axes: Int or tuple of 2 ints: the axis of each input to contract (the
            batch axis 0 is not allowed; negative values count from the end).
        normalize: If True, L2-normalize both inputs along the contracted axes
            first, so the output is the cosine similarity.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Dot
        >>> Dot(axes=1)([torch.ones(2, 3), torch.ones(2, 3)])
        tensor([[3.],
                [3.]])
    """

    _exact_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        is_int = isinstance(axes, int) and not isinstance(axes, bool)
        if not is_int:
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    "Argument `axes` of Dot must be an int or a list/tuple of 2 ints. "
                    f"Received: axes={axes!r}"
                )
            if len(axes) != 2 or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes
            ):
                raise ValueError(
                    "Argument `axes` of Dot must be an int or a list/tuple of 2 ints. "
                    f"Received: axes={axes!r}"
                )
        self.axes = axes if is_int else tuple(axes)
        self.normalize = normalize

    def _resolve_axes(self, ndim1, ndim2, shapes):
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        out = []
        for a, n in zip(pair, (ndim1, ndim2)):
            if not -n <= a < n:
                raise self._shape_error(
                    f"got axes={self.axes}, out of range for the inputs", shapes
                )
            out.append(a % n)
        if 0 in out:
            raise self._shape_error(
                f"cannot take a dot product over the batch axis 0 (axes={self.axes})", shapes
            )
        return out

    def _check_shapes(self, input_shape):
        self._check_list(input_shape)
        s1, s2 = input_shape
        if len(s1) < 2 or len(s2) < 2:
            raise self._shape_error("needs inputs of rank >= 2 (batch axis included)", input_shape)
        a0, a1 = self._resolve_axes(len(s1), len(s2), input_shape)
        if s1[a0] is not None and s2[a1] is not None and s1[a0] != s2[a1]:
            raise self._shape_error(
                f"needs equal sizes on the contracted axes, but axis {a0} of the first input "
                f"has size {s1[a0]} and axis {a1} of the second has size {s2[a1]}",
                input_shape,
            )
        return a0, a1

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        a0, a1 = self._check_shapes(input_shape)
        s1 = [d for i, d in enumerate(input_shape[0]) if i != a0]
        s2 = [d for i, d in enumerate(input_shape[1]) if i not in (0, a1)]
        out = s1 + s2
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def _merge_function(self, inputs, masks):
        x1, x2 = inputs
        axes = self._resolve_axes(x1.ndim, x2.ndim, [tuple(x1.shape), tuple(x2.shape)])
        if self.normalize:
            eps = _config.epsilon()
            x1 = F.normalize(x1, p=2.0, dim=axes[0], eps=eps)
            x2 = F.normalize(x2, p=2.0, dim=axes[1], eps=eps)
        return batch_dot(x1, x2, axes)

    def call(self, inputs):
        if isinstance(inputs, (list, tuple)) and len(inputs) != 2:
            raise self._shape_error(
                f"must be called on exactly 2 inputs, got {len(inputs)}",
                [tuple(x.shape) for x in inputs],
            )
        return super().call(inputs)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config
