"""Dense: the fully connected layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import activations, constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from . import _quantized_layers
from ._quantized import _FLOAT8_WEIGHTS as _FLOAT8
from ._quantized import QuantizeMixin, read_quantization_config
from .lora import LoRAMixin


class Dense(QuantizeMixin, LoRAMixin, Layer):
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

        ``quantize`` stores the kernel in int8 (or int4) with a per-unit scale:

        >>> layer = Dense(4)
        >>> layer.build((None, 3))
        >>> layer.quantize("int8")
        >>> [(w.name, w.dtype) for w in layer.weights]
        [('bias', torch.float32), ('kernel', torch.int8), ('kernel_scale', torch.float32)]
        >>> layer.dtype_policy.name
        'int8_from_float32'
    """

    _quant_owner = True
    _quant_spec = {
        "int8": ("kernel", "bias", "kernel_scale"),
        "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
        "float8": ("kernel", "bias", *_FLOAT8),
        "gptq": ("bias", "quantized_kernel", "kernel_scale", "kernel_zero", "g_idx"),
        "awq": ("bias", "quantized_kernel", "kernel_scale", "kernel_zero", "awq_scales", "g_idx"),
    }
    _quant_modes = ("int8", "int4", "float8", "gptq", "awq")

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
        self.quantization_config = read_quantization_config(kwargs)
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
        mode = self.quantization_mode
        if mode is not None:  # a quantized model being loaded: Keras's variables and order
            self._quantized_build_with(_quantized_layers.dense_build, input_dim)
        if mode in (None, "float8"):
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
        if self.quantization_mode is not None:
            return _quantized_layers.dense_call(self, inputs)
        if not inputs.is_floating_point():
            inputs = inputs.float()
        kernel = self._lora_merged() if self.lora_enabled else self.kernel
        if inputs.dim() == 2 and self.bias is not None:
            # One addmm on Keras's (in, out) kernel: a single backward node, no view nodes.
            x = torch.addmm(self.bias, inputs, kernel)
        else:
            # F.linear wants (out, in); kernel.T is a free view of Keras's (in, out) layout.
            x = F.linear(inputs, kernel.T, self.bias)
        return x if self._linear_act else activations.apply_to_fresh(self.activation, x)

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
        return self._quant_config_entry(self._lora_config(config))

    def _quantize_weights(self, mode, config):
        _quantized_layers.dense_quantize(self, mode, config)
