"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from typing import Any

from ketorch.optimizers.adam import Adam


class AdamW(Adam):
    """AdamW matching `keras.optimizers.AdamW`: Adam plus `p *= 1 - weight_decay * lr`.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        weight_decay: Float, required. Defaults to 0.004.
        beta_1: Decay of the first-moment average. Defaults to 0.9.
        beta_2: Decay of the second-moment average. Defaults to 0.999.
        epsilon: Small constant for numerical stability. Defaults to 1e-7.
        amsgrad: Whether to use the AMSGrad variant.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> AdamW().get_config()["weight_decay"]
        0.004
    """

    _default_name = "adam_w"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
