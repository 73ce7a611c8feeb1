"""The per-head projections inside MultiHeadAttention (Keras's EinsumDense sublayers)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..layer import Layer


class HeadProjection(Layer):
    """Contract the last ``len(in_shape)`` axes of the input against a kernel.

    The kernel has shape ``(*in_shape, *out_shape)`` and the bias ``out_shape``,
    the layout of Keras's ``EinsumDense`` sublayers named ``query``, ``key``,
    ``value`` and ``attention_output`` in ``MultiHeadAttention``, so that
    ``get_weights()`` of the attention layer equals Keras's. The computation is
    one ``F.linear`` on flattened views.

    Args:
        out_shape: Sizes of the new trailing axes, e.g. ``(num_heads, key_dim)``.
        use_bias: Whether to add a bias of shape ``out_shape``.
        activation: Optional callable applied to the result (the gate's sigmoid).
        kernel_initializer: Initializer object of the kernel.
        bias_initializer: Initializer object of the bias.
        kernel_regularizer: Optional kernel penalty.
        bias_regularizer: Optional bias penalty.
        kernel_constraint: Optional kernel projection.
        bias_constraint: Optional bias projection.
        **kwargs: Base layer arguments (``name``).
    """

    def __init__(
        self,
        out_shape,
        use_bias=True,
        activation=None,
        kernel_initializer=None,
        bias_initializer=None,
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.out_shape = tuple(int(d) for d in out_shape)
        self.use_bias = use_bias
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.bias = None

    def build(self, in_shape):
        """Create the kernel for contracted input axes of sizes ``in_shape``."""
        self.in_shape = tuple(int(d) for d in in_shape)
        self._in_size = math.prod(self.in_shape)
        self._out_size = math.prod(self.out_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.in_shape + self.out_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=self.out_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs):
        lead = inputs.shape[: inputs.ndim - len(self.in_shape)]
        x = inputs.reshape(*lead, self._in_size)
        weight = self.kernel.reshape(self._in_size, self._out_size).T
        bias = None if self.bias is None else self.bias.reshape(self._out_size)
        y = F.linear(x, weight, bias).reshape(*lead, *self.out_shape)
        return y if self.activation is None else self.activation(y)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[: len(input_shape) - len(self.in_shape)]) + self.out_shape

    def project(self, inputs: torch.Tensor, activity_regularizer=None) -> torch.Tensor:
        """Run :meth:`call` without the ``Layer.__call__`` bookkeeping (hot path)."""
        out = self.call(inputs)
        if activity_regularizer is not None:
            self.add_loss(activity_regularizer(out) / out.shape[0])
        return out
