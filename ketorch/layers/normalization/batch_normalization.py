"""BatchNormalization: normalize with batch statistics in training, moving ones otherwise."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import config as _config
from ... import constraints, initializers, regularizers
from ...backend import assign_state
from ..input_spec import InputSpec
from ..layer import Layer

_RENORM_KEYS = ("rmax", "rmin", "dmax")


class BatchNormalization(Layer):
    """Normalize inputs per feature: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    In training (``fit``, ``training=True``) ``mean``/``var`` are the current
    batch's (biased variance) and the moving statistics are updated as
    ``moving = moving * momentum + batch * (1 - momentum)``; otherwise the
    moving statistics are used. A layer with ``trainable=False`` always runs in
    inference mode and never updates its statistics, as in Keras 3.

    Args:
        axis: The feature axis (``-1`` for channels_last, ``1`` after a
            channels_first convolution).
        momentum: Momentum of the moving averages, in ``[0, 1]``.
        epsilon: Positive float added to the variance.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned scale ``gamma``.
        beta_initializer: Initializer of ``beta``.
        gamma_initializer: Initializer of ``gamma``.
        moving_mean_initializer: Initializer of the moving mean.
        moving_variance_initializer: Initializer of the moving variance.
        beta_regularizer: Optional penalty on ``beta``.
        gamma_regularizer: Optional penalty on ``gamma``.
        beta_constraint: Optional projection of ``beta`` after each step.
        gamma_constraint: Optional projection of ``gamma`` after each step.
        renorm: Whether to use Batch Renormalization (adds the non-trainable
            ``moving_stddev``, ``renorm_mean`` and ``renorm_stddev``).
        renorm_clipping: Optional dict with keys ``"rmax"``, ``"rmin"``,
            ``"dmax"`` clipping the renorm corrections.
        renorm_momentum: Momentum of the renorm statistics.
        synchronized: Compute the batch statistics over all processes when
            ``torch.distributed`` is initialized (no effect otherwise).
        **kwargs: Base layer arguments (``name``, ``trainable``, ...).

    Input shape:
        Any rank; the size of ``axis`` must be known.

    Output shape:
        Same as the input.

    Example:
        >>> import torch
        >>> from ketorch.layers import BatchNormalization
        >>> bn = BatchNormalization()
        >>> bn(torch.randn(8, 3), training=True).shape
        torch.Size([8, 3])
        >>> [w.shape for w in bn.get_weights()]
        [(3,), (3,), (3,), (3,)]
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                f"Argument `axis` of BatchNormalization must be an integer. Received: axis={axis!r}"
            )
        for arg, value in (("momentum", momentum), ("renorm_momentum", renorm_momentum)):
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(
                    f"Argument `{arg}` of BatchNormalization must be a float in [0, 1]. "
                    f"Received: {arg}={value!r}"
                )
        if not isinstance(epsilon, (int, float)) or not epsilon > 0:
            raise ValueError(
                f"Argument `epsilon` of BatchNormalization must be a positive float. "
                f"Received: epsilon={epsilon!r}"
            )
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = synchronized
        self.renorm = renorm
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            _check_renorm_clipping(renorm_clipping)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.supports_masking = True
        self.gamma = None
        self.beta = None
        self._axis = None

    # ----------------------------------------------------------------- build
    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): axis {self.axis} is out of bounds "
                f"for an input of rank {ndim}. Received: axis={self.axis}"
            )
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization) needs a known size on axis "
                f"{self.axis}. Received: input_shape={tuple(input_shape)}"
            )
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            name="moving_variance",
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        if self.renorm:
            var = self.moving_variance.detach()
            self.moving_stddev = self.add_weight(
                name="moving_stddev",
                shape=shape,
                initializer=lambda s, d: var.sqrt(),
                trainable=False,
            )
            self.renorm_mean = self.add_weight(
                name="renorm_mean",
                shape=shape,
                initializer=lambda s, d: self.moving_mean.detach().clone(),
                trainable=False,
            )
            self.renorm_stddev = self.add_weight(
                name="renorm_stddev",
                shape=shape,
                initializer=lambda s, d: var.sqrt(),
                trainable=False,
            )
        self._axis = self.axis % ndim
        self._reduce = [i for i in range(ndim) if i != self._axis]
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: dim})
        self.built = True

    # ------------------------------------------------------------------ call
    def call(self, inputs, training=None, mask=None):
        if mask is not None and mask.ndim != inputs.ndim - 1:
            raise ValueError(
                "The mask given to BatchNormalization must have one dimension less than the "
                f"inputs. Received: mask.shape={tuple(mask.shape)}, "
                f"inputs.shape={tuple(inputs.shape)}"
            )
        x = inputs
        out_dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else None
        if out_dtype is None:
            out_dtype = x.dtype if x.is_floating_point() else torch.float32
            x = x.float()
        if not (training and self.trainable):
            y = self._fused(x, self.moving_mean, self.moving_variance, self.gamma, self.beta, False)
            return y.to(out_dtype)
        n = x.numel() // max(x.shape[self._axis], 1)
        if mask is None and not self.renorm and not _sync_active(self.synchronized) and n > 1:
            return self._train_fused(x, n).to(out_dtype)
        mean, var = self._moments(x, mask)
        gamma, beta = self.gamma, self.beta
        if self.renorm:
            gamma, beta = self._renorm_transform(mean.detach(), var.detach(), gamma, beta)
        else:
            self._update(self.moving_mean, mean.detach(), self.momentum)
            self._update(self.moving_variance, var.detach(), self.momentum)
        return self._manual(x, mean, var, gamma, beta).to(out_dtype)

    def _fused(self, x, mean, var, gamma, beta, training, momentum=0.0):
        """``F.batch_norm`` with the feature axis moved to dim 1 and back."""
        if x.ndim < 2:
            return self._manual(x, mean, var, gamma, beta)
        moved = self._axis != 1
        xc = x.movedim(self._axis, 1) if moved else x
        y = F.batch_norm(xc, mean, var, gamma, beta, training, momentum, self.epsilon)
        return y.movedim(1, self._axis) if moved else y

    def _train_fused(self, x, n):
        # torch writes the *unbiased* batch variance into running_var; with
        # momentum=1 the scratch buffers receive exactly the batch statistics,
        # and the variance is rescaled to Keras's biased one before the update.
        c = x.shape[self._axis]
        batch_mean = torch.zeros(c, dtype=x.dtype, device=x.device)
        batch_var = torch.ones(c, dtype=x.dtype, device=x.device)
        y = self._fused(x, batch_mean, batch_var, self.gamma, self.beta, True, 1.0)
        m = self.momentum
        self._update(self.moving_mean, batch_mean, m)
        with torch.no_grad():
            mv = self.moving_variance  # Keras's biased variance: torch's unbiased one rescaled
            assign_state(
                mv, torch.add(mv * m, batch_var.to(mv.dtype), alpha=(1.0 - m) * (n - 1) / n)
            )
        return y

    def _moments(self, x, mask):
        axes = self._reduce
        if mask is None and not _sync_active(self.synchronized):
            var, mean = torch.var_mean(x, dim=axes, correction=0)
            return mean, var
        if mask is None:
            weights = None
            count = torch.full((), x.numel() // x.shape[self._axis], dtype=x.dtype, device=x.device)
            total = x.sum(dim=axes)
            total_sq = (x * x).sum(dim=axes)
        else:
            weights = mask.unsqueeze(-1).to(torch.bool).expand(x.shape).to(x.dtype)
            count = weights.sum(dim=axes)
            xw = x * weights
            total = xw.sum(dim=axes)
            total_sq = (xw * x).sum(dim=axes)
        if _sync_active(self.synchronized):
            import torch.distributed.nn.functional as dist_fn  # loaded on first use

            stats = dist_fn.all_reduce(torch.stack([total, total_sq, count.expand_as(total)]))
            total, total_sq, count = stats[0], stats[1], stats[2]
        eps = _config.epsilon() if weights is not None else 0.0
        mean = total / (count + eps)
        if weights is None:
            var = (total_sq / count - mean * mean).clamp_min(0.0)
        else:  # masked: mean of squared deviations over the kept positions
            shape = self._bshape(x)
            dev = (x - mean.reshape(shape)) * weights
            var = (dev * dev).sum(dim=axes) / (count + eps)
        return mean, var

    def _bshape(self, x):
        shape = [1] * x.ndim
        shape[self._axis] = x.shape[self._axis]
        return shape

    def _manual(self, x, mean, var, gamma, beta):
        shape = self._bshape(x)
        inv = torch.rsqrt(var + self.epsilon)
        if gamma is not None:
            inv = inv * gamma
        y = (x - mean.reshape(shape)) * inv.reshape(shape)
        return y + beta.reshape(shape) if beta is not None else y

    def _renorm_transform(self, mean, var, gamma, beta):
        """Batch Renormalization: fold the (constant) corrections ``r``, ``d`` into gamma/beta."""
        stddev = torch.sqrt(var + self.epsilon)
        renorm_std = self.renorm_stddev.detach().clamp_min(self.epsilon**0.5)
        r = stddev / renorm_std
        d = (mean - self.renorm_mean.detach()) / renorm_std
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = r.clamp_min(clip["rmin"])
        if clip.get("rmax") is not None:
            r = r.clamp_max(clip["rmax"])
        if clip.get("dmax") is not None:
            d = d.clamp(-clip["dmax"], clip["dmax"])
        new_gamma = r * gamma if gamma is not None else r
        new_beta = d * gamma if gamma is not None else d
        if beta is not None:
            new_beta = new_beta + beta
        self._update(self.renorm_mean, mean, self.renorm_momentum)
        self._update(self.renorm_stddev, stddev, self.renorm_momentum)
        self._update(self.moving_mean, mean, self.momentum)
        new_stddev = self._update(self.moving_stddev, stddev, self.momentum)
        with torch.no_grad():
            assign_state(self.moving_variance, F.relu(new_stddev**2 - self.epsilon))
        return new_gamma, new_beta

    @staticmethod
    def _update(moving, value, momentum):
        with torch.no_grad():
            new = torch.add(moving * momentum, value.to(moving.dtype), alpha=1.0 - momentum)
            assign_state(moving, new)
        return new

    # ---------------------------------------------------------------- shapes
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
                "axis": self.axis,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer
                ),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized,
                "renorm": self.renorm,
                "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum,
            }
        )
        return config


def _check_renorm_clipping(clip):
    unknown = set(clip) - set(_RENORM_KEYS)
    if unknown:
        raise ValueError(
            f"Argument `renorm_clipping` accepts only the keys {list(_RENORM_KEYS)}. "
            f"Received: renorm_clipping={clip}"
        )
    rmin, rmax, dmax = clip.get("rmin"), clip.get("rmax"), clip.get("dmax")
    if rmin is not None and rmax is not None and rmax < rmin:
        raise ValueError(
            f"In `renorm_clipping`, rmax must be >= rmin. Received: renorm_clipping={clip}"
        )
    if dmax is not None and dmax < 0:
        raise ValueError(
            f"In `renorm_clipping`, dmax must be non-negative. Received: renorm_clipping={clip}"
        )


def _sync_active(synchronized):
    if not synchronized or not torch.distributed.is_available():
        return False
    return torch.distributed.is_initialized() and torch.distributed.get_world_size() > 1
