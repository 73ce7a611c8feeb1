"""EinsumDense's quantized build and call (see ``_quantized``).

Scales are stored in Keras's layout: the per-channel kernel scale is the abs-max over the
contracted kernel axes, arranged to broadcast against the einsum's output.
"""

from __future__ import annotations

import math
import re
import string

import torch

from ... import quantizers
from ...quantizers.quantization_config import QuantizationConfig, block_size_for_layer
from . import _quantized as q


def _specs(equation, ndim):
    eq = equation.replace("...", "0")
    m = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", eq)
    if m:
        return m.groups()
    free = sorted(set(string.ascii_letters) - set(eq))
    m = re.fullmatch(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", eq)
    if m:
        x, w, y = m.groups()
        pad = "".join(free[: ndim - len(x)])
        return pad + x, w, pad + y
    m = re.fullmatch(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", eq)
    if m:
        x, w, y = m.groups()
        pad = "".join(free[: ndim - len(x)])
        return x + pad, w, y + pad
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], "
        "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def analyze(equation, ndim):
    """Per operand: reduced axes and the transpose/expand/squeeze that map its scale to output."""
    x_spec, w_spec, y_spec = _specs(equation, ndim)
    # Keras reuses the last insertion position when a reduced axis has no output slot
    # left; keep the same position so that the stored scale shapes agree.
    last = [y_spec.find(w_spec[-1])]

    def side(spec):
        reduced = [i for i, c in enumerate(spec) if c not in y_spec]
        expand = [i for i, c in enumerate(y_spec) if c not in spec]
        order = [spec.index(c) for c in y_spec if c in spec]
        squeeze = []
        for axis in reduced:
            if expand:
                last[0] = expand.pop(0)
            else:
                squeeze.append(axis)
            order.insert(last[0], axis)
        return {"reduced": reduced, "order": order, "expand": expand, "squeeze": squeeze}

    x_info = side(x_spec)
    w_info = side(w_spec)
    return x_info, w_info, f"{y_spec},{w_spec}->{x_spec}"


def to_output_layout(scale, info):
    if info["order"]:
        scale = scale.permute(*info["order"])
    for a in sorted(info["expand"]):
        scale = scale.unsqueeze(a)
    for a in sorted(info["squeeze"], reverse=True):
        scale = scale.squeeze(a)
    return scale


def to_kernel_layout(scale, info):
    for a in sorted(info["squeeze"]):
        scale = scale.unsqueeze(a)
    for a in sorted(info["expand"], reverse=True):
        scale = scale.squeeze(a)
    if info["order"]:
        inverse = sorted(range(len(info["order"])), key=info["order"].__getitem__)
        scale = scale.permute(*inverse)
    return scale


def _info(layer):
    if getattr(layer, "_quant_info", None) is None:
        layer._quant_info = analyze(layer.equation, layer.input_spec.ndim)
    return layer._quant_info


def _rows_cols(layer, shape):
    reduced = _info(layer)[1]["reduced"]
    rows = math.prod(d for i, d in enumerate(shape) if i in reduced)
    return rows, math.prod(d for i, d in enumerate(shape) if i not in reduced)


def einsum_build(layer, mode, config, kernel_shape, like=None) -> None:
    kernel_shape = tuple(kernel_shape)
    layer._quant_kernel_shape = kernel_shape
    if mode == "float8":
        q.float8_build(layer, like=like)
        return
    x_info, w_info, _ = _info(layer)
    default = quantizers.AbsMaxQuantizer() if mode == "int8" else None
    layer.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, default)
    if mode == "int8":
        layer.kernel = q.new_weight(layer, "kernel", kernel_shape, "int8", like=like)
        shape = [1 if i in w_info["reduced"] else d for i, d in enumerate(kernel_shape)]
        shape = tuple(to_output_layout(torch.empty(shape), w_info).shape)
        layer.kernel_scale = q.new_weight(
            layer, "kernel_scale", shape, initializer="ones", like=like
        )
        return
    rows, cols = _rows_cols(layer, kernel_shape)
    layer.kernel = q.new_weight(layer, "kernel", (rows, (cols + 1) // 2), "int8", like=like)
    block = block_size_for_layer(layer, config)
    grouped = block is not None and block > 0
    layer._int4_block_size = block if grouped else None
    shape = (math.ceil(rows / block), cols) if grouped else (cols,)
    layer.kernel_scale = q.new_weight(layer, "kernel_scale", shape, initializer="ones", like=like)
    if grouped:
        layer.kernel_zero = q.new_weight(layer, "kernel_zero", shape, "int8", like=like)
        layer.g_idx = q.new_weight(layer, "g_idx", (rows,), like=like)
        q.assign(layer.g_idx, torch.div(torch.arange(rows), block, rounding_mode="floor"))


def einsum_quantize(layer, mode, config) -> None:
    kernel = layer.kernel
    shape = tuple(kernel.shape)
    if mode == "float8":
        einsum_build(layer, mode, config, shape, like=kernel)
        return
    w_info = _info(layer)[1]
    zero = None
    if mode == "int8":
        quantizer = QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=w_info["reduced"])
        )
        values, scale = quantizer(kernel.detach(), to_numpy=True)
        scale = to_output_layout(scale, w_info)
    else:
        rows, cols = _rows_cols(layer, shape)
        # Keras flattens the kernel as stored (row-major), whichever axes are contracted.
        flat = kernel.detach().reshape(rows, cols)
        block = config.block_size if isinstance(config, quantizers.Int4QuantizationConfig) else None
        if block is None or block == -1:
            values, scale = quantizers.abs_max_quantize(
                flat, axis=0, value_range=(-8, 7), dtype="int8", to_numpy=True
            )
            scale = scale.squeeze(0)
        else:
            values, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(
                flat, block_size=block, to_numpy=True
            )
        values = quantizers.pack_int4(values.contiguous(), axis=-1)[0]
    q.drop_weight(layer, kernel)
    einsum_build(layer, mode, config, shape, like=kernel)
    q.assign(layer.kernel, values)
    q.assign(layer.kernel_scale, scale)
    if zero is not None:
        q.assign(layer.kernel_zero, zero)


