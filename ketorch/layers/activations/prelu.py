"""PReLU: leaky ReLU with a learned slope."""

from __future__ import annotations

import torch.nn.functional as F

from ... import constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, ``alpha`` learned.

    ``alpha`` has the input's shape without the batch axis, with size 1 on
    ``shared_axes`` (e.g. ``shared_axes=[1, 2]`` for one slope per channel of
    an image).

    Args:
        alpha_initializer: Initializer of ``alpha`` (default zeros).
        alpha_regularizer: Optional penalty on ``alpha``.
        alpha_constraint: Optional projection of ``alpha`` after each step.
        shared_axes: Int or list of ints (1-based input axes) sharing one slope.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import PReLU
        >>> layer = PReLU(shared_axes=[1, 2])
        >>> _ = layer(torch.ones(2, 4, 4, 3))
        >>> layer.get_weights()[0].shape
        (1, 1, 3)
    """

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if any(not isinstance(a, int) or isinstance(a, bool) or a < 1 for a in axes):
                raise ValueError(
                    "Argument `shared_axes` of PReLU must be positive input axes (the batch axis "
                    f"0 cannot be shared). Received: shared_axes={shared_axes!r}"
                )
            self.shared_axes = axes
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        param_shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if a >= ndim:
                raise ValueError(
                    f"Layer '{self.name}' (PReLU): shared axis {a} is out of bounds for an input "
                    f"of rank {ndim}. Received: shared_axes={self.shared_axes}"
                )
            param_shape[a - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"Layer '{self.name}' (PReLU) needs known sizes on its non-shared axes. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.alpha = self.add_weight(
            name="alpha",
            shape=param_shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        axes = {i: input_shape[i] for i in range(1, ndim) if i not in (self.shared_axes or ())}
        self.input_spec = InputSpec(ndim=ndim, axes=axes)
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        # relu(x) - alpha * relu(-x), in two fused kernels.
        return F.relu(x) - self.alpha * F.relu(-x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes,
            }
        )
        return config
