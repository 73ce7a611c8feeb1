"""Random-tensor helpers shared by the noise layers (seeded or global torch RNG)."""

from __future__ import annotations

import torch


def seeded_generator(layer, device: torch.device):
    """A per-device ``torch.Generator`` seeded with ``layer.seed``, or ``None`` when unseeded."""
    if layer.seed is None:
        return None
    gens = layer.__dict__.setdefault("_device_generators", {})
    gen = gens.get(device)
    if gen is None:
        gen = torch.Generator(device=device)
        gen.manual_seed(int(layer.seed))
        gens[device] = gen
    return gen


def keep_mask(shape, keep_prob: float, like: torch.Tensor, generator=None) -> torch.Tensor:
    """A {0, 1/keep_prob} tensor of ``shape`` on ``like``'s device, 1 with probability ``keep_prob``."""
    mask = torch.empty(shape, dtype=like.dtype, device=like.device)
    mask.bernoulli_(keep_prob, generator=generator)
    return mask.div_(keep_prob)


def normal(like: torch.Tensor, mean: float, stddev: float, generator=None) -> torch.Tensor:
    """Normal noise with ``like``'s shape, dtype and device."""
    noise = torch.empty_like(like)
    return noise.normal_(mean, stddev, generator=generator)
