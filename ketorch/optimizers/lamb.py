"""Lamb: Adam with a per-tensor trust ratio."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch.optimizers._helpers import Scalar, f32, to_scalar
from ketorch.optimizers.optimizer import Optimizer


class Lamb(Optimizer):
    """Lamb (layer-wise adaptive moments) matching `keras.optimizers.Lamb`.

    The Adam direction `u = m_hat / (sqrt(v_hat) + epsilon)` (bias-corrected moments)
    is rescaled per weight tensor by the trust ratio `||w|| / ||u||` (1 when either
    norm is zero), then `w -= ratio * lr * u`. This keeps the step proportional to
    each tensor's size, which helps large-batch training.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Decay of the first-moment average. Defaults to 0.9.
        beta_2: Decay of the second-moment average. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> import torch
        >>> w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
        >>> opt = Lamb(learning_rate=0.1)
        >>> opt.build([w])
        >>> w.grad = torch.tensor([1.0, 1.0])
        >>> opt.step()  # u = [1, 1], ratio = 5 / sqrt(2)
        >>> [round(x, 4) for x in w.detach().tolist()]
        [2.6464, 3.6464]
    """

    _default_name = "lamb"

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
        return [(("momentum", "velocity"), 0.0)]

    def _prepare_update(self, count: int) -> dict[str, Any]:
        t = np.float32(count + 1)
        one = np.float32(1)
        return {
            "correction_1": one - np.float32(self.beta_1) ** t,
            "correction_2": one - np.float32(self.beta_2) ** t,
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
        torch._foreach_add_(
            momentums, torch._foreach_mul(torch._foreach_sub(grads, momentums), 1 - self.beta_1)
        )
        squares = torch._foreach_mul(grads, grads)
        torch._foreach_sub_(squares, velocities)
        torch._foreach_add_(velocities, torch._foreach_mul(squares, 1 - self.beta_2))
        updates = torch._foreach_div(momentums, to_scalar(scalars["correction_1"]))
        denominators = torch._foreach_div(velocities, to_scalar(scalars["correction_2"]))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_div_(updates, denominators)
        lr = f32(lr)
        for p, u, w_norm, u_norm in zip(
            params, updates, torch._foreach_norm(params), torch._foreach_norm(updates)
        ):
            # The trust ratio ||w|| / ||u||, or 1 when either norm is zero.
            ratio = torch.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, 1.0)
            p.sub_(u * (ratio * to_scalar(lr)))

    def _own_config(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
