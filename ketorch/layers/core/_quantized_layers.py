"""The quantized builds and calls of Dense and Embedding (see ``_quantized``)."""

from __future__ import annotations

import math

import torch

from ... import backend, quantizers
from ...dtype_policies import AWQDTypePolicy, GPTQDTypePolicy
from ...quantizers.quantization_config import QuantizationConfig, block_size_for_layer
from . import _quantized as q


# ------------------------------------------------------------------------------ Dense
def dense_build(layer, mode, config, input_dim, like=None) -> None:
    """Create Dense's quantized variables (before ``bias``, in Keras's order)."""
    units = layer.units
    if mode == "int8":
        layer.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer()
        )
        layer.kernel = q.new_weight(layer, "kernel", (input_dim, units), "int8", like=like)
        layer.kernel_scale = q.new_weight(
            layer, "kernel_scale", (units,), initializer="ones", like=like
        )
    elif mode == "int4":
        layer.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
        layer.kernel = q.new_weight(
            layer, "kernel", (input_dim, (units + 1) // 2), "int8", like=like
        )
        block = block_size_for_layer(layer, config)
        layer._int4_block_size = block
        grouped = block is not None and block > 0
        shape = (math.ceil(input_dim / block), units) if grouped else (units,)
        layer.kernel_scale = q.new_weight(
            layer, "kernel_scale", shape, initializer="ones", like=like
        )
        if grouped:
            layer.kernel_zero = q.new_weight(layer, "kernel_zero", shape, "int8", like=like)
            layer.g_idx = q.new_weight(layer, "g_idx", (input_dim,), like=like)
            q.assign(layer.g_idx, torch.div(torch.arange(input_dim), block, rounding_mode="floor"))
    elif mode == "float8":
        q.float8_build(layer, like=like)
    elif mode in ("gptq", "awq"):
        _calibrated_build(layer, mode, config, input_dim, like)


def _policy_setting(layer, config, mode, name):

    if config is not None and config.mode == mode:
        return getattr(config, name)
    policy = layer.dtype_policy
    if isinstance(policy, (GPTQDTypePolicy, AWQDTypePolicy)):
        return getattr(policy, name)
    raise ValueError(
        f"For {mode.upper()} quantization, the {name} must be specified either through a "
        f"`dtype_policy` of type `{mode.upper()}DTypePolicy` or the `config` argument."
    )


def _calibrated_build(layer, mode, config, input_dim, like):
    """GPTQ/AWQ variables: the transposed ``(out, in)`` kernel as uint8, 4 bits packed."""
    units = layer.units
    bits = _policy_setting(layer, config, mode, "weight_bits")
    group = _policy_setting(layer, config, mode, "group_size")
    layer._calib_bits = bits
    rows = (units + 1) // 2 if bits == 4 else units
    n_groups = 1 if group == -1 else math.ceil(input_dim / group)
    layer.quantized_kernel = q.new_weight(layer, "kernel", (rows, input_dim), "uint8", like=like)
    layer.kernel_scale = q.new_weight(
        layer, "kernel_scale", (units, n_groups), initializer="ones", like=like
    )
    layer.kernel_zero = q.new_weight(layer, "kernel_zero", (units, n_groups), "uint8", like=like)
    if mode == "awq":
        layer.awq_scales = q.new_weight(
            layer, "awq_scales", (input_dim,), initializer="ones", like=like
        )
    layer.g_idx = q.new_weight(layer, "g_idx", (input_dim,), like=like)
    layer._calibrated = like is None  # built from a saved policy: the file holds the values


def dense_set_calibrated(layer, result) -> None:
    """Store a GPTQ/AWQ result ``(q, scale, zero, [awq_scales,] g_idx)``; drop the float kernel."""
    values, scale, zero, *rest = result
    values = values.to(torch.uint8)
    if layer._calib_bits == 4:
        values, _, _ = quantizers.pack_int4(values, axis=0, dtype="uint8")
    q.drop_weight(layer, layer.kernel)
    q.assign(layer.quantized_kernel, values)
    q.assign(layer.kernel_scale, scale)
    q.assign(layer.kernel_zero, zero)
    if layer.quantization_mode == "awq":
        q.assign(layer.awq_scales, rest[0])
    q.assign(layer.g_idx, rest[-1])
    layer._calibrated = True


def _calibrated_kernel(layer, dtype):
    """The dequantized ``(in, out)`` kernel of a calibrated GPTQ/AWQ layer."""
    w = layer.quantized_kernel
    if layer._calib_bits == 4:
        w = quantizers.unpack_int4(w, layer.units, axis=0, dtype="uint8")
    w = quantizers.functions.dequantize_with_sz_map(
        w, layer.kernel_scale, layer.kernel_zero, layer.g_idx
    ).T
    if layer.quantization_mode == "awq":
        w = w / layer.awq_scales[:, None]
    return w.to(dtype)


def dense_quantize(layer, mode, config) -> None:
    """Replace Dense's float kernel by its quantized form (float8 adds scaling weights)."""
    kernel = layer.kernel
    input_dim = kernel.shape[0]
    if mode in ("float8", "gptq", "awq"):  # GPTQ/AWQ keep the float kernel until calibrated
        dense_build(layer, mode, config, input_dim, like=kernel)
        return
    values, scale, zero = q.quantize_2d(layer, kernel, mode, config, axis=0)
    q.drop_weight(layer, kernel)
    dense_build(layer, mode, config, input_dim, like=kernel)
    q.assign(layer.kernel, values)
    q.assign(layer.kernel_scale, scale)
    if zero is not None:
        q.assign(layer.kernel_zero, zero)


def _scaled_matmul(layer, x, kernel_int, kernel_scale, float_kernel):
    """``x @ kernel / scale``, quantizing ``x`` first when the layer has an input quantizer."""
    quantizer = getattr(layer, "inputs_quantizer", None)
    with torch.no_grad():
        if quantizer:
            xq, x_scale = quantizer(x.detach(), axis=-1)
            y = q.int_matmul(xq, kernel_int).to(x.dtype) / (kernel_scale * x_scale)
        else:
            y = q.mixed_matmul(x.detach(), kernel_int).to(x.dtype) / kernel_scale
    return q.with_input_grad(x, y, lambda dy: dy @ float_kernel().T)


def dense_call(layer, x):
    mode = layer.quantization_mode
    if not x.is_floating_point():
        x = x.float()
    bias = layer.bias
    if mode == "int8":
        k, s = layer.kernel, layer.kernel_scale
        y = _scaled_matmul(layer, x, k, s, lambda: k.to(x.dtype) / s)
    elif mode == "int4":
        unpacked = quantizers.unpack_int4(layer.kernel, layer.units, axis=-1)
        s = layer.kernel_scale
        if getattr(layer, "_int4_block_size", None) in (None, -1):
            y = _scaled_matmul(layer, x, unpacked, s, lambda: unpacked.to(x.dtype) / s)
        else:
            with torch.no_grad():
                w = dequantize_grouped(layer, unpacked, 0).to(x.dtype)
            y = q.with_input_grad(x, x.detach() @ w, lambda dy: dy @ w.T)
    elif mode == "float8":
        training = q.is_training()
        y = q.float8_qdq(layer, x, "inputs", training) @ q.float8_qdq(
            layer, layer.kernel, "kernel", training
        )
        y = q.float8_output(layer, y)
        bias = None if bias is None else q.float8_bias(layer, bias)
    elif mode in ("gptq", "awq"):
        if layer._calibrated:
            with torch.no_grad():
                w = _calibrated_kernel(layer, x.dtype)
            y = q.with_input_grad(x, x.detach() @ w, lambda dy: dy @ w.T)
        else:
            y = x @ layer.kernel
    else:
        raise q.mode_error(layer._quant_modes, mode)
    if bias is not None:
        y = y + bias
    return y if layer._linear_act else layer.activation(y)


def dequantize_grouped(layer, unpacked, axis):
    return quantizers.functions.dequantize_with_sz_map(
        unpacked, layer.kernel_scale, layer.kernel_zero, layer.g_idx, group_axis=axis
    )


# -------------------------------------------------------------------------- Embedding
def embedding_build(layer, mode, config, like=None) -> None:
    n, d = layer.input_dim, layer.output_dim
    if mode == "int8":
        layer.embeddings = q.new_weight(layer, "embeddings", (n, d), "int8", like=like)
        layer.embeddings_scale = q.new_weight(
            layer, "embeddings_scale", (n,), initializer="ones", like=like
        )
        return
    layer.embeddings = q.new_weight(layer, "embeddings", (n, (d + 1) // 2), "int8", like=like)
    block = block_size_for_layer(layer, config)
    layer._int4_block_size = block
    grouped = block is not None and block > 0
    shape = (n, math.ceil(d / block)) if grouped else (n,)
    layer.embeddings_scale = q.new_weight(
        layer, "embeddings_scale", shape, initializer="ones", like=like
    )
    if grouped:
        layer.embeddings_zero = q.new_weight(layer, "embeddings_zero", shape, "int8", like=like)
        layer.g_idx = q.new_weight(layer, "g_idx", (d,), like=like)
        q.assign(layer.g_idx, torch.div(torch.arange(d), block, rounding_mode="floor"))


def embedding_quantize(layer, mode, config) -> None:
    table = layer.embeddings
    values, scale, zero = q.quantize_2d(layer, table, mode, config, axis=-1)
    q.drop_weight(layer, table)
    embedding_build(layer, mode, config, like=table)
    q.assign(layer.embeddings, values)
    q.assign(layer.embeddings_scale, scale)
    if zero is not None:
        q.assign(layer.embeddings_zero, zero)


def embedding_call(layer, ids):
    if ids.dtype is not torch.int64 and ids.dtype is not torch.int32:
        ids = ids.long()
    dtype = backend.torch_dtype(layer.compute_dtype)
    table = layer.embeddings
    if layer.quantization_mode == "int4":
        table = quantizers.unpack_int4(table, layer.output_dim, axis=-1)
    rows = table[ids].to(dtype)
    scale = layer.embeddings_scale.reshape(layer.input_dim, -1)[ids]
    if layer.quantization_mode == "int8" or getattr(layer, "_int4_block_size", None) in (None, -1):
        return rows / scale
    zero = layer.embeddings_zero.reshape(layer.input_dim, -1)[ids]
    return quantizers.functions.dequantize_with_sz_map(
        rows, scale, zero, layer.g_idx, group_axis=-1
    )
