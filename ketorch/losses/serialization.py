"""Keras-style dicts for losses and metrics (the form ``config.json`` stores).

A class instance becomes ``{"module", "class_name", "config", "registered_name"}``;
a plain function becomes Keras's function record, whose ``"config"`` is the
function's name. :func:`deserialize_object` reads both forms and bare names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["serialize_object", "deserialize_object"]


def serialize_object(obj: Any, module: str) -> Any:
    """Returns the Keras serialization dict of a loss/metric object or function.

    Args:
        obj: An object with ``get_config``, a function, a string or ``None``.
        module: The Keras module recorded for built-in classes, e.g. ``"keras.losses"``.

    Returns:
        A JSON-safe dict (or the string / ``None`` given).
    """
    if obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        cls = type(obj)
        builtin = cls.__module__.startswith("ketorch.")
        return {
            "module": module if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    if callable(obj) and hasattr(obj, "__name__"):
        return {
            "module": "builtins",
            "class_name": "function",
            "config": obj.__name__,
            "registered_name": "function",
        }
    raise TypeError(f"Cannot serialize {obj!r}: expected a loss/metric object or a function.")


def deserialize_object(
    config: Any,
    known: Mapping[str, Any],
    kind: str,
    custom_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Rebuilds an object or function from :func:`serialize_object` output or a name.

    Args:
        config: A dict, a name string, or an object (returned as is).
        known: Name -> class or function table of the built-ins.
        kind: ``"loss"`` or ``"metric"``, used in error messages.
        custom_objects: Extra name -> class or function entries.

    Returns:
        An instance (for classes) or a function.
    """
    table = dict(known)
    if custom_objects:
        table.update(custom_objects)
    if isinstance(config, str):
        if config not in table:
            raise ValueError(_unknown_message(config, table, kind))
        return table[config]
    if not isinstance(config, Mapping):
        return config
    class_name = config.get("class_name")
    inner = config.get("config")
    if class_name == "function":
        return deserialize_object(inner, known, kind, custom_objects)
    name = config.get("registered_name") or class_name
    target: Callable | None = table.get(name) or table.get(class_name)
    if target is None or not isinstance(target, type):
        raise ValueError(_unknown_message(class_name, table, kind))
    inner = dict(inner or {})
    fn_name = _function_name(inner.get("fn"))
    if custom_objects and fn_name in custom_objects:
        # Built-in names are left to the wrapper's from_config, which knows its own table.
        inner["fn"] = custom_objects[fn_name]
    return target.from_config(inner)


def _function_name(record: Any) -> Any:
    if isinstance(record, Mapping) and record.get("class_name") == "function":
        return record.get("config")
    return record if isinstance(record, str) else None


def _unknown_message(name: Any, table: Mapping[str, Any], kind: str) -> str:
    return (
        f"Could not interpret {kind} identifier: expected one of {sorted(table)}, "
        f"a callable, a {kind.capitalize()} instance or a config dict. Received: {kind}={name!r}"
    )
