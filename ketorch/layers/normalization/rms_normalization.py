"""RMSNormalization: scale each sample by the root mean square of its features."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..layer import Layer


class RMSNormalization(Layer):
    """``x * rsqrt(mean(x**2 over axis) + epsilon) * scale`` (Zhang & Sennrich, 2019).

    Unlike :class:`LayerNormalization` nothing is subtracted: only the root
    mean square is normalized, then a learned ``scale`` (ones at first, shaped
    like the normalized axes) is applied. Computed in at least float32.

    Args:
        axis: Int or list of ints, the axes to normalize over.
        epsilon: Small float added to the mean square.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import RMSNormalization
        >>> y = RMSNormalization()(torch.tensor([[3.0, 4.0]]))
        >>> [round(v, 3) for v in y[0].tolist()]
        [0.849, 1.131]
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
                raise TypeError(
                    "Argument `axis` of RMSNormalization must be an int or a non-empty list of "
                    f"ints. Received: axis={axis!r}"
                )
        elif not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                "Argument `axis` of RMSNormalization must be an int or a list of ints. "
                f"Received: axis={axis!r}"
            )
        self.axis = axis
        self.epsilon = epsilon

    def _axes(self, rank):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        for a in axes:
            if a >= rank or a < -rank:
                raise ValueError(
                    f"Axis {a} is out of bounds for an input of rank {rank} in layer "
                    f"'{self.name}' (RMSNormalization). Received: axis={self.axis}"
                )
        return sorted(a % rank for a in axes)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(
                f"Layer '{self.name}' (RMSNormalization) needs known sizes on the normalized "
                f"axes. Received: input_shape={input_shape}, axis={self.axis}"
            )
        # As Keras, the axis is stored as a sorted list once built (it shows in get_config).
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
        else:
            self.axis = [self.axis]
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, inputs):
        dtype = inputs.dtype
        x = inputs if dtype in (torch.float32, torch.float64) else inputs.float()
        rank = x.ndim
        axes = self._axes(rank)
        scale = self.scale.to(x.dtype)
        if axes == list(range(rank - len(axes), rank)):
            # Trailing axes: torch's fused kernel.
            out = F.rms_norm(x, tuple(x.shape[rank - len(axes) :]), scale, self.epsilon)
        else:
            rrms = torch.rsqrt(x.square().mean(dim=axes, keepdim=True) + self.epsilon)
            view = [x.shape[d] if d in axes else 1 for d in range(rank)]
            out = x * rrms * scale.reshape(view)
        return out if out.dtype == dtype or not dtype.is_floating_point else out.to(dtype)

    def compute_output_shape(self, input_shape):
        self._axes(len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config
