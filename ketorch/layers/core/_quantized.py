"""Quantized weights and calls of Dense, EinsumDense and Embedding (``layer.quantize(mode)``).

The variables keep Keras's names, dtypes, shapes and order so that quantized models
move between ketorch and Keras through ``.keras`` / ``.weights.h5`` files:

- int8: ``kernel`` (int8) and ``kernel_scale``; the float kernel is ``kernel / scale``.
  Inputs are quantized per call (abs-max over the contracted axes) and multiplied in
  integers, as Keras does.
- int4: ``kernel`` holds two int4 values per byte; per-channel (``block_size`` -1) it has
  a ``kernel_scale``, in groups it also has ``kernel_zero`` and ``g_idx``.
- float8: the float kernel stays; inputs, kernel and output gradients go through float8
  with delayed scaling (``*_scale`` and ``*_amax_history`` updated while training).
"""

from __future__ import annotations

import warnings

import torch

from ... import quantizers
from ...backend._core import call_context
from ...dtype_policies import get as get_policy
from ...quantizers.quantization_config import (
    QuantizationConfig,
    block_size_for_layer,
    validate_and_resolve_config,
)

_E4M3_MAX = 448.0
_E5M2_MAX = 57344.0
_FLOAT8_WEIGHTS = (
    "inputs_scale",
    "inputs_amax_history",
    "kernel_scale",
    "kernel_amax_history",
    "outputs_grad_scale",
    "outputs_grad_amax_history",
)


# ------------------------------------------------------------------ checks and bookkeeping
def check_quantize_args(layer, mode) -> None:
    """Keras's checks before any layer quantizes (built, not yet quantized, known mode)."""
    from ...dtype_policies import QUANTIZATION_MODES  # import cycle

    if not layer.built:
        raise ValueError(
            "Cannot quantize a layer that isn't yet built. "
            f"Layer '{layer.name}' (of type '{type(layer).__name__}') is not built yet."
        )
    if getattr(layer, "_is_quantized", False):
        raise ValueError(
            f"Layer '{layer.name}' is already quantized with "
            f"dtype_policy='{layer.dtype_policy.name}'. Received: mode={mode}"
        )
    if mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
            f"Received: mode={mode}"
        )
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(
            f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. "
            "Consider loading model/layer with another dtype policy such as 'mixed_bfloat16' "
            "or 'mixed_float16' before calling `quantize()`."
        )


def mode_error(modes, mode) -> NotImplementedError:
    return NotImplementedError(
        f"Invalid quantization mode. Expected one of {modes}. Received: quantization_mode={mode}"
    )


def drop_weight(layer, weight) -> None:
    """Unregister ``weight`` from ``layer`` (its quantized replacement takes the name)."""
    for bucket in (layer._trainable_weights, layer._non_trainable_weights):
        bucket[:] = [w for w in bucket if w is not weight]
    for key, value in list(layer._parameters.items()):
        if value is weight:
            del layer._parameters[key]
            layer.__dict__.pop(key, None)


def new_weight(
    layer, name, shape, dtype="float32", initializer="zeros", trainable=False, like=None
):
    w = layer.add_weight(
        name=name, shape=shape, dtype=dtype, initializer=initializer, trainable=trainable
    )
    if like is not None:
        if w.device != like.device:
            w.data = w.data.to(like.device)
        prefix = getattr(like, "_keras_path", "").rpartition("/")[0]
        if prefix:  # keep the scope the replaced weight was created in
            w._keras_path = f"{prefix}/{name}"
    return w


def assign(weight, value) -> None:
    with torch.no_grad():
        weight.copy_(torch.as_tensor(value).to(device=weight.device, dtype=weight.dtype))


