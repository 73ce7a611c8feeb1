"""Resolution and deserialization of identifiers shared by ``initializers``,
``regularizers`` and ``constraints`` (private)."""

from __future__ import annotations

from collections.abc import Callable


def get_from_names(identifier, names: dict, kind: str):
    """Resolve ``identifier`` (``None``, a name in ``names``, a ``{"class_name", "config"}``
    dict or a callable) to an object; ``kind`` (``"regularizer"``) names it in errors."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = names.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown {kind}. Valid names are: {', '.join(sorted(names))}. "
                f"Received: {kind}={identifier!r}"
            )
        return cls()
    if isinstance(identifier, dict):
        cls = names.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown {kind}. Received: {kind}={identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret {kind}. Received: {kind}={identifier!r}")


def make_deserialize(get: Callable, kind: str, module: str) -> Callable:
    """The module-level ``deserialize(config, custom_objects=None)`` of ``module``: a class
    named in ``custom_objects`` wins, anything else goes through that module's ``get``."""

    def deserialize(config, custom_objects=None):
        if isinstance(config, dict) and custom_objects:
            cls = custom_objects.get(config.get("class_name"))
            if cls is not None:
                return cls.from_config(config.get("config", {}))
        return get(config)

    deserialize.__doc__ = (
        f"The {kind} described by a serialized ``config`` (see :func:`serialize`)."
    )
    deserialize.__module__ = module
    return deserialize
