"""Parts of an optimizer step around the update rule: clipping, weight decay, EMA."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import torch

from ketorch.optimizers import _helpers


class StepPartsMixin:
    """Gradient clipping, decoupled weight decay and weight averaging (mixed into `Optimizer`)."""

    def _clip_gradients(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        if self.clipnorm and self.clipnorm > 0:
            return _helpers.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm and self.global_clipnorm > 0:
            return _helpers.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return _helpers.clip_by_value(grads, self.clipvalue)
        return grads

    def _apply_weight_decay(
        self, params: list[torch.Tensor], weight_decay: float | None, lr: _helpers.Scalar
    ) -> None:
        if weight_decay is None:
            return
        decayed = [p for p in params if self._use_weight_decay(p)]
        if decayed:
            if isinstance(lr, torch.Tensor):
                factor: _helpers.Scalar = 1 - float(_helpers.f32(weight_decay)) * lr
            else:
                factor = float(1 - _helpers.f32(weight_decay) * _helpers.f32(lr))
            torch._foreach_mul_(decayed, factor)

    def exclude_from_weight_decay(
        self, var_list: Iterable[torch.Tensor] | None = None, var_names: Iterable[str] | None = None
    ) -> None:
        """Excludes parameters from weight decay, by object or by a name substring.

        Must be called before `build`. A name matches a parameter's `path` or `name`.
        """
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` must be called before `build()`.")
        self._wd_excluded_ids = {id(v) for v in (var_list or [])}
        names = sorted(set(var_names or []))
        self._wd_excluded_pattern = re.compile("|".join(names)) if names else None

    def _use_weight_decay(self, p: torch.Tensor) -> bool:
        if id(p) in self._wd_excluded_ids:
            return False
        if self._wd_excluded_pattern is not None:
            name = getattr(p, "path", None) or getattr(p, "name", None) or ""
            return self._wd_excluded_pattern.search(name) is None
        return True

    def _update_moving_average(self) -> None:
        params = [p for g in self.param_groups for p in g["params"]]
        averages = [self.state[p]["average"] for p in params]
        count = self._update_count()
        momentum = _helpers.f32(self.ema_momentum if count != 0 else 0.0)
        torch._foreach_mul_(averages, float(momentum))
        torch._foreach_add_(averages, params, alpha=float(1 - momentum))
        frequency = self.ema_overwrite_frequency
        if frequency and (count + 1) % frequency == 0:
            torch._foreach_copy_(params, averages)

    @torch.no_grad()
    def finalize_variable_values(self, var_list: Sequence[torch.Tensor] | None = None) -> None:
        """With `use_ema=True`, overwrites the parameters with their moving averages."""
        if not self.use_ema or not self.built:
            return
        params = [p for g in self.param_groups for p in g["params"]]
        torch._foreach_copy_(params, [self.state[p]["average"] for p in params])
