"""MultiOptimizer and OptimizerMap: different optimizers for different weights."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

import torch

from ketorch.optimizers._wrapper import WrapperOptimizer
from ketorch.optimizers.loss_scale_optimizer import LossScaleOptimizer
from ketorch.optimizers.optimizer import Optimizer


def _path(variable: Any) -> str:
    return getattr(variable, "path", None) or getattr(variable, "name", None) or ""


class OptimizerMap(MutableMapping):
    """Maps weight paths to optimizers, as `keras.optimizers.OptimizerMap`.

    A key is a weight path (e.g. `"encoder/dense/kernel"`) or a regular expression
    that must match a whole path (`re.fullmatch`). An exact key wins; otherwise the
    one matching pattern is used (two matching patterns are an error); otherwise the
    default optimizer. Calling the map with a weight looks up its `path`.

    Args:
        default_optimizer: The optimizer for weights that no key matches.
        optimizer_map: Optional dict from keys to optimizers.

    Example:
        >>> from ketorch.optimizers import SGD, Adam
        >>> optimizers = OptimizerMap(SGD(), {"encoder/.*": Adam()})
        >>> optimizers["encoder/dense/kernel"].name, optimizers["head/kernel"].name
        ('adam', 'sgd')
    """

    def __init__(
        self, default_optimizer: Optimizer, optimizer_map: dict[str, Optimizer] | None = None
    ) -> None:
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "`default_optimizer` must be a ketorch optimizer. "
                f"Received: default_optimizer={default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                f"`optimizer_map` must be a dict. Received: optimizer_map={optimizer_map!r}"
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = dict(optimizer_map or {})

    @property
    def default_optimizer(self) -> Optimizer:
        """The optimizer of the weights that no key matches."""
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"Several optimizers match the variable '{key}': patterns {matches}.")
        if matches:
            return self._optimizer_map[matches[0]]
        return self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' is already in the OptimizerMap (mapped to "
                f"{self._optimizer_map[key]!r}); keys must be unique."
            )
        if not isinstance(key, str):
            raise ValueError(f"Keys must be strings. Received: key={key!r}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(
                f"Values must be ketorch optimizers. Received: optimizer={optimizer!r}"
            )
        if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ValueError(
                f"An OptimizerMap cannot hold a {type(optimizer).__name__}. "
                f"Received: optimizer={optimizer!r}"
            )
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Any) -> Optimizer:
        return self[_path(variable)]

    def get_config(self) -> dict[str, Any]:
        """Keras's config: the serialized default optimizer and key-to-optimizer dict."""
        from ketorch.optimizers import serialize  # import cycle

        return {
            "default_optimizer": serialize(self._default_optimizer),
            "optimizer_map": {key: serialize(opt) for key, opt in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> OptimizerMap:
        """Rebuilds the map (and its optimizers) from `get_config()`."""
        from ketorch.optimizers import deserialize  # import cycle

        def load(value: Any) -> Any:
            return deserialize(value, custom_objects) if isinstance(value, dict) else value

        mapping = {key: load(value) for key, value in (config.get("optimizer_map") or {}).items()}
        return cls(load(config["default_optimizer"]), mapping)


class MultiOptimizer(WrapperOptimizer):
    """Delegates each weight to its own optimizer, as `keras.optimizers.MultiOptimizer`.

    Each inner optimizer is built on, and steps, only its own weights; the
    `MultiOptimizer` counts its own `iterations`. `variables` are its own
    (`iteration`, `learning_rate` = 0) then each inner optimizer's, in the order the
    optimizers were first met: the map's values, its default, then the ones a
    callable returns. There is no single learning rate: read or set it on
    `optimizers`.

    Args:
        optimizer_map: An `OptimizerMap`, or a callable taking a weight and returning
            its optimizer.
        loss_scale_factor: Optional float, given to every inner optimizer (the loss is
            multiplied by it and the gradients divided by it).
        name: Optional name. Defaults to "multi_optimizer".

    Example:
        >>> import torch
        >>> from ketorch.optimizers import SGD, Adam
        >>> kernel, bias = torch.nn.Parameter(torch.ones(2, 2)), torch.nn.Parameter(torch.ones(2))
        >>> kernel.path, bias.path = "dense/kernel", "dense/bias"
        >>> opt = MultiOptimizer(OptimizerMap(SGD(0.1), {".*/bias": Adam()}))
        >>> opt.build([kernel, bias])
        >>> [o.name for o in opt.optimizers], len(opt.variables)  # 2 own + 4 Adam + 2 SGD
        (['adam', 'sgd'], 8)
    """

    _default_name = "multi_optimizer"

    def __init__(
        self,
        optimizer_map: OptimizerMap | Callable[[Any], Optimizer],
        loss_scale_factor: float | None = None,
        name: str | None = None,
    ) -> None:
        if not callable(optimizer_map):
            raise TypeError(
                "`optimizer_map` must be an OptimizerMap or a callable returning an "
                f"optimizer for a weight. Received: optimizer_map={optimizer_map!r}"
            )
        self._optimizers: list[Optimizer] = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        candidates = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        candidates.append(getattr(optimizer_map, "default_optimizer", None))
        for opt in candidates:
            if opt is not None:
                self._add_optimizer(opt)
        self._owner: dict[torch.Tensor, int] = {}

    def _add_optimizer(self, opt: Any) -> int:
        if not any(opt is known for known in self._optimizers):
            if not isinstance(opt, Optimizer):
                raise ValueError(
                    f"The optimizer of a variable must be a ketorch optimizer. Received: {opt!r}"
                )
            if isinstance(opt, (LossScaleOptimizer, MultiOptimizer)):
                raise ValueError(f"A {type(opt).__name__} cannot be used inside a MultiOptimizer.")
            opt.loss_scale_factor = self.loss_scale_factor
            self._optimizers.append(opt)
        return next(i for i, known in enumerate(self._optimizers) if known is opt)

    # ------------------------------------------------------------------ delegation
    @property
    def optimizers(self) -> list[Optimizer]:
        """The inner optimizers, in `variables` order."""
        return list(self._optimizers)

    def _inner_optimizers(self) -> list[Optimizer]:
        return self._optimizers

    def _inner_params(self, index: int, params: Any) -> list[torch.Tensor]:
        return [p for p in params if self._owner[p] == index]

    @property
    def learning_rate(self) -> float:
        raise AttributeError(
            "A MultiOptimizer has no single learning rate: read it on each of its "
            "`optimizers` instead."
        )

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError(
            "A MultiOptimizer has no single learning rate: set it on each of its "
            f"`optimizers` instead. Received: learning_rate={value!r}"
        )

    @property
    def loss_scale_factor(self) -> float | None:
        """The loss scale factor, shared with every inner optimizer."""
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: float | None) -> None:
        self._loss_scale_factor = value
        for opt in self._optimizers:
            opt.loss_scale_factor = value

    # ------------------------------------------------------------------ building
    def build(self, params: Iterable[torch.Tensor] | Iterable[dict[str, Any]]) -> None:
        """Sends each weight to its optimizer and builds every optimizer that got some."""
        if self.built:
            return
        params = self._copy_groups(list(params))
        flat = [
            p for item in params for p in (item["params"] if isinstance(item, dict) else [item])
        ]
        per_optimizer: dict[int, list[torch.Tensor]] = {}
        for p in flat:
            index = self._add_optimizer(self._optimizer_map(p))
            self._owner[p] = index
            per_optimizer.setdefault(index, []).append(p)
        for index, opt in enumerate(self._optimizers):
            # One that got no weights still has its `iteration` and `learning_rate`.
            opt.build(per_optimizer.get(index, []))
        super().build(params)

    # ------------------------------------------------------------------ stepping
    def _apply(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        split: dict[int, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}
        for p, g in zip(params, grads):
            part = split.setdefault(self._owner[p], ([], []))
            part[0].append(p)
            part[1].append(g)
        for index, opt in enumerate(self._optimizers):
            if index in split:
                opt._apply(*split[index])
        self._step_count += 1
        self._iterations.add_(1)

    def scale_loss(self, loss: Any) -> Any:
        """Multiplies `loss` by `loss_scale_factor` when one is set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """Keras's config: the serialized map, `loss_scale_factor` and the name."""
        from ketorch.optimizers import serialize  # import cycle

        mapping = self._optimizer_map
        if isinstance(mapping, OptimizerMap):
            serialized: Any = serialize(mapping)
        else:
            function = getattr(mapping, "__name__", type(mapping).__name__)
            serialized = {
                "module": getattr(mapping, "__module__", None),
                "class_name": "function",
                "config": function,
                "registered_name": function,
            }
        return {
            "optimizer_map": serialized,
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> MultiOptimizer:
        """Rebuilds the optimizer; a callable map is found by name in `custom_objects`."""
        from ketorch.optimizers import deserialize  # import cycle

        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict) and mapping.get("class_name") == "function":
            name = mapping.get("config")
            if name not in (custom_objects or {}):
                raise ValueError(
                    f"The optimizer map of this MultiOptimizer is the function '{name}': pass "
                    f"it in `custom_objects`. Received: custom_objects={custom_objects!r}"
                )
            config["optimizer_map"] = custom_objects[name]
        elif isinstance(mapping, dict):
            config["optimizer_map"] = deserialize(mapping, custom_objects)
        return cls(**config)
