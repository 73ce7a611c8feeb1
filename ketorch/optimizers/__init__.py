"""Keras 3 optimizers implemented as native `torch.optim.Optimizer` subclasses."""

from __future__ import annotations

from typing import Any

import torch

from ketorch.optimizers import legacy, schedules  # noqa: E402
from ketorch.optimizers.adadelta import Adadelta
from ketorch.optimizers.adafactor import Adafactor
from ketorch.optimizers.adagrad import Adagrad
from ketorch.optimizers.adam import Adam
from ketorch.optimizers.adamax import Adamax
from ketorch.optimizers.adamw import AdamW
from ketorch.optimizers.ftrl import Ftrl
from ketorch.optimizers.lamb import Lamb
from ketorch.optimizers.lion import Lion
from ketorch.optimizers.loss_scale_optimizer import LossScaleOptimizer
from ketorch.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from ketorch.optimizers.muon import Muon
from ketorch.optimizers.nadam import Nadam
from ketorch.optimizers.optimizer import Optimizer
from ketorch.optimizers.rmsprop import RMSprop
from ketorch.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from ketorch.optimizers.sgd import SGD

__all__ = [
    "legacy",
    "schedules",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "MultiOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "OptimizerMap",
    "RMSprop",
    "SGD",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "serialize",
]

# Keras's table: lower-cased class names, also of the wrappers that need arguments.
ALL_OBJECTS_DICT: dict[str, type[Any]] = {
    cls.__name__.lower(): cls
    for cls in (
        SGD,
        RMSprop,
        Adam,
        AdamW,
        Adagrad,
        Adadelta,
        Adamax,
        Nadam,
        Adafactor,
        Ftrl,
        Lamb,
        Lion,
        Muon,
        ScheduleFreeAdamW,
        LossScaleOptimizer,
        MultiOptimizer,
        OptimizerMap,
    )
}
# Names `get` cannot turn into a default instance: these need other optimizers.
_NEEDS_ARGUMENTS = ("lossscaleoptimizer", "multioptimizer", "optimizermap")


def serialize(optimizer: Optimizer | OptimizerMap) -> dict[str, Any]:
    """Returns the Keras object dict of an optimizer.

    Args:
        optimizer: A ketorch optimizer (or an `OptimizerMap`).

    Returns:
        `{"module": "keras.optimizers", "class_name": ..., "config": ..., "registered_name": None}`.

    Example:
        >>> serialize(Adam())["class_name"]
        'Adam'
    """
    if not isinstance(optimizer, (Optimizer, OptimizerMap)):
        raise TypeError(
            f"`serialize` expects a ketorch optimizer. Received: optimizer={optimizer!r}"
        )
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuilds an optimizer from a Keras object dict (class names are case-insensitive).

    Args:
        config: A dict with `class_name` and `config` keys, as written by `serialize`
            or by Keras (tf.keras 2 dicts without `module` are accepted too).
        custom_objects: Optional mapping from class names to optimizer classes.

    Returns:
        A new optimizer.

    Example:
        >>> deserialize({"class_name": "SGD", "config": {"learning_rate": 0.1}}).learning_rate
        0.1
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "`deserialize` expects a dict with `class_name` and `config` keys. "
            f"Received: config={config!r}"
        )
    class_name = config["class_name"]
    cls = (custom_objects or {}).get(class_name) or ALL_OBJECTS_DICT.get(str(class_name).lower())
    if cls is None:
        raise ValueError(
            f"Unknown optimizer class: expected one of {sorted(ALL_OBJECTS_DICT)}. "
            f"Received: class_name={class_name!r}"
        )
    if cls in (LossScaleOptimizer, MultiOptimizer, OptimizerMap):
        return cls.from_config(config.get("config") or {}, custom_objects=custom_objects)
    return cls.from_config(config.get("config") or {})


def get(identifier: Any) -> Any:
    """Resolves an optimizer identifier to an optimizer.

    Args:
        identifier: A name such as `"adam"` (case-insensitive), a Keras object dict,
            an optimizer instance (returned as is, including plain torch optimizers),
            or None (returns None).

    Returns:
        An optimizer, or None.

    Example:
        >>> type(get("RMSprop")).__name__
        'RMSprop'
    """
    if identifier is None or isinstance(identifier, torch.optim.Optimizer):
        return identifier
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(
                "An optimizer given as a dict must be a Keras object config with "
                "'class_name' and 'config' keys (e.g. from `keras.optimizers.serialize`). "
                f"Received: optimizer={identifier!r}"
            )
        optimizer = deserialize(identifier)
        if isinstance(optimizer, Optimizer):
            return optimizer
    elif isinstance(identifier, str) and identifier.lower() in _NEEDS_ARGUMENTS:
        raise ValueError(
            f"`{ALL_OBJECTS_DICT[identifier.lower()].__name__}` wraps other optimizers, so it "
            "cannot be created from its name: create it with its optimizers (or pass its "
            f"config dict). Received: optimizer={identifier!r}"
        )
    elif isinstance(identifier, str) and identifier.lower() in ALL_OBJECTS_DICT:
        return ALL_OBJECTS_DICT[identifier.lower()]()
    names = sorted(set(ALL_OBJECTS_DICT) - set(_NEEDS_ARGUMENTS))
    raise ValueError(
        f"Could not interpret optimizer identifier: expected one of {names}, a config dict "
        f"or an optimizer instance. Received: optimizer={identifier!r}"
    )
