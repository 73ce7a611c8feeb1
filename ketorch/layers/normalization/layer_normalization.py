"""LayerNormalization: normalize each sample over its feature axes."""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

from ... import constraints, initializers, regularizers
from ..layer import Layer


class LayerNormalization(Layer):
    """Normalize each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Statistics are computed per sample (not over the batch), so training and
    inference behave the same.

    Args:
        axis: Int or list of ints, the axes to normalize over (usually ``-1``).
            ``gamma``/``beta`` have the sizes of these axes.
        epsilon: Small float added to the variance.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned scale ``gamma``.
        beta_initializer: Initializer of ``beta``.
        gamma_initializer: Initializer of ``gamma``.
        beta_regularizer: Optional penalty on ``beta``.
        gamma_regularizer: Optional penalty on ``gamma``.
        beta_constraint: Optional projection of ``beta`` after each step.
        gamma_constraint: Optional projection of ``gamma`` after each step.
        rms_scaling: Deprecated Keras option: scale by ``rsqrt(var + epsilon)``
            and ``gamma`` without centering (no ``beta``).
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import LayerNormalization
        >>> y = LayerNormalization()(torch.tensor([[1.0, 2.0, 3.0]]))
        >>> [round(v, 3) for v in y[0].tolist()]
        [-1.224, 0.0, 1.224]
    """

    def __init__(
        self,
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
        rms_scaling=False,
        **kwargs,
    ):
        if rms_scaling:
            warnings.warn(
                "`rms_scaling=True` is deprecated in Keras: it scales by the variance, not the "
                "root mean square. Use `RMSNormalization` for true RMS normalization.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            bad = [a for a in axis if not isinstance(a, int) or isinstance(a, bool)]
            if bad or not axis:
                raise TypeError(
                    "Argument `axis` of LayerNormalization must be an int or a non-empty list of "
                    f"ints. Received: axis={axis!r}"
                )
            axis = list(axis)
        elif not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                "Argument `axis` of LayerNormalization must be an int or a list of ints. "
                f"Received: axis={axis!r}"
            )
        if not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(
                "Argument `epsilon` of LayerNormalization must be a non-negative float. "
                f"Received: epsilon={epsilon!r}"
            )
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
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
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(
                    f"Layer '{self.name}' (LayerNormalization): axis {a} is out of bounds for an "
                    f"input of rank {ndim}. Received: axis={self.axis}"
                )
        # Keras sorts the raw axes; the weights take the sizes in that order.
        shape = tuple(input_shape[a] for a in axes)
        if any(s is None for s in shape):
            raise ValueError(
                f"Layer '{self.name}' (LayerNormalization) needs known sizes on the normalized "
                f"axes. Received: input_shape={tuple(input_shape)}, axis={self.axis}"
            )
        self.axis = axes
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self._pos_axes = sorted({a % ndim for a in axes})
        self.built = True

    def call(self, inputs):
        x = inputs
        out_dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else None
        if out_dtype is None:
            out_dtype = x.dtype if x.is_floating_point() else torch.float32
            x = x.float()
        axes = self._pos_axes
        ndim = x.ndim
        norm_shape = tuple(x.shape[a] for a in axes)
        gamma = self.gamma.reshape(norm_shape) if self.gamma is not None else None
        beta = self.beta.reshape(norm_shape) if self.beta is not None else None
        if self.rms_scaling:
            var = torch.var(x, dim=axes, correction=0, keepdim=True)
            y = x * torch.rsqrt(var + self.epsilon)
            if gamma is not None:
                shape = [x.shape[i] if i in axes else 1 for i in range(ndim)]
                y = y * gamma.reshape(shape)
            return y.to(out_dtype)
        trailing = axes == list(range(ndim - len(axes), ndim))
        if trailing:
            y = F.layer_norm(x, norm_shape, gamma, beta, self.epsilon)
        else:
            # Move the normalized axes to the end (keeping their order) for the fused kernel.
            rest = [i for i in range(ndim) if i not in axes]
            perm = rest + axes
            y = F.layer_norm(x.permute(perm), norm_shape, gamma, beta, self.epsilon)
            inverse = [perm.index(i) for i in range(ndim)]
            y = y.permute(inverse)
        return y.to(out_dtype)

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -len(input_shape) <= a < len(input_shape):
                raise ValueError(
                    f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. "
                    f"Received: axis={self.axis}"
                )
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
            }
        )
        return config
