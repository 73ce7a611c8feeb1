"""Lion: sign-based updates with a single momentum slot."""

from __future__ import annotations

from typing import Any

import torch

from ketorch.optimizers._helpers import Scalar, f32, to_scalar
from ketorch.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """Lion (EvoLved Sign Momentum) matching `keras.optimizers.Lion`.

    Each step moves every weight by exactly `lr` in the direction of
    `-sign(beta_1 * m + (1 - beta_1) * g)`, then updates the momentum as
    `m = beta_2 * m + (1 - beta_2) * g`. The sign makes steps larger than Adam's, so
    Lion usually wants a 3-10x smaller learning rate and a larger weight decay.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        beta_1: Weight of the momentum in the update direction, in `(0, 1]`.
            Defaults to 0.9.
        beta_2: Decay of the momentum. Defaults to 0.99.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> import torch
        >>> w = torch.nn.Parameter(torch.zeros(3))
        >>> opt = Lion(learning_rate=0.1)
        >>> opt.build([w])
        >>> w.grad = torch.tensor([2.0, -0.5, 0.0])
        >>> opt.step()
        >>> w.detach().tolist()
        [-0.10000000149011612, 0.10000000149011612, 0.0]
    """

    _default_name = "lion"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(
                "Argument `beta_1` must be in the (0, 1] range; otherwise Lion reduces to "
                f"SignSGD. Received: beta_1={beta_1}"
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("momentum",), 0.0)]

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        momentums = slots["momentum"]
        direction = torch._foreach_mul(momentums, self.beta_1)
        torch._foreach_add_(direction, grads, alpha=1 - self.beta_1)
        torch._foreach_sign_(direction)
        torch._foreach_sub_(params, torch._foreach_mul(direction, to_scalar(f32(lr))))
        torch._foreach_mul_(momentums, self.beta_2)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_2)

    def _own_config(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}
