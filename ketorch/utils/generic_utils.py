"""``keras.utils.generic_utils``: the Keras 2 module that Keras 2 era libraries import.

Custom-object registration, Keras 2 (de)serialization, `Progbar`, and the small list
helpers (``to_list``, ``object_list_uid``, ``has_arg``...) those libraries call.

Example:
    >>> from ketorch.utils import generic_utils
    >>> generic_utils.to_list(3), generic_utils.unpack_singleton([3])
    ([3], 3)
"""

from __future__ import annotations

import binascii
import codecs
import inspect
import marshal
import types
from typing import Any

from ..backend import to_snake_case
from ..saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    scoped_objects,
)
from .legacy import deserialize_keras_object, serialize_keras_object
from .progbar import Progbar

__all__ = [
    "CustomObjectScope",
    "Progbar",
    "check_for_unexpected_keys",
    "class_and_config_for_serialized_keras_object",
    "custom_object_scope",
    "deserialize_keras_object",
    "func_dump",
    "func_load",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "has_arg",
    "is_all_none",
    "make_batches",
    "object_list_uid",
    "register_keras_serializable",
    "serialize_keras_class_and_config",
    "serialize_keras_object",
    "slice_arrays",
    "to_list",
    "to_snake_case",
    "transpose_shape",
    "unpack_singleton",
    "validate_kwargs",
]


def to_list(x, allow_tuple: bool = False) -> list:
    """``x`` as a list: lists pass through (tuples too with ``allow_tuple``)."""
    if isinstance(x, list) or (allow_tuple and isinstance(x, tuple)):
        return list(x)
    return [x]


def unpack_singleton(x):
    """The only element of a one-element list or tuple; ``x`` itself otherwise."""
    return x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x


def object_list_uid(object_list) -> str:
    """A string identifying a list of objects by identity (Keras 2's cache key)."""
    return ", ".join(str(abs(id(x))) for x in to_list(object_list, allow_tuple=True))


def is_all_none(structure) -> bool:
    """Whether every element of ``structure`` (a value or a list) is None."""
    return all(x is None for x in to_list(structure, allow_tuple=True))


def has_arg(fn, name: str, accept_all: bool = False) -> bool:
    """Whether ``fn`` takes an argument ``name`` (or any keyword with ``accept_all``)."""
    params = inspect.signature(fn).parameters
    if accept_all and any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return True
    parameter = params.get(name)
    return parameter is not None and parameter.kind in (
        parameter.POSITIONAL_OR_KEYWORD,
        parameter.KEYWORD_ONLY,
    )


def validate_kwargs(
    kwargs, allowed_kwargs, error_message: str = "Keyword argument not understood:"
):
    """Raise ``TypeError`` for a keyword argument outside ``allowed_kwargs``."""
    for key in kwargs:
        if key not in allowed_kwargs:
            raise TypeError(error_message, key)


def check_for_unexpected_keys(name, input_dict, expected_values) -> None:
    """Raise ``ValueError`` when ``input_dict`` has keys outside ``expected_values``."""
    unknown = set(input_dict) - set(expected_values)
    if unknown:
        raise ValueError(
            f"Unknown entries in {name} dictionary: {list(unknown)}. Only expected following "
            f"keys: {expected_values}"
        )


def transpose_shape(shape, target_format: str, spatial_axes):
    """Move the channel axis of a channels-last ``shape`` for ``channels_first``."""
    if target_format == "channels_first":
        new_values = shape[: spatial_axes[0]]
        new_values += (shape[-1],)
        new_values += tuple(shape[x] for x in spatial_axes)
        if isinstance(shape, list):
            return list(new_values)
        return new_values
    if target_format == "channels_last":
        return shape
    raise ValueError(
        'The `data_format` argument must be one of "channels_first", "channels_last". '
        f"Received: {target_format}"
    )


def slice_arrays(arrays, start=None, stop=None):
    """Slice an array or a list of arrays (None entries stay None).

    ``start`` may be a list of indices, which selects those rows.
    """
    if arrays is None:
        return [None]
    if isinstance(arrays, list):
        if hasattr(start, "__len__"):
            return [None if x is None else x[start] for x in arrays]
        return [None if x is None else x[start:stop] for x in arrays]
    if hasattr(start, "__len__"):
        return arrays[start]
    return arrays[start:stop]


def make_batches(size: int, batch_size: int) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` covering ``range(size)`` in batches."""
    count = (size + batch_size - 1) // batch_size
    return [(i * batch_size, min(size, (i + 1) * batch_size)) for i in range(count)]


def serialize_keras_class_and_config(cls_name: str, cls_config, obj=None, shared_object_id=None):
    """``{"class_name": cls_name, "config": cls_config}`` (Keras 2's layout)."""
    out: dict[str, Any] = {"class_name": cls_name, "config": cls_config}
    if shared_object_id is not None:
        out["shared_object_id"] = shared_object_id
    return out


def class_and_config_for_serialized_keras_object(
    config, module_objects=None, custom_objects=None, printable_module_name="object"
):
    """``(class, config dict)`` of a Keras 2 serialized object.

    Raises:
        ValueError: For a malformed dict or an unknown class name.
    """
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"Improper config format for {config}.")

    name = config["class_name"]
    table = {**(module_objects or {}), **scoped_objects(custom_objects)}
    cls = table.get(name)
    if cls is None:
        raise ValueError(
            f"Unknown {printable_module_name}: '{name}'. Please ensure you are using a "
            "`keras.utils.custom_object_scope` and that this object is included in the scope."
        )
    return cls, config["config"]


def func_dump(func):
    """Serialize a Python function as ``(code, defaults, closure)`` (Keras 2's Lambda)."""
    raw = marshal.dumps(func.__code__)
    code = codecs.encode(raw, "base64").decode("ascii")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def func_load(code, defaults=None, closure=None, globs=None):
    """Rebuild a function from `func_dump` output. Runs stored bytecode: trusted input only."""
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
        if isinstance(defaults, list):
            defaults = tuple(defaults)

    def cell(value):
        return (lambda: value).__closure__[0]

    try:
        raw = codecs.decode(code.encode("ascii"), "base64")
    except (UnicodeEncodeError, binascii.Error):
        raw = code.encode("raw_unicode_escape")
    code_object = marshal.loads(raw)
    cells = tuple(cell(c) for c in closure) if closure is not None else None
    return types.FunctionType(
        code_object, globs if globs is not None else globals(), code_object.co_name, defaults, cells
    )
