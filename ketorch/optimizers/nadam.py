"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch.optimizers._helpers import Scalar
from ketorch.optimizers.optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam matching `keras.optimizers.Nadam`.

    Uses the momentum schedule `u_t = beta_1 * (1 - 0.5 * 0.96**t)` and its running
    product, kept as the optimizer-wide variable `u_product` (stored last in
    `variables`, as Keras does).

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay of the first-moment average. Defaults to 0.9.
        beta_2: Decay of the second-moment average. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> Nadam().slot_names()
        ['momentum', 'velocity']
    """

    _default_name = "nadam"

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
        self._u_product = 1.0

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("momentum", "velocity"), 0.0)]

    def _extra_variables(self) -> list[tuple[str, torch.Tensor]]:
        value = torch.tensor(self._u_product, dtype=torch.float32, device=self._iterations.device)
        return [("u_product", value)]

    def _set_extra_variable(self, name: str, value: Any) -> None:
        if name != "u_product":
            raise KeyError(name)
        if torch.is_tensor(value):
            value = value.detach().cpu().numpy()
        self._u_product = float(np.asarray(value))

    def _prepare_update(self, count: int) -> dict[str, Any]:
        t, t_next = np.float32(count + 1), np.float32(count + 2)
        beta_1, decay = np.float32(self.beta_1), np.float32(0.96)
        u_t = beta_1 * (np.float32(1) - np.float32(0.5) * decay**t)
        u_next = beta_1 * (np.float32(1) - np.float32(0.5) * decay**t_next)
        u_product = np.float32(self._u_product) * u_t
        self._u_product = float(u_product)
        return {
            "u_t": u_t,
            "u_next": u_next,
            "u_product": u_product,
            "u_product_next": u_product * u_next,
            "beta_2_power": np.float32(self.beta_2) ** t,
        }

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        momentums, velocities = slots["momentum"], slots["velocity"]
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_add_(velocities, torch._foreach_mul(grads, grads), alpha=1 - self.beta_2)
        # Same operation order as Keras, so results agree to float32 rounding.
        m_hat = torch._foreach_mul(momentums, float(scalars["u_next"]))
        torch._foreach_div_(m_hat, float(1 - scalars["u_product_next"]))
        grad_part = torch._foreach_mul(grads, float(1 - scalars["u_t"]))
        torch._foreach_div_(grad_part, float(1 - scalars["u_product"]))
        torch._foreach_add_(m_hat, grad_part)
        denominators = torch._foreach_div(velocities, float(1 - scalars["beta_2_power"]))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_sub_(params, torch._foreach_div(torch._foreach_mul(m_hat, lr), denominators))

    def _own_config(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
