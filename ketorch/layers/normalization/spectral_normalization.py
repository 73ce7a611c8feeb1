"""SpectralNormalization: keep a layer's kernel at spectral norm 1 during training."""

from __future__ import annotations

import torch

from ... import initializers
from ..core.wrapper import Wrapper
from ..input_spec import InputSpec


def _l2_normalize(x):
    """``x`` over its whole L2 norm (the inverse norm capped at 1e7, as Keras)."""
    return x * torch.rsqrt(x.square().sum()).clamp(max=1e7)


class SpectralNormalization(Wrapper):
    """Divide the wrapped layer's kernel by its largest singular value at every training call.

    The singular value is estimated by power iteration (Miyato et al., 2018)
    with a persistent vector ``vector_u`` ``(1, kernel.shape[-1])`` (a
    non-trainable weight). In training the normalized kernel is written back
    into the wrapped layer's kernel before the layer runs, as Keras does, so
    gradients flow to the kernel as if it were a plain weight; in inference
    the current kernel is used as is.

    Args:
        layer: A layer with a ``kernel`` (``Dense``, ``Conv2D``...) or
            ``embeddings`` (``Embedding``) weight.
        power_iterations: Power-iteration steps per training call (>= 1).
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Dense, SpectralNormalization
        >>> layer = SpectralNormalization(Dense(3))
        >>> _ = layer(torch.ones(2, 4), training=True)
        >>> round(float(torch.linalg.matrix_norm(layer.layer.kernel, ord=2)), 2)
        1.0
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if (
            isinstance(power_iterations, bool)
            or not isinstance(power_iterations, int)
            or (power_iterations <= 0)
        ):
            raise ValueError(
                "`power_iterations` should be greater than zero. "
                f"Received: power_iterations={power_iterations}"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'"
            )
        # Keras tracks the kernel as this layer's own (first) weight as well.
        self._trainable_weights.append(kernel)
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            name="vector_u",
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            dtype=str(kernel.dtype).replace("torch.", ""),
        )
        self.built = True

    @property
    def kernel(self):
        """The wrapped layer's kernel (or embeddings)."""
        return self._trainable_weights[0]

    def normalized_weights(self):
        """``(new vector_u, kernel / sigma)`` from ``power_iterations`` steps (no gradient)."""
        with torch.no_grad():
            w = self.kernel.reshape(-1, self.kernel_shape[-1])
            u = self.vector_u
            for _ in range(self.power_iterations):
                v = _l2_normalize(u @ w.T)
                u = _l2_normalize(v @ w)
            sigma = (v @ w) @ u.T
            return u, (self.kernel / sigma).reshape(self.kernel_shape)

    def call(self, inputs, training=False):
        if training:
            kernel = self.kernel
            with torch.no_grad():
                if bool(torch.any(kernel != 0)):
                    u, new_kernel = self.normalized_weights()
                    self.vector_u.copy_(u)
                    kernel.copy_(new_kernel)
        output = self.layer(inputs)
        return output.to(inputs.dtype) if inputs.is_floating_point() else output

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
