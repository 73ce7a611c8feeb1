"""Reading and writing optimizer state: Keras `variables` order and torch `state_dict`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


class OptimizerStateMixin:
    """State access shared by every optimizer (mixed into `Optimizer`)."""

    # ------------------------------------------------------------------ Keras variables
    def slot_names(self) -> list[str]:
        """The Keras names of the per-parameter slots, in `variables` order."""
        return [name for names, _ in self._slot_groups() for name in names]

    def _extra_variables(self) -> list[tuple[str, torch.Tensor]]:
        """Optimizer-wide variables Keras stores after the slots (e.g. Nadam's product)."""
        return []

    def _set_extra_variable(self, name: str, value: Any) -> None:
        raise KeyError(name)

    def _all_params(self) -> list[torch.Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    def _variable_layout(
        self, params: Sequence[torch.Tensor] | None = None
    ) -> list[tuple[str, torch.Tensor | None, str | None]]:
        """(kind, parameter, slot) for each entry of `variables`, in Keras's order.

        Args:
            params: The parameter order to lay the slots out in; defaults to this
                optimizer's own (`param_groups`) order.
        """
        layout: list[tuple[str, torch.Tensor | None, str | None]] = [("iteration", None, None)]
        if self._lr_schedule is None:
            layout.append(("learning_rate", None, None))
        if params is None:
            params = self._all_params()
        for names, _ in self._slot_groups():
            layout.extend(
                ("slot", p, name) for p in params for name in names if name in self.state[p]
            )
        layout.extend(("extra", None, name) for name, _ in self._extra_variables())
        return layout

    def _keras_variable_order(self, keras_params: Sequence[torch.Tensor]) -> list[int]:
        """Indices into `variables` that list them as Keras would with `keras_params`.

        Keras builds its slots in its own `trainable_variables` order, which can differ
        from the order this optimizer was built with; a saved file uses Keras's order.

        Args:
            keras_params: This optimizer's parameters, in Keras's order.
        """

        def key(entry: tuple[str, Any, Any]) -> tuple[str, int, Any]:
            kind, p, name = entry
            return kind, id(p), name

        keras_params = list(keras_params)
        if sorted(map(id, keras_params)) != sorted(map(id, self._all_params())):
            raise ValueError(
                "`keras_params` must hold exactly this optimizer's parameters. "
                f"Received: {len(keras_params)} tensors for {len(self._all_params())} parameters"
            )
        index = {key(entry): i for i, entry in enumerate(self._variable_layout())}
        return [index[key(entry)] for entry in self._variable_layout(keras_params)]

    def _slot_variable_name(self, param_name: str, slot: str) -> str:
        """Keras's name of a slot variable: `<parameter path>_<slot>` ("/" turned to "_")."""
        return f"{param_name.replace('/', '_')}_{slot}"

    @property
    def variables(self) -> list[torch.Tensor]:
        """The optimizer state in Keras's `optimizer.variables` order.

        `iteration` (int64) and `learning_rate` (float32, absent with a schedule) come
        first, then the slots, then optimizer-wide variables. Slot tensors are the live
        state; the scalars are copies, so load values back with `set_variables`.
        """
        self._check_built("variables")
        extras = dict(self._extra_variables())
        out = []
        for kind, p, name in self._variable_layout():
            if kind == "iteration":
                out.append(self._iterations)
            elif kind == "learning_rate":
                lr = float(self.param_groups[0]["lr"]) if self.param_groups else self._lr_value
                out.append(torch.tensor(lr, dtype=torch.float32, device=self._iterations.device))
            elif kind == "slot":
                out.append(self.state[p][name])
            else:
                out.append(extras[name])
        return out

    def variable_names(self, param_names: Sequence[str] | None = None) -> list[str]:
        """Keras-style names of `variables`, e.g. `"dense_kernel_momentum"`.

        Args:
            param_names: One name per parameter (Keras variable paths); defaults to each
                parameter's `path` attribute or `variable`, `variable_1`, ...
        """
        self._check_built("variable_names()")
        params = self._all_params()
        if param_names is None:
            param_names = [
                getattr(p, "path", None) or ("variable" if i == 0 else f"variable_{i}")
                for i, p in enumerate(params)
            ]
        by_param = {p: str(n) for p, n in zip(params, param_names)}
        names = []
        for kind, p, name in self._variable_layout():
            if kind == "slot":
                names.append(self._slot_variable_name(by_param[p], name))
            else:
                names.append(name or kind)
        return names

    @torch.no_grad()
    def set_variables(self, values: Sequence[Any]) -> None:
        """Loads values (arrays or tensors) in `variables` order, e.g. from a saved file."""
        self._check_built("set_variables()")
        layout = self._variable_layout()
        if len(values) != len(layout):
            raise ValueError(
                f"Expected {len(layout)} values, one per optimizer variable. "
                f"Received: {len(values)} values"
            )
        for (kind, p, name), value in zip(layout, values):
            if kind == "iteration":
                self._set_step_count(int(_to_numpy(value)))
            elif kind == "learning_rate":
                self.learning_rate = float(_to_numpy(value))
            elif kind == "extra":
                self._set_extra_variable(name, value)
            else:
                slot = self.state[p][name]
                tensor = torch.as_tensor(_to_numpy(value) if not torch.is_tensor(value) else value)
                if tuple(tensor.shape) != tuple(slot.shape):
                    raise ValueError(
                        f"Optimizer slot `{name}` has shape {tuple(slot.shape)}. "
                        f"Received: value of shape {tuple(tensor.shape)}"
                    )
                slot.copy_(tensor)

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Keras alias of `set_variables`."""
        self.set_variables(weights)

    def save_own_variables(self, store: Any) -> None:
        """Writes `variables` as numpy arrays under keys "0", "1", ... (Keras format)."""
        for i, value in enumerate(self.variables):
            store[str(i)] = value.detach().cpu().numpy()

    def load_own_variables(self, store: Any) -> None:
        """Reads what `save_own_variables` wrote; a count mismatch warns and skips, as Keras."""
        count = len(self._variable_layout()) if self.built else 0
        if len(store.keys()) != count:
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{count} variables whereas the saved optimizer has {len(store.keys())} "
                "variables.",
                stacklevel=2,
            )
            return
        self.set_variables([store[str(i)] for i in range(count)])

    # ------------------------------------------------------------------ torch protocol
    def state_dict(self) -> dict[str, Any]:
        """The torch state dict, plus the Keras counters under the `"keras"` key."""
        self._check_built("state_dict()")
        state = super().state_dict()
        state["keras"] = {
            "iterations": self._step_count,
            "extra": {name: value.detach().clone() for name, value in self._extra_variables()},
        }
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a `state_dict()`; the optimizer must be built on matching parameters."""
        self._check_built("load_state_dict()")
        state_dict = dict(state_dict)
        keras_state = state_dict.pop("keras", None)
        super().load_state_dict(state_dict)
        self._group_of = {p: g for g in self.param_groups for p in g["params"]}
        if keras_state is not None:
            self._set_step_count(keras_state["iterations"])
            for name, value in keras_state.get("extra", {}).items():
                self._set_extra_variable(name, value)
        if self._lr_schedule is None and self.param_groups:
            self._lr_value = float(self.param_groups[0]["lr"])

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("built", self.__dict__.get("built", False)):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)


def _to_numpy(value: Any) -> np.ndarray:
    if torch.is_tensor(value):
        return value.detach().cpu().numpy()
    return np.asarray(value)
