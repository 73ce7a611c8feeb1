"""The registry of user classes and functions that saved files may name.

A class decorated with :func:`register_keras_serializable` is written to
``config.json`` as ``"registered_name": "<package>>ClassName"`` and found
again by that key when loading. :func:`custom_object_scope` adds entries for
the duration of a ``with`` block.

Example:
    >>> import ketorch as keras
    >>> @keras.saving.register_keras_serializable(package="Demo")
    ... class Scale(keras.layers.Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> keras.saving.get_registered_name(Scale)
    'Demo>Scale'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

# Global registry: "package>Name" -> class or function.
_CUSTOM_OBJECTS: dict[str, Any] = {}
_SCOPE = threading.local()


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Class/function decorator registering the object as ``"package>name"``.

    Args:
        package: The namespace of the name (``"Custom"`` by default).
        name: The name under the package (the class or function name by default).

    Returns:
        A decorator that returns the object unchanged after registering it.

    Raises:
        ValueError: If ``package`` contains ``">"``, or the key is taken by another object.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"`package` must be a string without '>'. Received: package={package!r}")

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: a registered class must implement "
                f"`get_config()`. Received: {obj!r}"
            )
        _CUSTOM_OBJECTS[key] = obj
        try:
            obj._registered_name = key
        except (AttributeError, TypeError):
            pass
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """The registration key of ``obj`` (its plain name when not registered)."""
    key = getattr(obj, "_registered_name", None)
    if key is not None and _CUSTOM_OBJECTS.get(key) is obj:
        return key
    for k, v in _CUSTOM_OBJECTS.items():
        if v is obj:
            return k
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(
    name: str, custom_objects: Mapping[str, Any] | None = None, module_objects=None
) -> Any:
    """Find ``name`` in the active scopes, ``custom_objects``, then the registry."""
    for table in (
        *reversed(_scopes()),
        custom_objects or {},
        _CUSTOM_OBJECTS,
        module_objects or {},
    ):
        if name in table:
            return table[name]
    return None


def get_custom_objects() -> dict[str, Any]:
    """The live global registry dict (``"package>Name" -> object``)."""
    return _CUSTOM_OBJECTS


class custom_object_scope:  # noqa: N801  (Keras's public name)
    """``with custom_object_scope({"Name": cls}):`` makes extra names loadable.

    Args:
        custom_objects: One or more ``{name: class_or_function}`` dicts.
    """

    def __init__(self, *custom_objects: Mapping[str, Any] | None):
        merged: dict[str, Any] = {}
        for table in custom_objects:
            merged.update(table or {})
        self.custom_objects = merged

    def __enter__(self):
        _scopes().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scopes().pop()


CustomObjectScope = custom_object_scope


def _scopes() -> list[dict[str, Any]]:
    if not hasattr(_SCOPE, "stack"):
        _SCOPE.stack = []
    return _SCOPE.stack


def scoped_objects(custom_objects: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Registry, active scopes and ``custom_objects`` merged (later entries win)."""
    out = dict(_CUSTOM_OBJECTS)
    for table in _scopes():
        out.update(table)
    out.update(custom_objects or {})
    return out
