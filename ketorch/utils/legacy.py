"""Keras 2's object serialization (``keras.utils.legacy``): ``{"class_name", "config"}`` dicts.

Keras 2 libraries call these (often as ``keras.utils.generic_utils.serialize_keras_object``)
in their ``get_config``/``from_config``; Keras 3 writes richer dicts (with ``module`` and
``registered_name``), which `deserialize_keras_object` here reads as well.

Example:
    >>> import ketorch as keras
    >>> config = serialize_keras_object(keras.layers.Dense(2))
    >>> config["class_name"], config["config"]["units"]
    ('Dense', 2)
    >>> deserialize_keras_object(config, module_objects={"Dense": keras.layers.Dense}).units
    2
"""

from __future__ import annotations

import inspect
from typing import Any

from ..saving.object_registration import get_registered_name, scoped_objects
from ..saving.serialization import deserialize_keras_object as keras3


def serialize_keras_object(instance) -> Any:
    """Keras 2's serialized form of an object.

    Returns:
        None for None; ``{"class_name": ..., "config": ...}`` for an object with
        ``get_config`` (config values that are objects are serialized the same way);
        the registered name of a function or class.

    Raises:
        ValueError: If the object has neither ``get_config`` nor a name.
    """
    instance = inspect.unwrap(instance) if callable(instance) else instance
    if instance is None:
        return None
    if hasattr(instance, "get_config") and not isinstance(instance, type):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str) or not (
                hasattr(item, "get_config") or callable(item) and hasattr(item, "__name__")
            ):
                config[key] = item
                continue
            try:
                serialized = serialize_keras_object(item)
            except ValueError:
                serialized = item
            if isinstance(serialized, dict) and not isinstance(item, dict):
                serialized["__passive_serialization__"] = True
            config[key] = serialized
        return {"class_name": get_registered_name(type(instance)), "config": config}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _lookup(name: str, module_objects, custom_objects):
    table = {**(module_objects or {}), **scoped_objects(custom_objects)}
    if name in table:
        return table[name]
    if ">" in name:  # "package>Name" written by register_keras_serializable
        short = name.split(">")[-1]
        return table.get(short)
    return None


def _from_config(cls, config, custom_objects):
    from_config = getattr(cls, "from_config", None)
    if from_config is None:
        return cls(**config)
    try:
        params = inspect.signature(from_config).parameters
    except (TypeError, ValueError):
        params = {}
    if "custom_objects" in params:
        return from_config(config, custom_objects=scoped_objects(custom_objects))
    return from_config(config)


def deserialize_keras_object(
    identifier,
    module_objects=None,
    custom_objects=None,
    printable_module_name: str = "object",
):
    """Rebuild an object from `serialize_keras_object` output (or a Keras 3 dict).

    Args:
        identifier: A ``{"class_name", "config"}`` dict, a name, or a callable (returned
            as is).
        module_objects: ``{name: class_or_function}`` of the built-in candidates.
        custom_objects: ``{name: class_or_function}`` of user classes and functions.
        printable_module_name: What the object is, for the error message.

    Returns:
        The object; a class named by a string is instantiated without arguments.

    Raises:
        ValueError: For an unknown name or a malformed identifier.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {identifier}.")
        if identifier.get("module") is not None or "registered_name" in identifier:
            known = {**(module_objects or {}), **(custom_objects or {})}
            return keras3(identifier, custom_objects=known)
        name = identifier["class_name"]
        cls = _lookup(name, module_objects, custom_objects)
        if cls is None:
            raise ValueError(
                f"Unknown {printable_module_name}: '{name}'. Please ensure you are using a "
                "`keras.utils.custom_object_scope` and that this object is included in the scope."
            )
        config = dict(identifier["config"] or {})
        for key, value in list(config.items()):
            if isinstance(value, dict) and value.pop("__passive_serialization__", False):
                config[key] = deserialize_keras_object(
                    value, module_objects, custom_objects, printable_module_name
                )
        if not isinstance(cls, type):  # a function registered under that name
            return cls
        return _from_config(cls, config, custom_objects)
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects)
        if obj is None:
            raise ValueError(f"Unknown {printable_module_name}: '{identifier}'.")
        return obj() if isinstance(obj, type) else obj
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
