"""Schedule-Free AdamW: iterate averaging in place of a learning-rate schedule."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch.optimizers._helpers import Scalar, f32, to_scalar
from ketorch.optimizers.optimizer import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW matching `keras.optimizers.ScheduleFreeAdamW`.

    The `momentum` slot holds the sequence `z` that takes plain RMS-normalised
    gradient steps (`z -= lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)`, with `v`
    the `velocity` slot); it starts as a copy of the weight. The weight itself is the
    interpolation `y = (1 - beta_1) * z + beta_1 * x` between `z` and the running
    average `x` of the `z` sequence (weight `1 / t`), recovered from `y` each step.
    An optional linear warmup scales the rate by `min(t / warmup_steps, 1)`.

    Like Keras on the torch backend, `x` is recovered from `y` with the already
    updated `z`, so the numbers equal Keras's.

    Args:
        learning_rate: Float or schedule. Defaults to 0.0025.
        beta_1: Interpolation weight between `z` and `x`. Defaults to 0.9.
        beta_2: Decay of the squared-gradient average. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-8.
        warmup_steps: Number of linear warmup steps (0 for none). Defaults to 0.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> import torch
        >>> w = torch.nn.Parameter(torch.ones(2))
        >>> opt = ScheduleFreeAdamW(learning_rate=0.1)
        >>> opt.build([w])
        >>> opt.state[w]["momentum"].tolist()  # z starts at the weights
        [1.0, 1.0]
        >>> w.grad = torch.ones(2)
        >>> opt.step()
        >>> [round(x, 4) for x in w.detach().tolist()]
        [0.9, 0.9]
    """

    _default_name = "schedule_free_adam_w"

    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("momentum", "velocity"), 0.0)]

    def _create_slot(self, p: torch.Tensor, name: str, initial_value: float) -> torch.Tensor:
        if name == "momentum":
            return p.detach().clone(memory_format=torch.preserve_format)
        return super()._create_slot(p, name, initial_value)

    def _prepare_update(self, count: int) -> dict[str, Any]:
        one = np.float32(1)
        t = np.float32(count + 1)
        warmup = one
        if self.warmup_steps > 0:
            warmup = min(t / np.float32(self.warmup_steps), one)
        return {
            "warmup": warmup,
            "correction_2": one - np.float32(self.beta_2) ** t,
            "average_weight": one / t,
        }

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        lr = to_scalar(f32(lr) * scalars["warmup"])
        beta_1 = np.float32(self.beta_1)
        one = np.float32(1)
        z, velocities = slots["momentum"], slots["velocity"]
        squares = torch._foreach_mul(grads, grads)
        torch._foreach_sub_(squares, velocities)
        torch._foreach_add_(velocities, torch._foreach_mul(squares, float(one - f32(self.beta_2))))
        denominators = torch._foreach_div(velocities, to_scalar(scalars["correction_2"]))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, float(f32(self.epsilon)))
        torch._foreach_sub_(z, torch._foreach_div(torch._foreach_mul(grads, lr), denominators))
        weight = to_scalar(scalars["average_weight"])
        z_part = torch._foreach_mul(z, float(one - beta_1))
        # x_old = (y - (1 - beta_1) * z) / beta_1, then x = (1 - w) * x_old + w * z.
        averages = torch._foreach_div(torch._foreach_sub(params, z_part), float(beta_1))
        torch._foreach_mul_(averages, 1 - weight)
        torch._foreach_add_(averages, torch._foreach_mul(z, weight))
        # y = (1 - beta_1) * z + beta_1 * x
        torch._foreach_mul_(averages, float(beta_1))
        torch._foreach_add_(averages, z_part)
        torch._foreach_copy_(params, averages)

    def _own_config(self) -> dict[str, Any]:
        return {
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
