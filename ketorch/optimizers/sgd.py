"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

import torch

from ketorch.optimizers._helpers import Scalar, add_scaled_
from ketorch.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional momentum, matching `keras.optimizers.SGD`.

    Without momentum: `p -= lr * g`. With momentum: `m = momentum * m - lr * g`, then
    `p += m`, or with Nesterov `p += momentum * m - lr * g`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.01.
        momentum: Float in `[0, 1]`. Defaults to 0.0 (no `momentum` slot).
        nesterov: Whether to use Nesterov momentum.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(3, 1)
        >>> opt = SGD(learning_rate=0.1, momentum=0.9)
        >>> opt.build(model.parameters())
        >>> model(torch.ones(2, 3)).sum().backward()
        >>> opt.step()
        >>> int(opt.iterations)
        1
    """

    _default_name = "sgd"

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, (int, float))
            or not 0 <= momentum <= 1
        ):
            raise ValueError(
                f"`momentum` must be a float between [0, 1]. Received: momentum={momentum}"
            )
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("momentum",), 0.0)] if self.momentum != 0 else []

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        if self.momentum == 0:
            add_scaled_(params, grads, -lr)
            return
        momentums = slots["momentum"]
        torch._foreach_mul_(momentums, self.momentum)
        add_scaled_(momentums, grads, -lr)
        if self.nesterov:
            add_scaled_(params, grads, -lr)
            torch._foreach_add_(params, momentums, alpha=self.momentum)
        else:
            torch._foreach_add_(params, momentums)

    def _own_config(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "nesterov": self.nesterov}
