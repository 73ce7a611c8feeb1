"""EinsumDense: a dense layer whose contraction is written as an einsum equation."""

from __future__ import annotations

import math
import re

import torch
import torch.nn.functional as F

from ... import activations, constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from . import _quantized_einsum
from ._quantized import _FLOAT8_WEIGHTS as _FLOAT8
from ._quantized import QuantizeMixin, read_quantization_config
from .lora import LoRAMixin

_PLAIN = re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$")
_LEFT = re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$")
_RIGHT = re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$")


def parse_equation(equation):
    """``(input_spec, weight_spec, output_spec, elision)``; elision is None, "left" or "right".

    Raises:
        ValueError: For an equation outside the three supported forms.
    """
    for pattern, elision in ((_PLAIN, None), (_LEFT, "left"), (_RIGHT, "right")):
        match = pattern.match(equation) if isinstance(equation, str) else None
        if match:
            return (*match.groups(), elision)
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def analyze(equation, bias_axes, input_shape, partial_output_shape):
    """Shapes an EinsumDense needs for ``input_shape``.

    Returns:
        ``(kernel_shape, bias_shape or None, full_output_shape, input_axes,
        output_axes)``; the last two index the kernel axes that count as fan-in
        and fan-out.
    """
    in_spec, w_spec, out_spec, elision = parse_equation(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(in_spec)
    out = [input_shape[0], *partial_output_shape]
    if elided > 0 and elision == "left":
        out[1:1] = input_shape[1:elided]
    elif elided > 0 and elision == "right":
        out.extend(input_shape[len(input_shape) - elided :])
    offset = elided if elision == "left" else 0
    in_pos = {c: i + offset for i, c in enumerate(in_spec)}
    out_pos = {c: i + offset for i, c in enumerate(out_spec)}
    for c in in_spec:
        if c in out_pos:
            want, have = out[out_pos[c]], input_shape[in_pos[c]]
            if want is not None and want != have:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension '{c}'. "
                    f"Input shape is {have}, and output shape is {want}."
                )
            elif want is None:
                out[out_pos[c]] = have  # a size the output copies from the input
    for c in out_spec:
        if c not in in_spec and c not in w_spec:
            raise ValueError(
                f"Dimension '{c}' was specified in the output '{out_spec}' but has no "
                f"corresponding dim in the input spec '{in_spec}' or weight spec '{w_spec}'"
            )
    kernel_shape, input_axes, output_axes = [], [], []
    for i, c in enumerate(w_spec):
        if c in out_pos:
            kernel_shape.append(out[out_pos[c]])
            output_axes.append(i)
        elif c in in_pos:
            kernel_shape.append(input_shape[in_pos[c]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{c}' did not have a match in either the input spec "
                f"'{in_spec}' or the output spec '{out_spec}'. For this layer, the weight must "
                "be fully specified."
            )
    bias_shape = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(
                    f"Bias dimension '{c}' was requested, but is not part of the output spec "
                    f"'{out_spec}'"
                )
        start = min(out_spec.find(c) for c in bias_axes)
        bias_shape = [out[out_pos[c]] if c in bias_axes else 1 for c in out_spec[start:]]
        if elision != "left":
            bias_shape.extend([1] * max(elided, 0))
    return kernel_shape, bias_shape, out, input_axes, output_axes


def _matmul_plan(equation, bias_axes, kernel_shape):
    """``(n_contracted_input_axes, fold_bias)`` when the einsum is one matmul, else None.

    That is the case when the input is ``free + contracted``, the weight
    ``contracted + new`` and the output ``free + new`` (in that order), which
    covers the usual projections (``"...b,bc->...c"``, ``"bqm,muh->bquh"``,
    ``"bquh,uhm->bqm"``).
    """
    in_spec, w_spec, out_spec, elision = parse_equation(equation)
    if elision == "right":
        return None
    contracted = "".join(c for c in in_spec if c in w_spec and c not in out_spec)
    new = "".join(c for c in w_spec if c in out_spec and c not in in_spec)
    free = "".join(c for c in in_spec if c in out_spec and c not in w_spec)
    if in_spec != free + contracted or w_spec != contracted + new or out_spec != free + new:
        return None
    fold = bias_axes is not None and bias_axes == new
    return len(contracted), fold


class EinsumDense(QuantizeMixin, LoRAMixin, Layer):
    """A dense layer defined by an einsum equation: ``einsum(equation, inputs, kernel) + bias``.

    The equation names the input axes, the kernel axes and the output axes
    (``"ab,bc->ac"`` is a plain Dense). The kernel's shape follows from the
    input shape and ``output_shape``; an ellipsis (``"...b,bc->...c"``)
    passes extra leading (or trailing) input axes through. When the equation
    is a plain matrix product over flattened axes it runs as one
    ``F.linear``; otherwise as ``torch.einsum``.

    Args:
        equation: The einsum equation, e.g. ``"abc,cd->abd"``.
        output_shape: The output shape without the batch axis (and without
            elided axes); ``None`` entries are taken from the input.
        activation: Activation applied to the output.
        bias_axes: Letters of the output axes that carry a bias, or ``None``.
        kernel_initializer: Initializer of the kernel (fans counted over the
            kernel's input and output axes, as Keras does).
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Penalty on the kernel.
        bias_regularizer: Penalty on the bias.
        kernel_constraint: Projection of the kernel after each step.
        bias_constraint: Projection of the bias after each step.
        lora_rank: If set, build with LoRA enabled at this rank (see :meth:`enable_lora`).
        lora_alpha: LoRA scale numerator (update scaled by ``lora_alpha / lora_rank``).
        **kwargs: Base layer arguments (``activity_regularizer``, ``name``...).

    Example:
        >>> import torch
        >>> from ketorch.layers import EinsumDense
        >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 2), bias_axes="de")
        >>> layer(torch.ones(3, 5, 6)).shape
        torch.Size([3, 5, 4, 2])
        >>> layer.kernel.shape, layer.bias.shape
        (torch.Size([6, 4, 2]), torch.Size([4, 2]))
        >>> layer.quantize("int8")
        >>> layer.kernel.dtype, layer.kernel_scale.shape
        (torch.int8, torch.Size([1, 1, 4, 2]))
    """

    _quant_owner = True
    _quant_spec = {
        "int8": ("kernel", "bias", "kernel_scale"),
        "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
        "float8": ("kernel", "bias", *_FLOAT8),
    }

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        self.quantization_config = read_quantization_config(kwargs)
        kwargs.pop("gptq_unpacked_column_size", None)
        super().__init__(**kwargs)
        parse_equation(equation)
        self.equation = equation
        if isinstance(output_shape, int) and not isinstance(output_shape, bool):
            self.partial_output_shape = (output_shape,)
        elif isinstance(output_shape, (list, tuple)):
            self.partial_output_shape = tuple(output_shape)
        else:
            raise ValueError(
                "Argument `output_shape` of EinsumDense must be an int or a tuple of ints "
                f"(None for sizes taken from the input). Received: output_shape={output_shape!r}"
            )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self._linear_act = self.activation is activations.linear
        self.bias = None

    def _kernel_init(self, input_axes, output_axes):
        init = self.kernel_initializer
        if not isinstance(init, initializers.VarianceScaling):
            return init

        def fan_aware(shape, dtype=None):
            # Draw as a (fan_in, fan_out) matrix, so the fans are those of the einsum's
            # input and output axes; the values are i.i.d., so any reshape keeps them so.
            fan_in = math.prod(shape[i] for i in input_axes)
            fan_out = math.prod(shape[i] for i in output_axes)
            return init((fan_in, fan_out), dtype=dtype).reshape(shape)

        return fan_aware

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        kernel_shape, bias_shape, _, in_axes, out_axes = analyze(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        if any(d is None for d in kernel_shape):
            raise ValueError(
                f"Layer '{self.name}' (EinsumDense) cannot size its kernel: the input axes it "
                f"contracts must be known. Received: input_shape={input_shape}"
            )
        self.input_spec = InputSpec(ndim=len(input_shape))
        mode = self.quantization_mode
        if mode is not None:  # a quantized model being loaded: Keras's variables and order
            self._quantized_build_with(_quantized_einsum.einsum_build, kernel_shape)
        if mode in (None, "float8"):
            self.kernel = self.add_weight(
                name="kernel",
                shape=tuple(kernel_shape),
                initializer=self._kernel_init(in_axes, out_axes),
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=tuple(bias_shape),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._plan = _matmul_plan(self.equation, self.bias_axes, kernel_shape)
        self.built = True
        self._build_lora()

    def call(self, inputs, training=None):
        if self.quantization_mode is not None:
            return _quantized_einsum.einsum_call(self, inputs)
        x = inputs if inputs.is_floating_point() else inputs.float()
        kernel = self._lora_merged() if self.lora_enabled else self.kernel
        if self._plan is not None:
            n_in, fold = self._plan
            k_in = kernel.shape[:n_in]
            k_out = kernel.shape[n_in:]
            lead = x.shape[: x.ndim - n_in]
            weight = kernel.reshape(math.prod(k_in), math.prod(k_out)).T
            bias = self.bias.reshape(-1) if fold else None
            y = F.linear(x.reshape(*lead, weight.shape[1]), weight, bias).reshape(*lead, *k_out)
            if self.bias is not None and not fold:
                y = y + self.bias
        else:
            y = torch.einsum(self.equation, x, kernel.to(x.dtype))
            if self.bias is not None:
                y = y + self.bias
        return y if self._linear_act else self.activation(y)

    def compute_output_shape(self, input_shape):
        _, _, out, _, _ = analyze(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "output_shape": self.partial_output_shape,
                "equation": self.equation,
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "quantization_config": None,
            }
        )
        return self._quant_config_entry(self._lora_config(config))

    def _quantize_weights(self, mode, config):
        _quantized_einsum.einsum_quantize(self, mode, config)
