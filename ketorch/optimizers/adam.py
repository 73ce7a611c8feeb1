"""Adam: adaptive moment estimation."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch.optimizers._helpers import Scalar, f32, to_scalar
from ketorch.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Adam matching `keras.optimizers.Adam`.

    `m` and `v` are moving averages of the gradient and of its square; the step is
    `lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`. With
    `amsgrad=True` the running maximum of `v` is used instead of `v`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay of the first-moment average. Defaults to 0.9.
        beta_2: Decay of the second-moment average. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        amsgrad: Whether to use the AMSGrad variant.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(3, 1)
        >>> opt = Adam(learning_rate=1e-3)
        >>> opt.build(model.parameters())
        >>> opt.slot_names()
        ['momentum', 'velocity']
        >>> len(opt.variables)  # iteration, learning_rate, (m, v) per parameter
        6
    """

    _default_name = "adam"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        groups = [(("momentum", "velocity"), 0.0)]
        if self.amsgrad:
            groups.append((("velocity_hat",), 0.0))
        return groups

    def _prepare_update(self, count: int) -> dict[str, Any]:
        t = np.float32(count + 1)
        beta_1_power = np.float32(self.beta_1) ** t
        beta_2_power = np.float32(self.beta_2) ** t
        return {"numerator": np.sqrt(1 - beta_2_power), "denominator": 1 - beta_1_power}

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        alpha = to_scalar(f32(lr) * scalars["numerator"] / scalars["denominator"])
        momentums, velocities = slots["momentum"], slots["velocity"]
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_add_(velocities, torch._foreach_mul(grads, grads), alpha=1 - self.beta_2)
        if self.amsgrad:
            torch._foreach_maximum_(slots["velocity_hat"], velocities)
            velocities = slots["velocity_hat"]
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_sub_(
            params, torch._foreach_div(torch._foreach_mul(momentums, alpha), denominators)
        )

    def _own_config(self) -> dict[str, Any]:
        return {
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }
