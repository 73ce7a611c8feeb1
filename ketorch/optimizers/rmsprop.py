"""RMSprop: gradients divided by a moving root mean square."""

from __future__ import annotations

from typing import Any

import torch

from ketorch.optimizers._helpers import Scalar
from ketorch.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop matching `keras.optimizers.RMSprop`.

    `v = rho * v + (1 - rho) * g**2`; the step is `lr * g / sqrt(v + epsilon)` (epsilon
    inside the root, unlike `torch.optim.RMSprop`). With `centered=True` the squared
    moving mean of the gradients is subtracted inside the root; with `momentum > 0` the
    step goes through a momentum buffer.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        rho: Discount factor of the moving averages. Defaults to 0.9.
        momentum: Momentum of the step buffer. Defaults to 0.0.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        centered: Whether to normalise by the estimated gradient variance.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> opt = RMSprop(momentum=0.5, centered=True)
        >>> opt.slot_names()
        ['velocity', 'momentum', 'average_gradient']
    """

    _default_name = "rm_sprop"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        groups = [(("velocity",), 0.0)]
        if self.momentum > 0:
            groups.append((("momentum",), 0.0))
        if self.centered:
            groups.append((("average_gradient",), 0.0))
        return groups

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        rho = self.rho
        velocities = slots["velocity"]
        torch._foreach_mul_(velocities, rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            averages = slots["average_gradient"]
            torch._foreach_mul_(averages, rho)
            torch._foreach_add_(averages, grads, alpha=1 - rho)
            torch._foreach_add_(denominators, torch._foreach_mul(averages, averages), alpha=-1)
        torch._foreach_sqrt_(denominators)
        if self.momentum > 0:
            increments = torch._foreach_div(torch._foreach_mul(grads, lr), denominators)
            momentums = slots["momentum"]
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_add_(momentums, increments)
            torch._foreach_sub_(params, momentums)
        elif isinstance(lr, torch.Tensor):
            torch._foreach_sub_(
                params, torch._foreach_div(torch._foreach_mul(grads, lr), denominators)
            )
        else:
            # p -= lr * g / sqrt(v + eps) as one fused op per tensor.
            torch._foreach_addcdiv_(params, grads, denominators, value=-float(lr))

    def _own_config(self) -> dict[str, Any]:
        return {
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
