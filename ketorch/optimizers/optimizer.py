"""The optimizer base class: Keras 3 semantics on top of `torch.optim.Optimizer`."""

from __future__ import annotations

import re
import sys
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch.optim import optimizer as torch_optimizer

from ketorch.optimizers import _helpers
from ketorch.optimizers._state import OptimizerStateMixin
from ketorch.optimizers._step_parts import StepPartsMixin


def _without_lazy_dynamo(decorated):
    """A method of ``torch.optim.Optimizer`` that skips its ``@torch._disable_dynamo``
    wrapper while ``torch._dynamo`` is not loaded.

    That wrapper imports ``torch._dynamo`` on its first call, which takes seconds
    (sympy, the distributed modules) and made the first ``fit`` of every script pay
    for a compiler that eager training never uses. Before anything imported dynamo,
    nothing is being compiled, so the plain function is equivalent; once it is
    loaded (``jit_compile``), the decorated method is used as torch intends.
    """
    plain = getattr(decorated, "__wrapped__", decorated)

    def call(self, *args, **kwargs):
        return (decorated if "torch._dynamo" in sys.modules else plain)(self, *args, **kwargs)

    return call


_torch_add_param_group = _without_lazy_dynamo(torch.optim.Optimizer.add_param_group)

_BASE_ARGS = (
    "weight_decay",
    "clipnorm",
    "global_clipnorm",
    "clipvalue",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
)
_HOOK_TABLES = tuple(
    f"_optimizer_{kind}_{when}_hooks"
    for kind in ("step", "state_dict", "load_state_dict")
    for when in ("pre", "post")
)
# Keys that older (tf.keras 2) optimizer configs carry and Keras 3 has no use for.
_LEGACY_CONFIG_KEYS = ("jit_compile", "is_legacy_optimizer", "decay")


