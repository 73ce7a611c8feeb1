"""LossScaleOptimizer: dynamic loss scaling around another optimizer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from ketorch.optimizers._wrapper import WrapperOptimizer
from ketorch.optimizers.optimizer import _BASE_DEFAULTS, Optimizer


class LossScaleOptimizer(WrapperOptimizer):
    """Dynamic loss scaling matching `keras.optimizers.LossScaleOptimizer`.

    The loss is multiplied by a scale (`scale_loss`) so that small float16 gradients
    do not underflow; each step divides the gradients by it again and then:

    - if any gradient holds inf or NaN, skips the update (the inner optimizer does
      not step), halves the scale and resets the counter of good steps;
    - otherwise lets the inner optimizer step, then doubles the scale if this was the
      `dynamic_growth_steps`-th finite step in a row (resetting the counter), or
      counts the step.

    `variables` are Keras's: `iteration`, `learning_rate` (both unused, 0),
    `step_counter`, `dynamic_scale`, then the inner optimizer's. `learning_rate` and
    `iterations` are the inner optimizer's.

    Args:
        inner_optimizer: The ketorch optimizer to wrap.
        initial_scale: Float; the starting loss scale. Defaults to `2**15`.
        dynamic_growth_steps: Int; finite steps between two doublings. Defaults to 2000.
        name: Optional name. Defaults to "loss_scale_optimizer".
        **kwargs: Only the base optimizer arguments at their default values (as old
            configs carry them) are accepted; set them on the inner optimizer instead.

    Example:
        >>> import torch
        >>> from ketorch.optimizers import SGD
        >>> w = torch.nn.Parameter(torch.ones(2))
        >>> opt = LossScaleOptimizer(SGD(0.5), initial_scale=4.0)
        >>> opt.build([w])
        >>> w.grad = torch.full((2,), float("inf"))
        >>> opt.step()  # skipped, scale halved
        >>> float(opt.dynamic_scale), w.detach().tolist()
        (2.0, [1.0, 1.0])
        >>> w.grad = torch.full((2,), 2.0)  # gradients of a loss scaled by 2
        >>> opt.step()
        >>> w.detach().tolist(), int(opt.iterations)
        ([0.5, 0.5], 1)
    """

    _default_name = "loss_scale_optimizer"

    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`; set "
                "`loss_scale_factor` on the inner optimizer for a fixed scale instead."
            )
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{key}`; set `{key}` on the "
                    "`inner_optimizer` instead."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: {sorted(kwargs)}. "
                f"Received: {kwargs}"
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "`inner_optimizer` must be a ketorch optimizer. "
                f"Received: inner_optimizer={inner_optimizer!r}"
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        # The wrapper does the scaling: the inner optimizer must not unscale again.
        inner_optimizer.loss_scale_factor = None
        self._good_steps = 0  # host mirror of `step_counter`

    # ------------------------------------------------------------------ delegation
    def _inner_optimizers(self) -> list[Optimizer]:
        return [self.inner_optimizer]

    @property
    def learning_rate(self) -> float:
        """The inner optimizer's learning rate."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def _lr_schedule(self) -> Any:
        # What `fit` reads to log a scheduled rate: the inner optimizer's schedule.
        return self.__dict__.get("inner_optimizer") and self.inner_optimizer._lr_schedule

    @_lr_schedule.setter
    def _lr_schedule(self, value: Any) -> None:
        pass  # the base constructor clears it; the inner optimizer owns the rate

    @property
    def iterations(self) -> torch.Tensor:
        """The inner optimizer's step count (skipped steps are not counted)."""
        return self.inner_optimizer.iterations

    @property
    def loss_scale_factor(self) -> float:
        """The current loss scale (this is what tells `fit` to call `scale_loss`)."""
        if not self.built:
            return float(self.initial_scale)
        return float(self.dynamic_scale)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: Any) -> None:
        pass  # the base constructor sets None; the scale is dynamic

    # ------------------------------------------------------------------ building
    def build(self, params: Iterable[torch.Tensor] | Iterable[dict[str, Any]]) -> None:
        """Builds the inner optimizer on `params` and creates the scaling state."""
        if self.built:
            return
        params = list(params)
        if not self.inner_optimizer.built and hasattr(self.inner_optimizer, "_keep_placeholders"):
            self.inner_optimizer._keep_placeholders = False  # as Keras's variables (Adafactor)
        self.inner_optimizer.build(self._copy_groups(params))
        super().build(self._copy_groups(params))
        device = self._iterations.device
        self.step_counter = torch.zeros((), dtype=torch.int64, device=device)
        self.dynamic_scale = torch.tensor(
            float(self.initial_scale), dtype=torch.float32, device=device
        )
        self._good_steps = 0

    def _own_extras(self) -> list[tuple[str, torch.Tensor]]:
        return [("step_counter", self.step_counter), ("dynamic_scale", self.dynamic_scale)]

    def _set_own_extra(self, name: str, value: torch.Tensor) -> None:
        if name == "step_counter":
            self._good_steps = int(value)
            self.step_counter.fill_(self._good_steps)
        elif name == "dynamic_scale":
            self.dynamic_scale.fill_(float(value))
        else:
            raise KeyError(name)

    # ------------------------------------------------------------------ stepping
    def scale_loss(self, loss: Any) -> Any:
        """Multiplies `loss` by the current loss scale."""
        return loss * (self.dynamic_scale if self.built else self.initial_scale)

    def _apply(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        finite = torch.stack([torch.isfinite(g).all() for g in grads]).all()
        if not bool(finite):
            self._good_steps = 0
            self.step_counter.zero_()
            self.dynamic_scale.mul_(0.5)
            return
        self.inner_optimizer._apply(params, torch._foreach_div(grads, self.dynamic_scale))
        if self._good_steps == self.dynamic_growth_steps - 1:
            self._good_steps = 0
            self.step_counter.zero_()
            self.dynamic_scale.mul_(2.0)
        else:
            self._good_steps += 1
            self.step_counter.add_(1)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """Returns Keras's config: the name, the serialized inner optimizer, the scaling."""
        from ketorch.optimizers import serialize  # import cycle

        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> LossScaleOptimizer:
        """Creates the optimizer from `get_config()` (the inner one is deserialized)."""
        from ketorch.optimizers import deserialize  # import cycle

        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)
