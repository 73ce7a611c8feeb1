"""Adadelta: steps scaled by the ratio of update and gradient moving RMS."""

from __future__ import annotations

from typing import Any

import torch

from ketorch.optimizers._helpers import Scalar, add_scaled_
from ketorch.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta matching `keras.optimizers.Adadelta`.

    With `rms(x) = sqrt(x + epsilon)`: `ag = rho * ag + (1 - rho) * g**2`,
    `d = -rms(ad) / rms(ag) * g`, `ad = rho * ad + (1 - rho) * d**2`, `p += lr * d`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        rho: Decay of the moving averages. Defaults to 0.95.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> Adadelta().slot_names()
        ['accumulated_grad', 'accumulated_delta_var']
    """

    _default_name = "adadelta"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("accumulated_grad", "accumulated_delta_var"), 0.0)]

    def _rms(self, tensors: list[torch.Tensor]) -> list[torch.Tensor]:
        out = torch._foreach_add(tensors, self.epsilon)
        torch._foreach_sqrt_(out)
        return out

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        rho = self.rho
        acc_grads, acc_deltas = slots["accumulated_grad"], slots["accumulated_delta_var"]
        torch._foreach_mul_(acc_grads, rho)
        torch._foreach_add_(acc_grads, torch._foreach_mul(grads, grads), alpha=1 - rho)
        deltas = torch._foreach_div(
            torch._foreach_mul(self._rms(acc_deltas), grads), self._rms(acc_grads)
        )
        torch._foreach_neg_(deltas)
        torch._foreach_mul_(acc_deltas, rho)
        torch._foreach_add_(acc_deltas, torch._foreach_mul(deltas, deltas), alpha=1 - rho)
        add_scaled_(params, deltas, lr)

    def _own_config(self) -> dict[str, Any]:
        return {"rho": self.rho, "epsilon": self.epsilon}
