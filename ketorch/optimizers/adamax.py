"""Adamax: Adam with an infinity-norm second moment."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch.optimizers._helpers import Scalar
from ketorch.optimizers.optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax matching `keras.optimizers.Adamax`.

    `m = beta_1 * m + (1 - beta_1) * g`, `u = max(beta_2 * u, |g|)`, then
    `p -= lr * m / ((u + epsilon) * (1 - beta_1**t))`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay of the first-moment average. Defaults to 0.9.
        beta_2: Decay of the infinity norm. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> Adamax().slot_names()
        ['momentum', 'norm']
    """

    _default_name = "adamax"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("momentum", "norm"), 0.0)]

    def _prepare_update(self, count: int) -> dict[str, Any]:
        return {"correction": float(1 - np.float32(self.beta_1) ** np.float32(count + 1))}

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        momentums, norms = slots["momentum"], slots["norm"]
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(norms, self.beta_2)
        torch._foreach_maximum_(norms, torch._foreach_abs(grads))
        denominators = torch._foreach_add(norms, self.epsilon)
        torch._foreach_mul_(denominators, scalars["correction"])
        torch._foreach_sub_(
            params, torch._foreach_div(torch._foreach_mul(momentums, lr), denominators)
        )

    def _own_config(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
