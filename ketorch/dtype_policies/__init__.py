"""Dtype policies (``keras.dtype_policies``): float, mixed and quantized.

``get`` turns a name, a serialized dict or a policy into a policy object: float and
mixed names give a :class:`DTypePolicy`, names such as ``"int8_from_float32"`` give the
quantized policy of that mode.

Example:
    >>> from ketorch import dtype_policies
    >>> dtype_policies.get("int4/128_from_float32")
    <Int4DTypePolicy "int4/128_from_float32">
    >>> config = dtype_policies.serialize(dtype_policies.get("int8_from_float32"))
    >>> config["class_name"], config["config"]
    ('QuantizedDTypePolicy', {'mode': 'int8', 'source_name': 'float32'})
    >>> dtype_policies.deserialize(config).name
    'int8_from_float32'
"""

from __future__ import annotations

from ..mixed_precision.policy import DTypePolicy, global_policy
from .dtype_policy_map import DTypePolicyMap
from .quantized_policy import (
    QUANTIZATION_MODES,
    AWQDTypePolicy,
    GPTQDTypePolicy,
    Int4DTypePolicy,
    QuantizedDTypePolicy,
    QuantizedFloat8DTypePolicy,
    policy_from_string,
)

FloatDTypePolicy = DTypePolicy  # Keras 3 keeps the old name as an alias

__all__ = [
    "AWQDTypePolicy",
    "DTypePolicy",
    "DTypePolicyMap",
    "FloatDTypePolicy",
    "GPTQDTypePolicy",
    "Int4DTypePolicy",
    "QuantizedDTypePolicy",
    "QuantizedFloat8DTypePolicy",
    "deserialize",
    "get",
    "serialize",
]

_CLASSES = {
    cls.__name__: cls
    for cls in (
        AWQDTypePolicy,
        DTypePolicy,
        DTypePolicyMap,
        GPTQDTypePolicy,
        Int4DTypePolicy,
        QuantizedDTypePolicy,
        QuantizedFloat8DTypePolicy,
    )
}
_CLASSES["FloatDTypePolicy"] = DTypePolicy


def serialize(dtype_policy) -> dict:
    """A policy's Keras config dict (``module``, ``class_name``, ``config``).

    Args:
        dtype_policy: A :class:`DTypePolicy` (or subclass) instance.

    Returns:
        A JSON-safe dict that :func:`deserialize` (and Keras) read back.
    """
    quantized = isinstance(dtype_policy, (QuantizedDTypePolicy, DTypePolicyMap))
    return {
        "module": "keras.dtype_policies" if quantized else "keras",
        "class_name": type(dtype_policy).__name__,
        "config": dtype_policy.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict, custom_objects: dict | None = None) -> DTypePolicy:
    """The policy a :func:`serialize` dict describes.

    Raises:
        ValueError: If the dict names no known policy class.
    """
    if isinstance(config, str):
        return get(config)
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"Unknown dtype policy class: {name!r}. Received: config={config}")
    inner = config.get("config", {})
    if cls is DTypePolicyMap:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls(**inner)


def get(identifier) -> DTypePolicy:
    """A policy from ``None`` (the global one), a name, a dict or a policy.

    Raises:
        ValueError: If ``identifier`` cannot be read as a policy.
    """
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.startswith(QUANTIZATION_MODES):
            return policy_from_string(identifier)
        return DTypePolicy(identifier)
    try:
        from .. import backend

        return DTypePolicy(backend.standardize_dtype(identifier))
    except Exception:
        raise ValueError(
            "Cannot interpret `dtype` argument. Expected a string or an instance of "
            f"DTypePolicy. Received: dtype={identifier}"
        ) from None


def split_layer_dtype(dtype):
    """``(float dtype argument, quantized policy or None)`` of a layer's ``dtype=`` argument.

    A quantized policy (object, name or serialized dict) splits into its source float
    policy and itself; a :class:`DTypePolicyMap` gives its default policy.
    """
    if isinstance(dtype, dict) and dtype.get("module") == "keras.dtype_policies":
        dtype = deserialize(dtype)
    elif isinstance(dtype, str) and dtype.startswith(QUANTIZATION_MODES) and "_from_" in dtype:
        dtype = policy_from_string(dtype)
    if isinstance(dtype, DTypePolicyMap):
        dtype = dtype.default_policy
    if isinstance(dtype, QuantizedDTypePolicy):
        return dtype.source_name, dtype
    return dtype, None