def _int_einsum(eq, a, b):
    if a.is_cuda:
        return torch.einsum(eq, a.float(), b.float()).to(torch.int32)
    return torch.einsum(eq, a.to(torch.int32), b.to(torch.int32))


def einsum_call(layer, x):
    mode = layer.quantization_mode
    if not x.is_floating_point():
        x = x.float()
    x_info, w_info, grad_eq = _info(layer)
    eq = layer.equation
    bias = layer.bias
    if mode == "float8":
        training = q.is_training()
        y = torch.einsum(
            eq,
            q.float8_qdq(layer, x, "inputs", training),
            q.float8_qdq(layer, layer.kernel, "kernel", training),
        )
        y = q.float8_output(layer, y)
        bias = None if bias is None else q.float8_bias(layer, bias)
    else:
        with torch.no_grad():
            w = _float_kernel(layer, x.dtype)
            quantizer = layer.inputs_quantizer
            if mode == "int8" and quantizer:
                xq, xs = quantizer(x.detach(), axis=tuple(x_info["reduced"]))
                xs = to_output_layout(xs, x_info)
                y = _int_einsum(eq, xq, layer.kernel).to(x.dtype) / (xs * layer.kernel_scale)
            elif mode == "int4" and quantizer:
                xq, xs = quantizer(x.detach(), axis=tuple(x_info["reduced"]))
                y = torch.einsum(eq, xq.to(x.dtype), w) / to_output_layout(xs, x_info)
            else:
                y = torch.einsum(eq, x.detach(), w)
        y = q.with_input_grad(x, y, lambda dy: torch.einsum(grad_eq, dy, w))
    if bias is not None:
        y = y + bias
    return y if layer._linear_act else layer.activation(y)


def _float_kernel(layer, dtype):
    """The dequantized kernel in its float shape."""
    w_info = _info(layer)[1]
    if layer.quantization_mode == "int8":
        scale = to_kernel_layout(layer.kernel_scale, w_info)
        return layer.kernel.to(dtype) / scale
    rows, cols = _rows_cols(layer, layer._quant_kernel_shape)
    unpacked = quantizers.unpack_int4(layer.kernel, cols, axis=-1)
    if getattr(layer, "_int4_block_size", None) is None:
        flat = unpacked.to(dtype) / layer.kernel_scale
    else:
        flat = quantizers.functions.dequantize_with_sz_map(
            unpacked, layer.kernel_scale, layer.kernel_zero, layer.g_idx, group_axis=0
        ).to(dtype)
    return flat.reshape(layer._quant_kernel_shape)
