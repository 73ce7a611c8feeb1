"""Symbolic tensors and graph nodes of the Functional API.

A :class:`KerasTensor` carries only a shape and a dtype. Calling a layer on
one records a :class:`Node` (the layer, where its arguments came from, the
tensors it produced); :class:`~ketorch.models.functional.Functional` turns the
recorded nodes into a flat execution plan.
"""

from __future__ import annotations

from .input_spec import format_shape


class KerasTensor:
    """A placeholder for a tensor in a model being defined: shape and dtype only.

    Attributes:
        shape: A tuple; ``None`` marks unknown sizes (the batch axis at least).
        dtype: The Keras dtype name, e.g. ``"float32"``.
        name: Optional name (set for model inputs).
    """

    __slots__ = ("shape", "dtype", "name", "_keras_history", "sparse", "ragged")

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self._keras_history = history  # (layer, node_index, tensor_index)
        self.sparse = False
        self.ragged = False

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={format_shape(self.shape)}, dtype={self.dtype}{name}>"

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor has no value, so it cannot be used as a Python bool "
            "(in `if`, `and`, `while`). Use a layer or a model's `call()` for data-dependent logic."
        )

    def __len__(self):
        raise TypeError(
            "A symbolic KerasTensor has no length; use `.shape`. Received a tensor of shape "
            f"{format_shape(self.shape)}"
        )

    # Python operators record the matching keras.ops call (as Keras's KerasTensor does).
    def reshape(self, newshape):
        return _op("reshape")(self, newshape)

    def squeeze(self, axis=None):
        return _op("squeeze")(self, axis)

    def __int__(self):
        raise ValueError("A KerasTensor is symbolic (a shape and a dtype): it has no int value.")

    def __float__(self):
        raise ValueError("A KerasTensor is symbolic (a shape and a dtype): it has no float value.")

    def __iter__(self):
        raise TypeError(
            "A symbolic KerasTensor cannot be iterated. Use `keras.ops.unstack` or index it. "
            f"Received a tensor of shape {format_shape(self.shape)}"
        )

    def __getitem__(self, key):
        return _op("get_item")(self, key)

    def __round__(self, ndigits=None):
        return _op("round")(self, ndigits or 0)

    # Symbolic tensors are compared by identity (they live in sets and dict keys); `==` builds
    # no node, as in Keras.
    __hash__ = object.__hash__


def _op(name):
    from .. import ops  # import cycle: this module is imported by the one imported here

    return getattr(ops, name)


def _binary(name):
    def forward(self, other):
        return _op(name)(self, other)

    def reverse(self, other):
        return _op(name)(other, self)

    forward.__name__ = reverse.__name__ = name
    return forward, reverse


def _unary(name):
    def fn(self):
        return _op(name)(self)

    fn.__name__ = name
    return fn


for _dunder, _name in (
    ("add", "add"),
    ("sub", "subtract"),
    ("mul", "multiply"),
    ("matmul", "matmul"),
    ("div", "divide"),
    ("truediv", "true_divide"),
    ("pow", "power"),
    ("floordiv", "floor_divide"),
    ("mod", "mod"),
    ("and", "logical_and"),
    ("or", "logical_or"),
    ("xor", "logical_xor"),
):
    _f, _r = _binary(_name)
    setattr(KerasTensor, f"__{_dunder}__", _f)
    setattr(KerasTensor, f"__r{_dunder}__", _r)
for _dunder, _name in (
    ("lt", "less"),
    ("le", "less_equal"),
    ("gt", "greater"),
    ("ge", "greater_equal"),
    ("ne", "not_equal"),
):
    setattr(KerasTensor, f"__{_dunder}__", _binary(_name)[0])
for _dunder, _name in (("neg", "negative"), ("abs", "absolute"), ("invert", "logical_not")):
    setattr(KerasTensor, f"__{_dunder}__", _unary(_name))


class Node:
    """One call of a layer on symbolic tensors.

    Attributes:
        layer: The layer called.
        call_args: The positional arguments with KerasTensors left in place.
        call_kwargs: The keyword arguments with KerasTensors left in place.
        input_tensors: Every KerasTensor found in the arguments, in order.
        output_tensors: The KerasTensors the call produced, flattened.
        outputs: The outputs in the structure the layer returned.
    """

    def __init__(self, layer, call_args, call_kwargs, input_tensors, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.input_tensors = input_tensors
        self.outputs = outputs
        self.output_tensors = flatten(outputs)

    @property
    def parent_nodes(self):
        parents = []
        for t in self.input_tensors:
            layer, node_index, _ = t._keras_history
            parents.append(layer._inbound_nodes[node_index])
        return parents

    @property
    def is_input(self) -> bool:
        return not self.input_tensors


def flatten(structure) -> list:
    """Flatten nested lists, tuples and dicts (dicts in key-insertion order)."""
    if isinstance(structure, (list, tuple)):
        out = []
        for s in structure:
            out.extend(flatten(s))
        return out
    if isinstance(structure, dict):
        out = []
        for v in structure.values():
            out.extend(flatten(v))
        return out
    return [structure]


def map_structure(fn, structure):
    """Apply ``fn`` to every leaf, keeping lists, tuples and dicts."""
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def has_keras_tensor(structure) -> bool:
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(has_keras_tensor(s) for s in structure)
    if isinstance(structure, dict):
        return any(has_keras_tensor(s) for s in structure.values())
    return False
