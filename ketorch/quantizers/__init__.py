"""Quantizers (``keras.quantizers``): quantization functions, quantizer objects and configs.

``Model.quantize(mode)`` / ``Layer.quantize(mode)`` use these to turn the float weights of
``Dense``, ``EinsumDense`` and ``Embedding`` layers into int8 or int4 weights (with their
scales), or to switch them to float8 training.

Example:
    >>> from ketorch import quantizers
    >>> config = quantizers.serialize(quantizers.AbsMaxQuantizer(axis=0))
    >>> config["class_name"], config["config"]["axis"]
    ('AbsMaxQuantizer', (0,))
    >>> quantizers.deserialize(config).value_range
    (-127, 127)
"""

from __future__ import annotations

import inspect

from ..saving.object_registration import get_registered_name, scoped_objects
from .awq_config import AWQConfig
from .functions import (
    abs_max_quantize,
    abs_max_quantize_grouped_with_zero_point,
    compute_float8_amax_history,
    compute_float8_scale,
    fake_quant_with_min_max_vars,
    pack_int4,
    quantize_and_dequantize,
    unpack_int4,
)
from .gptq_config import GPTQConfig
from .quantization_config import (
    Float8QuantizationConfig,
    Int4QuantizationConfig,
    Int8QuantizationConfig,
    QuantizationConfig,
)
from .quantizer import AbsMaxQuantizer, Quantizer

__all__ = [
    "AWQConfig",
    "AbsMaxQuantizer",
    "Float8QuantizationConfig",
    "GPTQConfig",
    "Int4QuantizationConfig",
    "Int8QuantizationConfig",
    "QuantizationConfig",
    "Quantizer",
    "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point",
    "compute_float8_amax_history",
    "compute_float8_scale",
    "deserialize",
    "fake_quant_with_min_max_vars",
    "get",
    "pack_int4",
    "quantize_and_dequantize",
    "serialize",
    "unpack_int4",
]

_CLASSES = (
    Quantizer,
    AbsMaxQuantizer,
    QuantizationConfig,
    Int8QuantizationConfig,
    Int4QuantizationConfig,
    Float8QuantizationConfig,
    GPTQConfig,
    AWQConfig,
)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({"abs_max_quantizer": AbsMaxQuantizer, "quantizer": Quantizer})


def serialize(quantizer) -> dict | None:
    """A quantizer's (or quantization config's) Keras config dict; ``None`` stays ``None``."""
    if quantizer is None:
        return None
    cls = type(quantizer)
    ours = _BY_NAME.get(cls.__name__) is cls
    registered = None
    if not ours:
        registered = get_registered_name(cls)
    return {
        "module": "keras.quantizers" if ours else cls.__module__,
        "class_name": cls.__name__,
        "config": quantizer.get_config(),
        "registered_name": registered,
    }


def deserialize(config, custom_objects: dict | None = None):
    """The quantizer (or config) that a :func:`serialize` dict describes.

    Raises:
        ValueError: If the class is unknown.
    """
    if config is None or isinstance(config, (Quantizer, QuantizationConfig)):
        return config

    table = scoped_objects(custom_objects)
    name = config.get("class_name")
    cls = table.get(config.get("registered_name")) or table.get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"Could not interpret quantizer identifier: {config}")
    inner = dict(config.get("config") or {})
    if "value_range" in inner and isinstance(inner["value_range"], list):
        inner["value_range"] = tuple(inner["value_range"])
    return cls.from_config(inner)


def get(identifier, **kwargs):
    """A quantizer from ``None``, a config dict, a class name or an instance.

    Raises:
        ValueError: If ``identifier`` cannot be read as a quantizer.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _BY_NAME.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj(**kwargs) if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
