"""Private helpers shared by the optimizers: clipping, scalar maths, schedules."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

Scalar = float | torch.Tensor


def f32(value: Scalar) -> Any:
    """Rounds a Python number to float32 (tensors pass through).

    Keras evaluates the per-step scalars (bias corrections, `1 - wd * lr`, ...) as
    float32 tensors; doing the same host-side keeps results bit-close to Keras without
    a device round trip.
    """
    if isinstance(value, torch.Tensor):
        return value
    return np.float32(value)


def to_scalar(value: Any) -> Scalar:
    """A numpy scalar as a Python float (what torch ops take); tensors pass through."""
    if isinstance(value, torch.Tensor):
        return value
    return float(value)


def add_scaled_(targets: list[torch.Tensor], sources: list[torch.Tensor], scale: Scalar) -> None:
    """In place `targets += scale * sources`, where `scale` is a float or a 0-d tensor."""
    if isinstance(scale, torch.Tensor):
        torch._foreach_add_(targets, torch._foreach_mul(sources, scale))
    else:
        torch._foreach_add_(targets, sources, alpha=scale)


def clip_by_norm(grads: list[torch.Tensor], clipnorm: float) -> list[torch.Tensor]:
    """Rescales each gradient on its own so that its L2 norm is at most `clipnorm`."""
    norms = torch._foreach_norm(grads)
    denominators = torch._foreach_maximum(norms, clipnorm)
    return torch._foreach_div(torch._foreach_mul(grads, clipnorm), denominators)


def clip_by_value(grads: list[torch.Tensor], clipvalue: float) -> list[torch.Tensor]:
    """Clamps every gradient element to `[-clipvalue, clipvalue]`."""
    return torch._foreach_clamp_min(torch._foreach_clamp_max(grads, clipvalue), -clipvalue)


def clip_by_global_norm(grads: list[torch.Tensor], clipnorm: float) -> list[torch.Tensor]:
    """Rescales all gradients together so that their joint L2 norm is at most `clipnorm`.

    A non-finite joint norm turns every gradient into NaN, as Keras does.
    """
    norms = torch._foreach_norm(grads)
    device = norms[0].device
    total = torch.linalg.vector_norm(torch.stack([n.to(device) for n in norms]))
    scale = clipnorm * torch.clamp(1.0 / total, max=1.0 / clipnorm)
    # `total - total` is 0 for finite norms and NaN otherwise.
    scale = scale + (total - total)
    return torch._foreach_mul(grads, scale)


def call_schedule(schedule: Callable[..., Any], iterations: torch.Tensor) -> Any:
    """Evaluates a learning-rate schedule or a zero-argument learning-rate callable."""
    if _takes_no_argument(schedule):
        return schedule()
    return schedule(iterations)


def _takes_no_argument(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return not any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in parameters
    )


def serialize_schedule(schedule: Callable[..., Any]) -> dict[str, Any]:
    """Returns a Keras-style object dict for a learning-rate schedule or callable."""
    try:
        from ketorch.optimizers import schedules  # type: ignore[attr-defined]

        return schedules.serialize(schedule)
    except (ImportError, AttributeError, TypeError, ValueError):
        pass
    if hasattr(schedule, "get_config"):
        return {
            "module": "keras.optimizers.schedules",
            "class_name": type(schedule).__name__,
            "config": schedule.get_config(),
            "registered_name": None,
        }
    name = getattr(schedule, "__name__", type(schedule).__name__)
    return {
        "module": getattr(schedule, "__module__", None),
        "class_name": "function",
        "config": name,
        "registered_name": name,
    }


def deserialize_schedule(config: dict[str, Any]) -> Callable[..., Any]:
    """Rebuilds a learning-rate schedule from its Keras-style object dict."""
    try:
        from ketorch.optimizers import schedules  # type: ignore[attr-defined]
    except ImportError:
        schedules = None
    if schedules is None or not hasattr(schedules, "deserialize"):
        raise ValueError(
            "Argument `learning_rate` holds a serialized learning-rate schedule, but "
            "`ketorch.optimizers.schedules` is not available to rebuild it. "
            f"Received: learning_rate={config}"
        )
    return schedules.deserialize(config)
