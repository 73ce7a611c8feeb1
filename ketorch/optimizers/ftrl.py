"""FTRL: Follow The Regularized Leader."""

from __future__ import annotations

from typing import Any

import torch

from ketorch.optimizers._helpers import Scalar, f32, to_scalar
from ketorch.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    """FTRL-Proximal matching `keras.optimizers.Ftrl`.

    Per weight, with `n` the accumulated squared gradients and `z` the linear term:
    `z += g' - (n_new**-p - n**-p) / lr * w` where `g' = g + 2 * l2_shrinkage * w`, then
    `w = (clip(z, -l1, l1) - z) / (n_new**-p / lr + 2 * (l2 + beta / (2 * lr)))`, with
    `p = learning_rate_power`. Weights whose `|z|` stays below `l1` are exactly zero,
    which suits wide, sparse linear models.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        learning_rate_power: Float <= 0; how fast the per-weight rate decays
            (0 keeps it fixed). Defaults to -0.5.
        initial_accumulator_value: Float >= 0; the starting value of `n`.
            Defaults to 0.1.
        l1_regularization_strength: Float >= 0. Defaults to 0.0.
        l2_regularization_strength: Float >= 0 (the stabilising L2 of the paper).
            Defaults to 0.0.
        l2_shrinkage_regularization_strength: Float >= 0; an L2 penalty on the
            weights' magnitude, added to the gradient. Defaults to 0.0.
        beta: Float; the paper's beta. Defaults to 0.0.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> Ftrl().slot_names()
        ['accumulator', 'linear']
        >>> Ftrl(l1_regularization_strength=-1.0)
        Traceback (most recent call last):
        ...
        ValueError: `l1_regularization_strength` must be >= 0. Received: l1_regularization_strength=-1.0
    """

    _default_name = "ftrl"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` must be <= 0. "
                f"Received: learning_rate_power={learning_rate_power}"
            )
        for name, value in (
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("accumulator", "linear"), 0.0)]

    def _create_slot(self, p: torch.Tensor, name: str, initial_value: float) -> torch.Tensor:
        # Keras interleaves the two slots per weight; only the accumulator starts nonzero.
        value = self.initial_accumulator_value if name == "accumulator" else initial_value
        return super()._create_slot(p, name, value)

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        lr = f32(lr)
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = to_scalar(self.l2_regularization_strength + self.beta / (2.0 * lr))
        lr = to_scalar(lr)
        accumulators, linears = slots["accumulator"], slots["linear"]
        shrinkage = 2 * self.l2_shrinkage_regularization_strength
        grads_used = torch._foreach_add(grads, torch._foreach_mul(params, shrinkage))
        new_accumulators = torch._foreach_add(accumulators, torch._foreach_mul(grads, grads))
        new_powered = torch._foreach_pow(new_accumulators, power)
        sigma = torch._foreach_sub(new_powered, torch._foreach_pow(accumulators, power))
        torch._foreach_div_(sigma, lr)
        torch._foreach_add_(
            linears, torch._foreach_sub(grads_used, torch._foreach_mul(sigma, params))
        )
        quadratic = torch._foreach_div(new_powered, lr)
        torch._foreach_add_(quadratic, 2 * l2)
        clipped = torch._foreach_clamp_max(torch._foreach_clamp_min(linears, -l1), l1)
        torch._foreach_sub_(clipped, linears)
        torch._foreach_copy_(params, torch._foreach_div(clipped, quadratic))
        torch._foreach_copy_(accumulators, new_accumulators)

    def _own_config(self) -> dict[str, Any]:
        return {
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