class Optimizer(StepPartsMixin, OptimizerStateMixin, torch.optim.Optimizer):
    """Base class of the Keras optimizers, usable as a native `torch.optim.Optimizer`.

    Unlike a torch optimizer, the constructor takes no parameters: Keras code creates
    the optimizer before the model. `build(params)` attaches the parameters (in
    `trainable_variables` order) and creates every slot tensor. After that the object
    is an ordinary torch optimizer: `step()` reads `p.grad`, `zero_grad()`,
    `state_dict()` and torch LR schedulers all work.

    One step applies, in Keras's order: loss-scale unscaling, gradient accumulation,
    clipping (`clipnorm`, `global_clipnorm` or `clipvalue`), decoupled weight decay
    (`p *= 1 - weight_decay * lr`), the update rule, then the weight moving average.

    Args:
        learning_rate: A float, or a schedule: a callable taking the iteration count
            (a Keras `LearningRateSchedule`) or taking nothing.
        weight_decay: Optional float; decoupled weight decay applied before the update.
        clipnorm: Optional float; clips each gradient to this L2 norm.
        clipvalue: Optional float; clips each gradient element to `[-v, v]`.
        global_clipnorm: Optional float; clips all gradients to this joint L2 norm.
        use_ema: Whether to keep an exponential moving average of the weights.
        ema_momentum: Momentum of that moving average, in `[0, 1]`.
        ema_overwrite_frequency: Optional int; every this many steps the weights are
            replaced by their moving average.
        loss_scale_factor: Optional float; gradients are divided by it before use.
        gradient_accumulation_steps: Optional int >= 2; the weights are updated every
            this many steps with the mean of the gradients seen since the last update.
        name: Optional name; defaults to the Keras name of the class.
        **kwargs: Keras 2 arguments: `lr` (deprecated alias of `learning_rate`) and
            `decay` (ignored). Anything else raises a `ValueError`.
    """

    _default_name = "optimizer"

    def __init__(
        self,
        learning_rate: float | Callable[..., Any],
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "lr" in kwargs:
            warnings.warn(
                "Argument `lr` is deprecated and will be removed; use `learning_rate=` instead.",
                DeprecationWarning,
                stacklevel=3,
            )
            learning_rate = kwargs.pop("lr")
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and is ignored.", stacklevel=3)
        if kwargs:
            raise ValueError(
                f"Argument(s) not recognized by {type(self).__name__}: {sorted(kwargs)}. "
                f"Received: {kwargs}"
            )
        _check_clip_args(clipnorm, clipvalue, global_clipnorm)
        if gradient_accumulation_steps is not None and not (
            isinstance(gradient_accumulation_steps, int) and gradient_accumulation_steps >= 2
        ):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.name = name if name is not None else self._default_name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._lr_schedule: Callable[..., Any] | None = None
        self._lr_value = 0.0
        self._set_learning_rate(learning_rate)
        # Python mirror of `_iterations`, so per-step scalar maths needs no host sync.
        self._step_count = 0
        self._iterations = torch.zeros((), dtype=torch.int64)
        self._wd_excluded_ids: set[int] = set()
        self._wd_excluded_pattern: re.Pattern[str] | None = None
        # torch's step wrapper reads these hook tables; they exist before `build` too.
        for hooks in _HOOK_TABLES:
            setattr(self, hooks, OrderedDict())

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self) -> float:
        """The current learning rate as a Python float (a schedule is evaluated now)."""
        if self._lr_schedule is not None:
            return float(_helpers.call_schedule(self._lr_schedule, self._iterations))
        if self.built and self.param_groups:
            return float(self.param_groups[0]["lr"])
        return self._lr_value

    @learning_rate.setter
    def learning_rate(self, value: float | Callable[..., Any]) -> None:
        if not callable(value) and self._lr_schedule is not None:
            raise TypeError(
                "This optimizer was created with a learning-rate schedule, so its learning "
                "rate cannot be set to a number. Create it with a float `learning_rate` "
                f"instead. Received: learning_rate={value}"
            )
        self._set_learning_rate(value)

    @property
    def lr(self) -> float:
        """Keras 2 alias of `learning_rate`."""
        return self.learning_rate

    @lr.setter
    def lr(self, value: float) -> None:
        self.learning_rate = value

    def _set_learning_rate(self, value: Any) -> None:
        if callable(value) and not isinstance(value, torch.Tensor):
            self._lr_schedule = value
            return
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number, torch.Tensor)):
            raise ValueError(
                "Argument `learning_rate` should be a float, a learning-rate schedule or a "
                f"callable returning the learning rate. Received: learning_rate={value!r}"
            )
        self._lr_schedule = None
        self._lr_value = float(value)
        if self.built:
            for group in self.param_groups:
                group["lr"] = self._lr_value

    def _current_lr(self) -> _helpers.Scalar | None:
        """The scheduled learning rate for this step, or None to use each group's `lr`."""
        if self._lr_schedule is None:
            return None
        lr = _helpers.call_schedule(self._lr_schedule, self._iterations)
        if isinstance(lr, torch.Tensor):
            return lr.to(device=self._iterations.device, dtype=torch.float32)
        return float(lr)

    # ------------------------------------------------------------------ iterations
    @property
    def iterations(self) -> torch.Tensor:
        """The number of completed steps, an int64 0-d tensor on the parameters' device.

        With gradient accumulation, this counts updates, as Keras does.
        """
        if self.gradient_accumulation_steps:
            return torch.floor_divide(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    def _update_count(self) -> int:
        """Keras's `iterations` before this step, as a Python int."""
        if self.gradient_accumulation_steps:
            return self._step_count // self.gradient_accumulation_steps
        return self._step_count

    def _set_step_count(self, count: int) -> None:
        self._step_count = int(count)
        self._iterations.fill_(self._step_count)

    # ------------------------------------------------------------------ building
    def build(self, params: Iterable[torch.Tensor] | Iterable[dict[str, Any]]) -> None:
        """Attaches the parameters and creates every optimizer slot.

        Args:
            params: The trainable parameters, in Keras's `trainable_variables` order,
                or torch-style parameter-group dicts. Calling `build` again is a no-op.
        """
        if self.built:
            return
        params = list(params)
        if not params:
            params = [{"params": []}]
        defaults = {"lr": self._lr_value, "weight_decay": self.weight_decay}
        self._group_of: dict[torch.Tensor, dict[str, Any]] = {}
        registered = {hooks: getattr(self, hooks) for hooks in _HOOK_TABLES}
        torch.optim.Optimizer.__init__(self, params, defaults)
        for hooks, table in registered.items():
            getattr(self, hooks).update(table)
        first = next((p for g in self.param_groups for p in g["params"]), None)
        if first is not None:
            self._iterations = self._iterations.to(first.device)
        self.built = True

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a torch parameter group and creates the slots of its parameters."""
        _torch_add_param_group(self, param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._group_of[p] = group
            state = self.state[p]
            for names, initial_value in self._slot_groups():
                for slot in names:
                    value = self._create_slot(p, slot, initial_value)
                    if value is not None:
                        state[slot] = value

    def _slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        """Slot names and initial values in Keras's creation order (base slots first)."""
        groups: list[tuple[tuple[str, ...], float]] = []
        if self.use_ema:
            groups.append((("average",), 0.0))
        if self.gradient_accumulation_steps:
            groups.append((("gradient_accumulator",), 0.0))
        return groups + self._own_slot_groups()

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        """The subclass's slots, each tuple interleaved per parameter as Keras does."""
        return []

    def _create_slot(self, p: torch.Tensor, name: str, initial_value: float) -> torch.Tensor | None:
        """The initial tensor of slot `name` for `p`, or None when `p` has no such slot.

        Subclasses override this for slots of another shape than `p` (Adafactor) or that
        only some parameters have (Muon); the update then sees None for a missing slot.
        """
        return torch.full_like(p, initial_value, memory_format=torch.preserve_format).detach()

    def _check_built(self, what: str) -> None:
        if not self.built:
            raise RuntimeError(
                f"{type(self).__name__}.{what} needs the optimizer to be built first: call "
                "`optimizer.build(params)` with the trainable parameters (a Keras model's "
                "`compile`/`fit` does this for you)."
            )

    # ------------------------------------------------------------------ stepping
    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Applies one update using the gradients stored in `p.grad`.

        Args:
            closure: Optional callable that recomputes and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        self._check_built("step()")
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self._step_body()
        return loss

    def _step_body(self) -> None:
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        if params:
            with torch.no_grad():
                self._apply(params, [p.grad for p in params])

    def _trainer_step(self) -> None:
        """`step()` for ketorch's training loop: without step hooks, skips torch.optim's
        profiling wrapper (a `record_function` and two hook scans, ~15 us a step)."""
        if self._step_hooks("pre") or self._step_hooks("post"):
            self.step()
        else:
            self._step_body()

    def _trainer_zero_grad(self) -> None:
        """`zero_grad(set_to_none=True)` without torch.optim's profiling wrapper."""
        if self.built:
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, torch.Tensor]]) -> torch.Tensor:
        """Keras API: applies `(gradient, parameter)` pairs, building on first use.

        Returns:
            The iteration counter.
        """
        grads, params = zip(*grads_and_vars)
        self.apply(list(grads), list(params))
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Keras API: applies `grads` to `trainable_variables` (default: all parameters)."""
        if not grads:
            return
        if trainable_variables is None:
            self._check_built("apply()")
            trainable_variables = [p for g in self.param_groups for p in g["params"]]
        else:
            trainable_variables = [getattr(v, "value", v) for v in trainable_variables]
            self.build(trainable_variables)
            for v in trainable_variables:
                if v not in self._group_of:
                    raise ValueError(
                        "Unknown variable: this optimizer can only update the parameters it was "
                        f"built with. Received: variable of shape {tuple(v.shape)}"
                    )
        if len(grads) != len(trainable_variables):
            raise ValueError(
                f"Expected one gradient per variable ({len(trainable_variables)}). "
                f"Received: {len(grads)} gradients"
            )
        pairs = [
            (p, g if isinstance(g, torch.Tensor) else torch.as_tensor(g, device=p.device))
            for p, g in zip(trainable_variables, grads)
            if g is not None
        ]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        # `apply` is Keras's `step`: the step hooks run around it too (DataParallel averages
        # the gradients of a custom train_step in a pre-hook).
        for hook in self._step_hooks("pre"):
            hook(self, (), {})
        with torch.no_grad():
            self._apply([p for p, _ in pairs], [g for _, g in pairs])
        for hook in self._step_hooks("post"):
            hook(self, (), {})

    def _step_hooks(self, when: str) -> list[Callable[..., Any]]:
        """The step hooks torch.optim runs around `step()`, in its order: global pre-hooks
        before this optimizer's, this optimizer's post-hooks before the global ones."""
        if when == "pre":
            return [
                *torch_optimizer._global_optimizer_pre_hooks.values(),
                *self._optimizer_step_pre_hooks.values(),
            ]
        return [
            *self._optimizer_step_post_hooks.values(),
            *torch_optimizer._global_optimizer_post_hooks.values(),
        ]

    def _apply(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        accumulators = None
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            accumulators = [self.state[p]["gradient_accumulator"] for p in params]
            if (self._step_count + 1) % steps != 0:
                torch._foreach_add_(accumulators, grads)
                self._finish_step()
                return
            grads = torch._foreach_div(torch._foreach_add(grads, accumulators), steps)
        grads = self._clip_gradients(grads)
        scheduled_lr = self._current_lr()
        scalars = self._prepare_update(self._update_count())
        for group, group_params, group_grads in self._split_by_group(params, grads):
            lr = group["lr"] if scheduled_lr is None else scheduled_lr
            self._apply_weight_decay(group_params, group["weight_decay"], lr)
            slots = self._gather_slots(group_params)
            self._update(group_params, group_grads, slots, lr, scalars)
        if accumulators is not None:
            all_params = [p for g in self.param_groups for p in g["params"]]
            torch._foreach_zero_([self.state[p]["gradient_accumulator"] for p in all_params])
        self._finish_step()

    def _apply_traced(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        lr: torch.Tensor,
        scalars: dict[str, torch.Tensor],
    ) -> None:
        """`_apply` for a compiled step: one parameter group, no EMA or accumulation, and the
        per-step numbers (`lr`, the `_prepare_update` scalars) given as tensors so that one
        graph serves every step. The host increments `_step_count`."""
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        grads = self._clip_gradients(grads)
        group = self.param_groups[0]
        self._apply_weight_decay(params, group["weight_decay"], lr)
        self._update(params, grads, self._gather_slots(params), lr, scalars)
        self._iterations.add_(1)

    def _gather_slots(self, params: list[torch.Tensor]) -> dict[str, list[Any]]:
        """Each own slot's tensors for `params`, in order (None where a parameter has none)."""
        return {
            name: [self.state[p].get(name) for p in params]
            for names, _ in self._own_slot_groups()
            for name in names
        }

    def _split_by_group(
        self, params: list[torch.Tensor], grads: list[torch.Tensor]
    ) -> list[tuple[dict[str, Any], list[torch.Tensor], list[torch.Tensor]]]:
        if len(self.param_groups) == 1:
            return [(self.param_groups[0], params, grads)]
        by_group: dict[int, tuple[dict[str, Any], list[torch.Tensor], list[torch.Tensor]]] = {}
        for p, g in zip(params, grads):
            group = self._group_of[p]
            by_group.setdefault(id(group), (group, [], []))
            by_group[id(group)][1].append(p)
            by_group[id(group)][2].append(g)
        return list(by_group.values())

    def _finish_step(self) -> None:
        if self.use_ema:
            self._update_moving_average()
        self._step_count += 1
        self._iterations.add_(1)

    def _prepare_update(self, count: int) -> dict[str, Any]:
        """Per-step scalars shared by every parameter group; `count` is Keras's iterations."""
        return {}

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: _helpers.Scalar,
        scalars: dict[str, Any],
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement `_update`.")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of the parameters (nothing to do before `build`)."""
        if self.built:
            super().zero_grad(set_to_none=set_to_none)

    def scale_loss(self, loss: Any) -> Any:
        """Multiplies `loss` by `loss_scale_factor` when one is set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """Returns the Keras config of the optimizer (JSON-safe)."""
        if self._lr_schedule is not None:
            learning_rate: Any = _helpers.serialize_schedule(self._lr_schedule)
        else:
            learning_rate = self.learning_rate
        config = {"name": self.name, "learning_rate": learning_rate}
        config.update({key: getattr(self, key) for key in _BASE_ARGS})
        config.update(self._own_config())
        return config

    def _own_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Optimizer:
        """Creates an optimizer from a `get_config()` dict (also tf.keras 2 configs)."""
        config = dict(config)
        for key in _LEGACY_CONFIG_KEYS:
            config.pop(key, None)
        if "lr" in config:
            config.setdefault("learning_rate", config.pop("lr"))
            config.pop("lr", None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _helpers.deserialize_schedule(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        config = self.get_config()
        shown = {"name": config["name"], "learning_rate": config["learning_rate"]}
        shown.update(self._own_config())
        shown.update({k: config[k] for k in _BASE_ARGS if config[k] != _BASE_DEFAULTS[k]})
        args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"{type(self).__name__}({args})"


_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


def _check_clip_args(clipnorm: Any, clipvalue: Any, global_clipnorm: Any) -> None:
    if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
            f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
            f"global_clipnorm={global_clipnorm}"
        )
