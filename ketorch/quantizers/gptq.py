"""GPTQ for one layer: the Hessian of its inputs and the column-wise quantization.

The weight matrix is handled transposed, ``(out_features, in_features)``. Columns are
quantized one at a time; each column's error, scaled by the inverse Hessian, is taken
off the columns not yet quantized (inside a block of ``blocksize`` columns at once,
across blocks in one matrix product). Operations follow Keras's order so that the
same float weights and calibration data give the same integers on the same device.
"""

from __future__ import annotations

import torch

_F32 = torch.float32


def _f32(value) -> torch.Tensor:
    return torch.tensor(value, dtype=_F32)


def quantization_parameters(x, *, bits, symmetric=False, per_channel=False, group_size=-1):
    """``(scale, zero, maxq)`` of a 2D ``(out, in)`` matrix: zero-point (unsigned) params.

    Shapes are ``(out, n_groups)``: groups of ``group_size`` columns (the last group
    padded with zeros) when ``per_channel`` and ``group_size > 0``, else ``(out, 1)``
    (per row with ``per_channel``, the whole matrix repeated per row otherwise).
    """
    out_features, in_features = x.shape
    n_groups = -(-in_features // group_size) if per_channel and group_size > 0 else 1
    if n_groups > 1:
        pad = (-in_features) % group_size
        if pad:
            x = torch.nn.functional.pad(x, (0, pad))
        grouped = x.reshape(out_features, n_groups, group_size)
        lo, hi = grouped.amin(dim=2), grouped.amax(dim=2)
    else:
        flat = x.reshape(out_features, -1) if per_channel else x.reshape(1, -1)
        lo, hi = flat.amin(dim=1), flat.amax(dim=1)
    if symmetric:
        max_abs = torch.maximum(lo.abs(), hi)
        lo = torch.where(lo < 0, -max_abs, lo)
        hi = max_abs
    flat_range = lo == hi
    lo = torch.where(flat_range, lo - 1, lo)
    hi = torch.where(flat_range, hi + 1, hi)
    maxq = _f32(2**bits - 1).to(x.device)
    scale = (hi - lo) / maxq
    scale = torch.where(scale <= 0, _f32(1e-8).to(x.device), scale)
    if symmetric:
        zero = torch.full_like(scale, float((maxq + 1) / 2))
    else:
        zero = torch.round(-lo / scale)
    if n_groups == 1:
        scale, zero = scale.reshape(-1, 1), zero.reshape(-1, 1)
        if not per_channel:
            scale, zero = scale.expand(out_features, 1), zero.expand(out_features, 1)
    return scale.contiguous(), zero.to(torch.uint8).contiguous(), maxq


def quantize_zero_point(x, scale, zero, maxq):
    """``clip(round(x / scale + zero), 0, maxq)`` (float)."""
    safe = torch.where(scale == 0, _f32(1e-8).to(scale.device), scale)
    return torch.clip(torch.round(x / safe + zero.to(scale.dtype)), 0, maxq)


def dequantize_zero_point(q, scale, zero):
    return scale * (q - zero.to(scale.dtype))


def _descending_order(metric):
    """Indices sorting ``metric`` high to low; ties keep the lower index first."""
    n = metric.shape[0]
    jitter = torch.arange(n, dtype=torch.int32, device=metric.device).to(_F32) / _f32(n)
    return torch.argsort(-(metric + jitter * _f32(1e-12)), stable=True)


def gptq_quantize_matrix(
    w,
    inv_hessian,
    *,
    params_fn,
    blocksize=128,
    group_size=-1,
    activation_order=False,
    order_metric=None,
):
    """Quantize ``w`` ``(out, in)`` column by column with GPTQ's error feedback.

    Returns ``(q, scale, zero, g_idx)``: ``q`` int32 ``(out, in)``, ``scale``/``zero``
    ``(out, n_groups)`` (groups in processing order), ``g_idx`` float32 ``(in,)`` equal
    to the column's processing position divided by the group size (Keras stores this
    fraction; readers truncate it to the group index).
    """
    in_features = w.shape[1]
    perm = None
    if activation_order:
        metric = order_metric.to(_F32)
        metric = torch.where(torch.isfinite(metric), metric, torch.zeros_like(metric))
        perm = _descending_order(metric)
        w = w[:, perm]
        inv_hessian = inv_hessian[perm][:, perm]
    buffer = w.clone()
    quantized = torch.zeros_like(w, dtype=torch.int32)
    scales, zeros = [], []
    group = in_features if group_size == -1 else group_size
    for start in range(0, in_features, blocksize):
        end = min(start + blocksize, in_features)
        block = buffer[:, start:end].clone()
        errors = torch.zeros_like(block)
        block_inv = inv_hessian[start:end, start:end]
        current_group = -1
        for j in range(end - start):
            col = start + j
            group_start = (col // group) * group
            if group_start != current_group:
                source = (
                    buffer if group == in_features else buffer[:, group_start : group_start + group]
                )
                scale, zero, maxq = params_fn(source)
                scales.append(scale)
                zeros.append(zero)
                current_group = group_start
            column = block[:, j]
            q = quantize_zero_point(column[:, None], scale, zero, maxq)
            quantized[:, col] = q[:, 0].to(torch.int32)
            err = (column - dequantize_zero_point(q, scale, zero)[:, 0]) / block_inv[j, j]
            errors[:, j] = err
            if j < end - start - 1:
                block[:, j + 1 :] = block[:, j + 1 :] - torch.matmul(
                    err[:, None], block_inv[j, j + 1 :][None, :]
                )
        if end < in_features:
            buffer[:, end:] = buffer[:, end:] - torch.matmul(errors, inv_hessian[start:end, end:])
    g_idx = torch.arange(in_features, dtype=torch.int32, device=w.device).to(_F32) / _f32(group)
    if perm is not None:
        inverse = torch.argsort(perm, stable=True)
        g_idx, quantized = g_idx[inverse], quantized[:, inverse]
    return quantized, torch.cat(scales, dim=1), torch.cat(zeros, dim=1), g_idx


class GPTQ:
    """Hessian accumulator and quantizer of one Dense layer (kernel ``(in, out)``)."""

    def __init__(self, layer, config) -> None:
        self.layer = layer
        self.config = config
        self.rows = layer.kernel.shape[0]
        self.hessian = torch.zeros(self.rows, self.rows, dtype=_F32, device=layer.kernel.device)
        self.num_samples = 0

    def update(self, x) -> None:
        """Fold a batch of inputs into the running mean of ``2 x^T x``."""
        x = x.detach().reshape(-1, self.rows).to(_F32)
        n, prev = x.shape[0], self.num_samples
        total = prev + n
        gram = torch.matmul(x.T, x)
        gram = (gram + gram.T) / 2.0
        if prev > 0:
            self.hessian = self.hessian * (_f32(prev) / _f32(total)).to(x.device)
        self.hessian = self.hessian + (_f32(2.0) / _f32(total)).to(x.device) * gram
        self.num_samples = total

    def quantize(self, blocksize=128):
        """``(q, scale, zero, g_idx)`` of the layer's kernel (see :func:`gptq_quantize_matrix`)."""
        cfg = self.config
        w = self.layer.kernel.detach().to(_F32).T
        diag = torch.diagonal(self.hessian)
        dead = diag == 0
        diag = torch.where(dead, _f32(1.0).to(diag.device), diag)
        hessian = self.hessian + torch.diag(torch.where(dead, 1.0, torch.zeros_like(diag)))
        diag = diag + _f32(cfg.hessian_damping).to(diag.device) * diag.mean()
        hessian = hessian - torch.diag(torch.diagonal(hessian)) + torch.diag(diag)
        inverse = torch.linalg.inv(hessian)

        def params_fn(m):
            return quantization_parameters(
                m,
                bits=cfg.weight_bits,
                symmetric=cfg.symmetric,
                per_channel=cfg.per_channel,
                group_size=cfg.group_size,
            )

        return gptq_quantize_matrix(
            w,
            inverse,
            params_fn=params_fn,
            blocksize=blocksize,
            group_size=cfg.group_size,
            activation_order=cfg.activation_order,
            order_metric=torch.diagonal(hessian),
        )
