"""GroupNormalization: normalize each sample over groups of channels."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer


class GroupNormalization(Layer):
    """Split the channels into ``groups`` and normalize each group per sample.

    ``groups=1`` is Layer Normalization over all non-batch axes, ``groups=-1``
    (one channel per group) is Instance Normalization.

    Args:
        groups: Number of groups; a divisor of the channel count, or ``-1``.
        axis: The channel axis (``-1`` channels_last).
        epsilon: Small float added to the variance.
        center: Whether to add the learned per-channel offset ``beta``.
        scale: Whether to multiply by the learned per-channel ``gamma``.
        beta_initializer: Initializer of ``beta``.
        gamma_initializer: Initializer of ``gamma``.
        beta_regularizer: Optional penalty on ``beta``.
        gamma_regularizer: Optional penalty on ``gamma``.
        beta_constraint: Optional projection of ``beta`` after each step.
        gamma_constraint: Optional projection of ``gamma`` after each step.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import GroupNormalization
        >>> GroupNormalization(groups=2)(torch.randn(2, 5, 4)).shape
        torch.Size([2, 5, 4])
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        if (
            not isinstance(groups, int)
            or isinstance(groups, bool)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "Argument `groups` of GroupNormalization must be a positive integer (or -1 for "
                f"instance normalization). Received: groups={groups!r}"
            )
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                f"Argument `axis` of GroupNormalization must be an integer. Received: axis={axis!r}"
            )
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = None
        self.beta = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f"Layer '{self.name}' (GroupNormalization): axis {self.axis} is out of bounds for "
                f"an input of rank {ndim}. Received: axis={self.axis}"
            )
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Layer '{self.name}' (GroupNormalization) needs a known size on axis "
                f"{self.axis}. Received: input_shape={tuple(input_shape)}"
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"Number of groups ({self.groups}) cannot be more than the number of channels "
                f"({dim}). Received: groups={self.groups}"
            )
        if dim % self.groups != 0:
            raise ValueError(
                f"The number of channels ({dim}) must be a multiple of the number of groups "
                f"({self.groups}). Received: groups={self.groups}"
            )
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: dim})
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma",
                shape=(dim,),
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta",
                shape=(dim,),
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self._axis = self.axis % ndim
        self.built = True

    def call(self, inputs):
        x = inputs
        out_dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else None
        if out_dtype is None:
            out_dtype = x.dtype if x.is_floating_point() else torch.float32
            x = x.float()
        # torch's group_norm wants (batch, channels, ...); Keras's group g holds
        # channels [g*C/G, (g+1)*C/G), the same split torch uses.
        moved = self._axis != 1
        xc = x.movedim(self._axis, 1) if moved else x
        y = F.group_norm(xc, self.groups, self.gamma, self.beta, self.epsilon)
        y = y.movedim(1, self._axis) if moved else y
        return y.to(out_dtype)

    def compute_output_shape(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(
                f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}. "
                f"Received: axis={self.axis}"
            )
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "groups": self.groups,
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
            }
        )
        return config