class QuantizeMixin:
    """``quantize()`` and the quantized saving order, for layers with one quantizable weight.

    A class sets ``_quant_owner = True`` (subclasses are refused unless
    ``type_check=False``), ``_quant_modes`` and ``_quant_spec`` (mode -> saved variable
    names, in Keras's order), implements ``_quantize_weights(mode, config)`` and calls
    :meth:`_quantized_build_with` from ``build`` when its policy is quantized.
    """

    _quant_modes = ("int8", "int4", "float8")
    _quant_spec: dict = {}

    @property
    def quantization_mode(self):
        """The layer's quantization mode (``"int8"``, ...), ``None`` if not quantized."""
        # Read on every call of quantizable layers: no policy lookup for float layers.
        quantized = self._quantized_policy
        return None if quantized is None else quantized.quantization_mode

    def quantize(self, mode=None, type_check=True, config=None) -> None:
        """Quantize the built layer's weights in place.

        Args:
            mode: ``"int8"``, ``"int4"`` or ``"float8"`` (optional with ``config``).
            type_check: Refuse subclasses, whose calls may not suit quantized weights.
            config: A :class:`~ketorch.quantizers.QuantizationConfig`.

        Raises:
            ValueError: On an unknown mode, an unbuilt or already quantized layer.
            NotImplementedError: For modes this layer has no quantized form of
                (and for GPTQ/AWQ, whose calibration ketorch does not implement).
        """
        config = validate_and_resolve_config(mode, config)
        mode = config.mode
        check_quantize_args(self, mode)
        if type_check and not type(self).__dict__.get("_quant_owner", False):
            raise NotImplementedError(
                f"Layer {type(self).__name__} does not have a `quantize` method implemented."
            )
        if mode in ("gptq", "awq") and mode not in self._quant_modes:
            raise NotImplementedError(
                f"ketorch implements {mode.upper()} for Dense layers only; "
                f"{type(self).__name__} '{self.name}' is left unquantized."
            )
        if mode not in self._quant_modes:
            raise mode_error(self._quant_modes, mode)
        if self.lora_enabled:
            raise NotImplementedError(
                f"Layer '{self.name}': quantizing a layer with LoRA enabled is not supported "
                "by ketorch yet; quantize before `enable_lora`, or merge the LoRA weights."
            )
        self.quantization_config = config
        self._quantize_weights(mode, config)
        self._is_quantized = True
        if getattr(self, "_quantized_policy", None) is None:
            name = mode
            if mode == "int4":
                block = block_size_for_layer(self, config)
                name = f"int4/{-1 if block is None else block}"
            elif mode in ("gptq", "awq"):
                name = config.dtype_policy_string()
            self._quantized_policy = get_policy(f"{name}_from_{self.dtype_policy.name}")

    def _quantized_build_with(self, build_fn, *args) -> None:
        """Create the quantized variables at build time (a quantized model being loaded)."""
        mode = self.quantization_mode
        if mode not in self._quant_modes:
            raise mode_error(self._quant_modes, mode)
        build_fn(self, mode, getattr(self, "quantization_config", None), *args)
        self._is_quantized = True

    def _quantized_by_name(self) -> list:
        spec = self._quant_spec[self.quantization_mode]
        return [getattr(self, n) for n in spec if getattr(self, n, None) is not None]

    def _saved_variable_values(self) -> list:
        if self.quantization_mode is None:
            return super()._saved_variable_values()
        return self._quantized_by_name()

    def _variables_to_load(self):
        if self.quantization_mode is None:
            return super()._variables_to_load()
        return self._quantized_by_name(), []

    def _fit_saved_count(self, targets, count):
        """Keras 3.15 writes GPTQ/AWQ layers without ``kernel_zero``: read the rest."""
        zero = getattr(self, "kernel_zero", None)
        if (
            self.quantization_mode in ("gptq", "awq")
            and zero is not None
            and count == len(targets) - 1
        ):
            warnings.warn(
                f"Layer '{self.name}': the file has no `kernel_zero` (Keras 3.15 does not save "
                "the GPTQ/AWQ zero points); they keep their current values.",
                stacklevel=2,
            )
            return [t for t in targets if t is not zero]
        return targets

    def _quant_config_entry(self, config: dict) -> dict:
        qc = getattr(self, "quantization_config", None)
        if qc is not None or "quantization_config" in config:
            config["quantization_config"] = quantizers.serialize(qc)
        return config


def read_quantization_config(kwargs):
    """Pop and deserialize the ``quantization_config`` constructor argument."""
    config = kwargs.pop("quantization_config", None)
    return quantizers.deserialize(config) if isinstance(config, dict) else config


# -------------------------------------------------------------------------- int matmul
def int_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """int8 @ int8 -> int32 exactly as Keras's torch backend computes it on each device."""
    if a.is_cuda:
        if (
            a.dim() == 2
            and b.dim() == 2
            and a.shape[0] > 16
            and a.shape[1] >= 16
            and a.shape[1] % 8 == 0
            and b.shape[1] % 8 == 0
        ):
            try:
                return torch._int_mm(a, b)
            except RuntimeError:
                pass
        return torch.matmul(a.float(), b.float()).to(torch.int32)
    return torch.matmul(a.to(torch.int32), b.to(torch.int32))


