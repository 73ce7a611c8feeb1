"""Learning-rate schedules: the rate as a function of the optimizer's step count.

Each schedule is called with the step (a Python int or an integer tensor, such
as the optimizer's `iterations` on the GPU) and returns a float32 0-d tensor on
the step's device. Everything is computed with torch ops on that tensor, so
calling a schedule inside a training step never copies to or from the host.
"""

from __future__ import annotations

import math
from typing import Any

import torch


def _step_tensor(step: Any) -> torch.Tensor:
    if isinstance(step, torch.Tensor):
        return step
    return torch.as_tensor(step)


def _float_step(step: Any) -> torch.Tensor:
    return _step_tensor(step).to(torch.float32)


def _check_positive(name: str, value: Any) -> None:
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement `__call__(step)` and `get_config()`; pass an instance
    as `learning_rate=` to any optimizer and the rate follows it step by step.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __init__(self, initial):
        ...         self.initial = initial
        ...     def __call__(self, step):
        ...         return self.initial * 0.5 ** (_float_step(step) // 100)
        ...     def get_config(self):
        ...         return {"initial": self.initial}
        >>> round(float(Halving(0.1)(250)), 6)
        0.025
    """

    def __call__(self, step: Any) -> torch.Tensor:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Rebuilds the schedule from `get_config()` output."""
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Steps over which the rate is multiplied by `decay_rate` once.
        decay_rate: The decay factor.
        staircase: Decay in whole steps (`floor(step / decay_steps)`).
        name: Name of the schedule.

    Example:
        >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> round(float(schedule(20)), 6)
        0.025
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> torch.Tensor:
        p = _float_step(step) / float(self.decay_steps)
        if self.staircase:
            p = torch.floor(p)
        return float(self.initial_learning_rate) * torch.pow(float(self.decay_rate), p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate between boundaries: `values[i]` while `boundaries[i-1] < step <= boundaries[i]`.

    Args:
        boundaries: Increasing step numbers where the rate changes.
        values: The rates, one more than `boundaries`.
        name: Name of the schedule.

    Example:
        >>> schedule = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> [float(schedule(s)) for s in (100, 101, 201)]
        [1.0, 0.5, 0.10000000149011612]
    """

    def __init__(
        self, boundaries: list[int], values: list[float], name: str = "PiecewiseConstant"
    ) -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of `boundaries` must be one less than the length of `values`. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name
        self._cache: dict[tuple[torch.device, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}

    def _tables(self, step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Built once per device so that no host-to-device copy happens per step.
        key = (step.device, step.dtype)
        if key not in self._cache:
            bounds = torch.tensor(self.boundaries, dtype=torch.float64).to(step.dtype)
            values = torch.tensor(self.values, dtype=torch.float32)
            self._cache[key] = (bounds.to(step.device), values.to(step.device))
        return self._cache[key]

    def __call__(self, step: Any) -> torch.Tensor:
        step = _step_tensor(step)
        bounds, values = self._tables(step)
        index = (step > bounds).sum()
        return values[index]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decays from `initial_learning_rate` to `end_learning_rate` along `(1 - t) ** power`.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Steps to reach `end_learning_rate`.
        end_learning_rate: The final rate.
        power: Exponent of the polynomial (1 is linear).
        cycle: Restart the decay every `decay_steps` (with a longer period each time)
            instead of holding the final rate.
        name: Name of the schedule.

    Example:
        >>> schedule = PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.0)
        >>> round(float(schedule(50)), 6), float(schedule(500))
        (0.05, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> torch.Tensor:
        step = _float_step(step)
        decay_steps = torch.full_like(step, float(self.decay_steps))
        if self.cycle:
            periods = torch.ceil(step / float(self.decay_steps))
            decay_steps = decay_steps * torch.where(step == 0, torch.ones_like(periods), periods)
        else:
            step = torch.minimum(step, decay_steps)
        fraction = step / decay_steps
        span = float(self.initial_learning_rate) - float(self.end_learning_rate)
        return span * torch.pow(1 - fraction, float(self.power)) + float(self.end_learning_rate)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Step scale of the decay.
        decay_rate: How fast the rate falls.
        staircase: Decay in whole steps (`floor(step / decay_steps)`).
        name: Name of the schedule.

    Example:
        >>> schedule = InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
        >>> round(float(schedule(10)), 6)
        0.05
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> torch.Tensor:
        p = _float_step(step) / float(self.decay_steps)
        if self.staircase:
            p = torch.floor(p)
        return float(self.initial_learning_rate) / (1.0 + float(self.decay_rate) * p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


def _cosine(fraction: torch.Tensor, alpha: float) -> torch.Tensor:
    cosine = 0.5 * (1.0 + torch.cos(math.pi * fraction))
    return (1.0 - alpha) * cosine + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warm-up.

    Without warm-up the rate goes from `initial_learning_rate` to
    `alpha * initial_learning_rate` over `decay_steps`. With `warmup_target`,
    it first rises linearly from `initial_learning_rate` to `warmup_target`
    over `warmup_steps`, then decays from `warmup_target`.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Length of the cosine decay.
        alpha: Final rate as a fraction of the rate the decay starts from.
        name: Name of the schedule.
        warmup_target: Rate reached at the end of warm-up (None: no warm-up).
        warmup_steps: Length of the warm-up.

    Example:
        >>> schedule = CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=10)
        >>> round(float(schedule(5)), 6), round(float(schedule(60)), 6)
        (0.05, 0.05)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step: Any) -> torch.Tensor:
        step = _float_step(step)
        initial = float(self.initial_learning_rate)
        decay_steps = float(self.decay_steps)
        if self.warmup_target is None:
            step = torch.clamp(step, max=decay_steps)
            return initial * _cosine(step / decay_steps, float(self.alpha))
        target = float(self.warmup_target)
        warmup = float(self.warmup_steps)
        step = torch.clamp(step, max=decay_steps + warmup)
        # Guard the division so warmup_steps=0 gives no NaN in the branch not taken.
        warming = (target - initial) * (step / max(warmup, 1e-30)) + initial
        decaying = target * _cosine((step - warmup) / decay_steps, float(self.alpha))
        return torch.where(step < warmup, warming, decaying)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    The first period lasts `first_decay_steps`; each later period is `t_mul`
    times longer and starts from a rate `m_mul` times the previous start.

    Args:
        initial_learning_rate: The rate at step 0.
        first_decay_steps: Length of the first period.
        t_mul: Growth factor of the period length.
        m_mul: Factor applied to the starting rate at each restart.
        alpha: Lowest rate as a fraction of `initial_learning_rate`.
        name: Name of the schedule.

    Example:
        >>> schedule = CosineDecayRestarts(0.1, first_decay_steps=10)
        >>> round(float(schedule(10)), 6)
        0.1
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        _check_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Any) -> torch.Tensor:
        fraction = _float_step(step) / float(self.first_decay_steps)
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            restarts = torch.floor(fraction)
            fraction = fraction - restarts
        else:
            # Index of the current period from the geometric sum of period lengths.
            restarts = torch.floor(torch.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            elapsed = (1.0 - torch.pow(t_mul, restarts)) / (1.0 - t_mul)
            fraction = (fraction - elapsed) / torch.pow(t_mul, restarts)
        m_factor = torch.pow(float(self._m_mul), restarts)
        alpha = float(self.alpha)
        cosine = 0.5 * m_factor * (1.0 + torch.cos(math.pi * fraction))
        return float(self.initial_learning_rate) * ((1.0 - alpha) * cosine + alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
