"""Dense: the fully connected layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import activations, constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from .lora import LoRAMixin


class Dense(LoRAMixin, Layer):
    """``output = activation(inputs @ kernel + bias)``, on the last axis of the input.

    Args:
        units: Positive int, the output size.
        activation: Activation name or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the ``(input_dim, units)`` kernel.
        bias_initializer: Initializer of the ``(units,)`` bias.
        kernel_regularizer: Penalty on the kernel, added to the loss.
        bias_regularizer: Penalty on the bias.
        activity_regularizer: Penalty on the output.
        kernel_constraint: Projection applied to the kernel after each step.
        bias_constraint: Projection applied to the bias after each step.
        lora_rank: If set, build with LoRA enabled at this rank (see :meth:`enable_lora`):
            the kernel is frozen and ``lora_kernel_a``/``lora_kernel_b`` are trained.
        lora_alpha: LoRA scale numerator (the update is scaled by ``lora_alpha / lora_rank``);
            defaults to ``lora_rank``.
        **kwargs: Base layer arguments (``name``, ``input_shape``, ``input_dim``...).

    Input shape:
        ``(batch, ..., input_dim)``.

    Output shape:
        ``(batch, ..., units)``.

    Example:
        >>> import torch
        >>> from ketorch.layers import Dense
        >>> Dense(4, activation="relu")(torch.ones(2, 3)).shape
        torch.Size([2, 4])
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        kwargs.pop("quantization_config", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Argument `units` of Dense must be a positive integer. Received: units={units!r}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True
        self._linear_act = self.activation is activations.linear

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' (Dense) needs a known last input dimension to create its "
                f"kernel. Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True
        self._build_lora()

    def call(self, inputs):
        if not inputs.is_floating_point():
            inputs = inputs.float()
        kernel = self._lora_merged() if self.lora_enabled else self.kernel
        if inputs.dim() == 2 and self.bias is not None:
            # One addmm on Keras's (in, out) kernel: a single backward node, no view nodes.
            x = torch.addmm(self.bias, inputs, kernel)
        else:
            # F.linear wants (out, in); kernel.T is a free view of Keras's (in, out) layout.
            x = F.linear(inputs, kernel.T, self.bias)
        return x if self._linear_act else self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return self._lora_config(config)
