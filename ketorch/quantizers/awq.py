"""AWQ for one layer: per-input-channel scales chosen from activation magnitudes.

Each input channel ``i`` of the transposed kernel ``(out, in)`` is multiplied by
``s_i = x_max_i ** ratio`` (normalized by ``sqrt(max(s) * min(s))``) before 4-bit
zero-point quantization; ``ratio`` is searched on a grid of ``num_grid_points + 1``
values in ``[0, 1]`` for the lowest ``mean((W - Q(W * s) / s) ** 2 * x_max ** 2)``.
The forward pass divides the dequantized kernel by ``s`` again.
"""

from __future__ import annotations

import torch

from .gptq import _f32, dequantize_zero_point, quantization_parameters, quantize_zero_point

_F32 = torch.float32


def _qdq(w, group_size):
    scale, zero, maxq = quantization_parameters(
        w, bits=4, symmetric=False, per_channel=True, group_size=group_size
    )
    if group_size == -1:
        g_idx = None
        q = quantize_zero_point(w, scale, zero, maxq)
        return q, scale, zero, g_idx, dequantize_zero_point(q, scale, zero)
    g_idx = torch.div(torch.arange(w.shape[1], device=w.device), group_size, rounding_mode="floor")
    s, z = scale[:, g_idx], zero[:, g_idx]
    q = quantize_zero_point(w, s, z, maxq)
    return q, scale, zero, g_idx, (q - z.to(s.dtype)) * s


def awq_search_scales(w, x_max, *, num_grid_points=20, group_size=-1):
    """The per-input-channel AWQ scales (float32, ``(in,)``) for ``w`` ``(out, in)``."""
    x_max = x_max.to(_F32)
    x_max = torch.where(x_max < 1e-8, torch.ones_like(x_max), x_max)
    best_loss, best = None, torch.ones(w.shape[1], dtype=_F32, device=w.device)
    for i in range(num_grid_points + 1):
        ratio = i / num_grid_points
        scales = torch.ones_like(x_max) if ratio == 0 else torch.pow(x_max, _f32(ratio))
        scales = torch.maximum(scales, _f32(1e-4).to(w.device))
        norm = torch.maximum(torch.sqrt(scales.max() * scales.min()), _f32(1e-8).to(w.device))
        scales = scales / norm
        deq = _qdq(w * scales, group_size)[4]
        loss = torch.mean(torch.square(w - deq / scales) * torch.square(x_max))
        if best_loss is None or bool(loss < best_loss):
            best_loss, best = loss, scales
    return best


def awq_quantize_matrix(w, x_max, *, num_grid_points=20, group_size=-1):
    """``(q, scale, zero, awq_scales, g_idx)`` of ``w`` ``(out, in)``; ``g_idx`` float32."""
    awq_scales = awq_search_scales(w, x_max, num_grid_points=num_grid_points, group_size=group_size)
    q, scale, zero, g_idx, _ = _qdq(w * awq_scales, group_size)
    if g_idx is None:
        g_idx = torch.zeros(w.shape[1], dtype=_F32, device=w.device)
    return q, scale, zero, awq_scales, g_idx.to(_F32)


class AWQ:
    """Activation-magnitude tracker and quantizer of one Dense layer (kernel ``(in, out)``)."""

    def __init__(self, layer, config) -> None:
        self.layer = layer
        self.config = config
        self.rows = layer.kernel.shape[0]
        self.x_max = torch.zeros(self.rows, dtype=_F32, device=layer.kernel.device)

    def update(self, x) -> None:
        x = x.detach().reshape(-1, self.rows).to(_F32)
        self.x_max = torch.maximum(self.x_max, x.abs().amax(dim=0))

    def quantize(self):
        w = self.layer.kernel.detach().to(_F32).T
        return awq_quantize_matrix(
            w,
            self.x_max,
            num_grid_points=self.config.num_grid_points,
            group_size=self.config.group_size,
        )
