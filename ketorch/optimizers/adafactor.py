"""Adafactor: Adam-like steps with factored second moments."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch.optimizers._helpers import Scalar, f32, to_scalar
from ketorch.optimizers.optimizer import Optimizer


class Adafactor(Optimizer):
    """Adafactor matching `keras.optimizers.Adafactor`.

    For a weight of rank >= 2 the squared-gradient average is kept as two factors,
    a row average `r` (the last axis reduced) and a column average `c` (the second
    to last axis reduced), and rebuilt as `v = r / mean(r) * c`; smaller weights
    keep a full `velocity`. With `t` the step number and
    `beta_2_t = 1 - t**beta_2_decay`, each step computes `u = g / sqrt(v)`, clips it
    to an RMS of at most `clip_threshold`, and moves the weight by
    `max(epsilon_2, rms(w)) * min(lr, 1 / sqrt(t)) * u`.

    Slots (Keras's names and order): per weight, `r` and `c` (both named after the
    weight; int32 scalar placeholders for weights of rank < 2, which Keras leaves out
    inside a `LossScaleOptimizer`), then `velocity`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_2_decay: Exponent of the second-moment decay schedule. Defaults to -0.8.
        epsilon_1: Added to the squared gradients. Defaults to 1e-30.
        epsilon_2: Lower bound of the weight RMS that scales the step. Defaults to 1e-3.
        clip_threshold: Largest RMS of the normalised update (separate from `clipnorm`
            and friends). Defaults to 1.0.
        relative_step: With a float learning rate, also cap it by `1 / sqrt(t)`.
            Defaults to True.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> import torch
        >>> kernel, bias = torch.nn.Parameter(torch.ones(4, 3)), torch.nn.Parameter(torch.ones(3))
        >>> opt = Adafactor()
        >>> opt.build([kernel, bias])
        >>> [tuple(v.shape) for v in opt.variables[2:]]  # r, c, velocity per weight
        [(4,), (3,), (4, 3), (), (), (3,)]
    """

    _default_name = "adafactor"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step
        # Keras tracks the rank < 2 placeholders only when it builds Adafactor on its own
        # (inside a LossScaleOptimizer they are not optimizer variables).
        self._keep_placeholders = True

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("r", "c", "velocity"), 0.0)]

    def _create_slot(self, p: torch.Tensor, name: str, initial_value: float) -> torch.Tensor:
        if name not in ("r", "c"):
            return super()._create_slot(p, name, initial_value)
        if p.dim() < 2:  # unused placeholders, kept so the variable count matches Keras
            if not self._keep_placeholders:
                return None
            return torch.zeros((), dtype=torch.int32, device=p.device)
        shape = p.shape[:-1] if name == "r" else p.shape[:-2] + p.shape[-1:]
        return torch.zeros(shape, dtype=p.dtype, device=p.device)

    def _slot_variable_name(self, param_name: str, slot: str) -> str:
        if slot in ("r", "c"):  # Keras names the factors after the weight itself
            return param_name.split("/")[-1]
        return super()._slot_variable_name(param_name, slot)

    def _prepare_update(self, count: int) -> dict[str, Any]:
        t = np.float32(count + 1)
        return {
            "inverse_sqrt_t": np.float32(1) / np.sqrt(t),
            "beta_2_t": np.float32(1) - t ** np.float32(self.beta_2_decay),
        }

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        inverse_sqrt_t = to_scalar(scalars["inverse_sqrt_t"])
        lr = to_scalar(f32(lr))
        if self._lr_schedule is None and self.relative_step:
            lr = _minimum(lr, inverse_sqrt_t)
        rho = _minimum(lr, inverse_sqrt_t)
        beta = to_scalar(scalars["beta_2_t"])
        for p, g, r, c, v in zip(params, grads, slots["r"], slots["c"], slots["velocity"]):
            alpha = torch.clamp(_rms(p), min=self.epsilon_2) * rho
            squared = g * g + self.epsilon_1
            if p.dim() >= 2:
                r.copy_(beta * r + (1 - beta) * squared.mean(dim=-1))
                c.copy_(beta * c + (1 - beta) * squared.mean(dim=-2))
                v.copy_((r / r.mean(dim=-1, keepdim=True)).unsqueeze(-1) * c.unsqueeze(-2))
            else:
                v.copy_(beta * v + (1 - beta) * squared)
            u = g / torch.sqrt(v)
            u = u / torch.clamp(_rms(u) / self.clip_threshold, min=1.0)
            p.sub_(alpha * u)

    def _own_config(self) -> dict[str, Any]:
        return {
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }


def _rms(x: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(torch.mean(x * x))


def _minimum(a: Scalar, b: Scalar) -> Scalar:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return torch.minimum(torch.as_tensor(a), torch.as_tensor(b))
    return min(a, b)