def mixed_matmul(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """float @ int8 as Keras's ``ops.matmul``: both cast to the float dtype."""
    return torch.matmul(x, k.to(x.dtype))


class _DequantGrad(torch.autograd.Function):
    """Forward: a given quantized result; backward: ``dy`` through the dequantized kernel."""

    @staticmethod
    def forward(ctx, x, out, grad_fn):
        ctx.grad_fn = grad_fn
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx.grad_fn(grad), None, None


def with_input_grad(x, out, grad_fn):
    """``out`` (computed without autograd) whose gradient to ``x`` is ``grad_fn(dy)``."""
    if not (torch.is_grad_enabled() and x.requires_grad):
        return out
    return _DequantGrad.apply(x, out, grad_fn)


# --------------------------------------------------------------------------- float8
class _QDQInputs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale, compute_dtype):
        return quantizers.quantize_and_dequantize(x, scale, "float8_e4m3fn", compute_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None


class _QDQOutputGrads(torch.autograd.Function):
    @staticmethod
    def forward(ctx, y, layer):
        ctx.layer = layer
        return y.view_as(y)

    @staticmethod
    def backward(ctx, grad):
        layer = ctx.layer
        scale, history = layer.outputs_grad_scale, layer.outputs_grad_amax_history
        new_scale = quantizers.compute_float8_scale(history.max(), scale, _E5M2_MAX)
        out = quantizers.quantize_and_dequantize(grad, scale, "float8_e5m2", layer.compute_dtype)
        new_history = quantizers.compute_float8_amax_history(grad, history)
        assign(scale, new_scale)
        assign(history, new_history)
        return out, None


def float8_qdq(layer, x, prefix, training):
    """Quantize-dequantize ``x`` with the ``<prefix>_scale`` weight; update it while training."""
    scale = getattr(layer, f"{prefix}_scale")
    history = getattr(layer, f"{prefix}_amax_history")
    with torch.no_grad():
        s, h = scale.detach().clone(), history.detach().clone()
    out = _QDQInputs.apply(x, s, layer.compute_dtype)
    if training:
        with torch.no_grad():
            assign(scale, quantizers.compute_float8_scale(h.max(), s, _E4M3_MAX))
            assign(history, quantizers.compute_float8_amax_history(x.detach(), h))
    return out


def float8_output(layer, y):
    """Identity forward; float8 quantize-dequantize of the gradient coming back."""
    if not (torch.is_grad_enabled() and y.requires_grad):
        return y
    return _QDQOutputGrads.apply(y, layer)


def float8_build(layer, like=None) -> None:
    """The six delayed-scaling weights (trainable in Keras's listing, updated in place)."""
    from ...dtype_policies import QuantizedFloat8DTypePolicy  # import cycle

    length = getattr(
        layer.dtype_policy,
        "amax_history_length",
        QuantizedFloat8DTypePolicy.default_amax_history_length,
    )
    for name in _FLOAT8_WEIGHTS:
        shape = () if name.endswith("_scale") else (length,)
        init = "ones" if name.endswith("_scale") else "zeros"
        w = new_weight(layer, name, shape, "float32", init, trainable=True, like=like)
        w.requires_grad_(False)  # overwritten with new values, never stepped by an optimizer


def float8_bias(layer, bias):
    """Keras rounds a float32 bias through bfloat16 under float8."""
    if layer.compute_dtype == "float32":
        return bias.to(torch.bfloat16).to(bias.dtype)
    return bias


def is_training() -> bool:
    return bool(call_context().training)


# ------------------------------------------------------------------------- quantizing
def quantize_2d(layer, weight, mode, config, axis):
    """``(values, scale, zero)`` of a 2D float weight; int4 values are packed on the last axis.

    ``axis`` is the reduced axis (0 for a kernel ``(in, out)``, -1 for an embedding table).
    """
    if mode == "int8":
        quantizer = QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=axis)
        )
        values, scale = quantizer(weight.detach(), to_numpy=True)
        return values, scale.squeeze(axis), None
    block = config.block_size if isinstance(config, quantizers.Int4QuantizationConfig) else None
    zero = None
    if block is None or block == -1:
        quantizer = QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=axis, value_range=(-8, 7), output_dtype="int8")
        )
        values, scale = quantizer(weight.detach(), to_numpy=True)
        scale = scale.squeeze(axis)
    elif axis == 0:
        values, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(
            weight.detach(), block_size=block, to_numpy=True
        )
    else:  # groups along the last axis: quantize the transpose
        values, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(
            weight.detach().T, block_size=block, to_numpy=True
        )
        values, scale, zero = values.T, scale.T, zero.T
    packed, _, _ = quantizers.pack_int4(values.contiguous(), axis=-1)
    return packed, scale, zero
