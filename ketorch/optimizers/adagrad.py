"""Adagrad: per-element learning rates from accumulated squared gradients."""

from __future__ import annotations

from typing import Any

import torch

from ketorch.optimizers._helpers import Scalar
from ketorch.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad matching `keras.optimizers.Adagrad`.

    `a += g**2`, then `p -= lr * g / sqrt(a + epsilon)`; `a` starts at
    `initial_accumulator_value`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        initial_accumulator_value: Starting value of the accumulators. Defaults to 0.1.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> Adagrad().slot_names()
        ['accumulator']
    """

    _default_name = "adagrad"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("accumulator",), float(self.initial_accumulator_value))]

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        accumulators = slots["accumulator"]
        torch._foreach_add_(accumulators, torch._foreach_mul(grads, grads))
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_sub_(params, torch._foreach_div(torch._foreach_mul(grads, lr), denominators))

    def _own_config(self) -> dict[str, Any]:
        return {
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
