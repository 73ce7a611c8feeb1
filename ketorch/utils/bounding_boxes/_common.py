"""Shared helpers for the bounding box utilities: tensor conversion and corner splitting."""

from __future__ import annotations

import torch

from ...backend._core import to_tensor


def as_tensor(x, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Any array-like as a tensor (float64 becomes float32, as everywhere in ketorch)."""
    return to_tensor(x, dtype=dtype)


def split4(boxes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The four coordinates of ``(..., 4)`` boxes, each kept with a trailing axis of 1."""
    return tuple(torch.split(boxes, 1, dim=-1))


def join4(a, b, c, d) -> torch.Tensor:
    return torch.cat([a, b, c, d], dim=-1)
