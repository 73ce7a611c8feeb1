"""Keras 3's dtype rules on torch: names, ``result_type`` promotion, floatx.

Keras promotes dtypes along a lattice in the spirit of JAX's, with Python ``int`` and ``float``
as "weak" types that take the dtype of the tensor they meet, and on the torch backend it then
narrows 64-bit results of mixed promotions to 32 bits (``int64`` -> ``int32``, ``float64`` ->
``float32``). This module computes the same results; ``tests/ops/test_dtypes.py`` checks every
pair against Keras.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from .. import config

BOOL = ("bool",)
INTS = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOATS = ("bfloat16", "float16", "float32", "float64")
COMPLEXES = ("complex64", "complex128")
ALLOWED = BOOL + INTS + FLOATS + COMPLEXES + ("string",)

TORCH_DTYPES = {
    "bool": torch.bool,
    "uint8": torch.uint8,
    "uint16": torch.uint16,
    "uint32": torch.uint32,
    "uint64": torch.uint64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
    "float32": torch.float32,
    "float64": torch.float64,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
_NAMES = {v: k for k, v in TORCH_DTYPES.items()}

# Each type and the types directly above it ("int"/"float" are the weak Python types).
_ABOVE = {
    "bool": ("int",),
    "int": ("uint8", "int8", "complex64"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex64": ("complex128",),
    "complex128": (),
}


def _closure():
    ups = {}
    for node in _ABOVE:
        seen, stack = {node}, [node]
        while stack:
            for up in _ABOVE[stack.pop()]:
                if up not in seen:
                    seen.add(up)
                    stack.append(up)
        ups[node] = frozenset(seen)
    return ups


_UPPER = _closure()
_NARROW = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def standardize_dtype(dtype) -> str:
    """The Keras name of a dtype given as a string, Python type, NumPy or torch dtype.

    ``None`` gives floatx. Raises ``ValueError`` naming the dtype for anything else.
    """
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, str):
        if dtype in ALLOWED:
            return dtype
        if dtype in ("float", "int", "complex"):
            return {"float": "float32", "int": "int32", "complex": "complex64"}[dtype]
    elif isinstance(dtype, torch.dtype):
        if dtype in _NAMES:
            return _NAMES[dtype]
    elif dtype is bool:
        return "bool"
    elif dtype is int:
        return "int32"
    elif dtype is float:
        return "float32"
    elif dtype is complex:
        return "complex64"
    elif hasattr(dtype, "name") and isinstance(dtype.name, str) and not isinstance(dtype, type):
        return standardize_dtype(dtype.name)
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name in ALLOWED:
        return name
    if name and name.startswith("str"):
        return "string"
    raise ValueError(f"Invalid dtype: {dtype!r}. Expected one of {ALLOWED}.")


def torch_dtype(dtype) -> torch.dtype:
    """The torch dtype for any dtype-like value."""
    if isinstance(dtype, torch.dtype):
        return dtype
    name = standardize_dtype(dtype)
    if name == "string":
        raise TypeError("torch has no string tensors; keep strings in NumPy or Python lists.")
    return TORCH_DTYPES[name]


def dtype_name(x) -> str:
    """The Keras dtype name of a tensor, array or KerasTensor."""
    d = x.dtype
    if isinstance(d, str):
        return d
    return standardize_dtype(d)


@functools.lru_cache(maxsize=1024)
def _join(nodes: frozenset) -> str:
    common = frozenset.intersection(*(_UPPER[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(sorted(nodes))} have no implicit dtype promotion path. Cast "
            "the inputs explicitly to the dtype you want."
        )
    return next(iter(least))


def _weak_of(name: str) -> str:
    if name == "bool":
        return name
    if "float" in name:
        return "float"
    if "int" in name:
        return "int"
    return "complex64"


def _resolve_weak(name: str) -> str:
    bits = config.floatx()[-2:]
    if name == "int":
        return f"int{bits}"
    if name == "float":
        return f"float{bits}"
    return name


def result_type(*dtypes) -> str:
    """The dtype Keras's promotion rules give for inputs of ``dtypes``.

    Python ``int``/``float`` are weak types: ``result_type("int8", int)`` is ``"int8"``,
    ``result_type("int32", float)`` is floatx. ``None`` counts as floatx.

    Example:

    >>> from ketorch import ops
    >>> ops.result_type("int32", "float16")
    'float16'
    >>> ops.result_type("bfloat16", int)
    'bfloat16'
    """
    if not dtypes:
        return config.floatx()
    names, weak = [], []
    for d in dtypes:
        if d is None:
            d = config.floatx()
        is_weak = d is int or d is float
        name = standardize_dtype(d)
        if name == "string" or name.startswith("float8"):
            raise ValueError(f"No implicit conversion for dtype {name}. Received: {dtypes}")
        names.append(name)
        weak.append(is_weak)
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _join(frozenset(names)), True
    else:
        nodes = frozenset(_weak_of(n) if w else n for n, w in zip(names, weak))
        out = _join(nodes)
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":
        out = _resolve_weak(_weak_of(out) if out not in ("int", "float") else out)
    return _NARROW.get(out, out)


def is_float_dtype(dtype) -> bool:
    """Whether ``dtype`` is a floating-point dtype (``bfloat16`` included)."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer dtype."""
    return standardize_dtype(dtype).startswith(("int", "uint"))
