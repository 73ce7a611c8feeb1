"""What the optimizers that delegate to other optimizers share (LossScale, Multi)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

from ketorch.optimizers.optimizer import Optimizer

Entry = tuple[str, Any, Any]


class WrapperOptimizer(Optimizer):
    """An optimizer whose updates and slots belong to inner optimizers.

    Its `variables` are its own (`iteration`, `learning_rate`, then `_own_extras`)
    followed by each inner optimizer's, as Keras lists them. Subclasses set
    `_inner_optimizers()` and `_inner_params()` and implement `_apply`.
    """

    def _inner_optimizers(self) -> list[Optimizer]:
        raise NotImplementedError

    def _inner_params(self, index: int, params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The subset of `params` (in their order) that inner optimizer `index` updates."""
        return list(params)

    def _own_extras(self) -> list[tuple[str, torch.Tensor]]:
        return []

    def _set_own_extra(self, name: str, value: torch.Tensor) -> None:
        raise KeyError(name)

    @staticmethod
    def _copy_groups(params: Sequence[Any]) -> list[Any]:
        """`params` with fresh group dicts: torch fills a group's defaults in place."""
        return [{**p, "params": list(p["params"])} if isinstance(p, dict) else p for p in params]

    def _check_not_traced(self) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} decides on the host which inner optimizer steps, so "
            "it has no compiled (`jit_compile=True`) step; the eager step runs instead."
        )

    def _apply_traced(self, params: Any, grads: Any, lr: Any, scalars: Any) -> None:
        self._check_not_traced()

    # ------------------------------------------------------------------ variables
    def _own_entries(self) -> list[tuple[str, torch.Tensor]]:
        device = self._iterations.device
        entries = [
            ("iteration", self._iterations),
            ("learning_rate", torch.tensor(0.0, dtype=torch.float32, device=device)),
        ]
        return entries + self._own_extras()

    def _variable_layout(self, params: Sequence[torch.Tensor] | None = None) -> list[Entry]:
        layout: list[Entry] = [(name, None, None) for name, _ in self._own_entries()]
        if params is None:
            params = self._all_params()
        for k, inner in enumerate(self._inner_optimizers()):
            sub = self._inner_params(k, params)
            layout.extend((f"{k}/{kind}", p, name) for kind, p, name in inner._variable_layout(sub))
        return layout

    @property
    def variables(self) -> list[torch.Tensor]:
        """Own variables first, then each inner optimizer's, in Keras's order."""
        self._check_built("variables")
        out = [value for _, value in self._own_entries()]
        for inner in self._inner_optimizers():
            out.extend(inner.variables)
        return out

    def slot_names(self) -> list[str]:
        """A wrapper has no slots of its own (see each inner optimizer's)."""
        return []

    def variable_names(self, param_names: Sequence[str] | None = None) -> list[str]:
        """Keras-style names of `variables`: own names, then each inner optimizer's."""
        self._check_built("variable_names()")
        params = self._all_params()
        names = [name for name, _ in self._own_entries()]
        by_param = dict(zip(params, param_names)) if param_names is not None else None
        for inner in self._inner_optimizers():
            sub = None
            if by_param is not None:
                sub = [by_param[p] for p in inner._all_params()]
            names.extend(inner.variable_names(sub))
        return names

    @torch.no_grad()
    def set_variables(self, values: Sequence[Any]) -> None:
        """Loads values in `variables` order (own ones, then each inner optimizer's)."""
        self._check_built("set_variables()")
        own = self._own_entries()
        inners = self._inner_optimizers()
        counts = [len(inner._variable_layout()) for inner in inners]
        if len(values) != len(own) + sum(counts):
            raise ValueError(
                f"Expected {len(own) + sum(counts)} values, one per optimizer variable. "
                f"Received: {len(values)} values"
            )
        for (name, _), value in zip(own, values):
            if name == "iteration":
                self._set_step_count(int(np.asarray(_numpy(value))))
            elif name != "learning_rate":  # always 0: the inner optimizers own the rate
                self._set_own_extra(name, torch.as_tensor(_numpy(value)))
        start = len(own)
        for inner, count in zip(inners, counts):
            inner.set_variables(values[start : start + count])
            start += count

    # ------------------------------------------------------------------ torch protocol
    def state_dict(self) -> dict[str, Any]:
        """The torch state dict, with each inner optimizer's under `"inner"`."""
        state = super().state_dict()
        state["keras"]["own"] = {name: v.detach().clone() for name, v in self._own_extras()}
        state["inner"] = [inner.state_dict() for inner in self._inner_optimizers()]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a `state_dict()` of a wrapper built on matching parameters."""
        state_dict = dict(state_dict)
        inner_states = state_dict.pop("inner", [])
        own = (state_dict.get("keras") or {}).get("own", {})
        super().load_state_dict(state_dict)
        for name, value in own.items():
            self._set_own_extra(name, value)
        for inner, inner_state in zip(self._inner_optimizers(), inner_states):
            inner.load_state_dict(inner_state)

    # ------------------------------------------------------------------ misc
    @torch.no_grad()
    def finalize_variable_values(self, var_list: Iterable[torch.Tensor] | None = None) -> None:
        """Lets each inner optimizer finalise its weights (e.g. copy in EMA averages)."""
        for inner in self._inner_optimizers():
            inner.finalize_variable_values()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _numpy(value: Any) -> Any:
    if torch.is_tensor(value):
        return value.detach().cpu().numpy()
    return np.asarray(value)
