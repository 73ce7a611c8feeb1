"""Small public helpers of ``keras.utils``: `Config`, `get_source_inputs`, data packing.

Example:
    >>> from ketorch.utils import Config, pack_x_y_sample_weight, unpack_x_y_sample_weight
    >>> config = Config(learning_rate=0.1)
    >>> config.learning_rate
    0.1
    >>> unpack_x_y_sample_weight(pack_x_y_sample_weight(1, 2))
    (1, 2, None)
"""

from __future__ import annotations

import copy
import difflib
import json
from typing import Any


class Config:
    """A dict of named values readable and writable as attributes; can be frozen.

    Args:
        **kwargs: The initial entries.

    Example:
        >>> config = Config(units=4)
        >>> config.activation = "relu"
        >>> sorted(config)
        ['activation', 'units']
        >>> config.freeze()
        >>> config.units = 8
        Traceback (most recent call last):
        ...
        ValueError: Cannot mutate attribute(s) because the config is frozen.
    """

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        """Whether the config refuses changes."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse every later change."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        """Accept changes again."""
        object.__setattr__(self, "_frozen", False)

    def _check_mutable(self) -> None:
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self) -> dict:
        """A shallow copy of the entries."""
        return copy.copy(self._config)

    def to_json(self) -> str:
        """The entries as a JSON string."""
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, key, default=None):
        return self._config.get(key, default)

    def pop(self, *args):
        self._check_mutable()
        return self._config.pop(*args)

    def update(self, *args, **kwargs) -> None:
        self._check_mutable()
        self._config.update(*args, **kwargs)

    def __setattr__(self, name, value):
        if name in type(self).__dict__ or name.startswith("__"):
            object.__setattr__(self, name, value)
            return
        self._check_mutable()
        self._config[name] = value

    def __getattr__(self, name):
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, list(config), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, value):
        self._check_mutable()
        self._config[key] = value

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._check_mutable()
        del self._config[key]

    def __contains__(self, key):
        return key in self._config

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"


def get_source_inputs(tensor) -> list:
    """The model inputs (``Input`` tensors) that a symbolic tensor is computed from.

    Args:
        tensor: A symbolic tensor of the Functional API.

    Returns:
        The list of input tensors, each once, in the order first reached; the tensor
        itself (in a list) when it is an input or was made by no layer. Anything that is
        not symbolic is returned unchanged.

    Example:
        >>> import ketorch as keras
        >>> a, b = keras.Input((2,)), keras.Input((2,))
        >>> out = keras.layers.Dense(1)(keras.layers.add([a, b]))
        >>> [t is a or t is b for t in get_source_inputs(out)]
        [True, True]
    """
    if not hasattr(tensor, "_keras_history"):
        return tensor
    found: list = []
    seen_nodes: set[int] = set()
    stack = [tensor]
    while stack:  # depth first, left to right, without recursion (deep graphs)
        current = stack.pop()
        history = getattr(current, "_keras_history", None)
        node = None
        if history is not None:
            op, node_index, _ = history
            nodes = getattr(op, "_inbound_nodes", None) or []
            node = nodes[node_index] if node_index < len(nodes) else None
        if node is None:
            sources = [current]
        elif node.is_input:
            sources = list(node.output_tensors)
        else:
            if id(node) not in seen_nodes:
                seen_nodes.add(id(node))
                stack.extend(reversed(node.input_tensors))
            continue
        for source in sources:
            if all(source is not t for t in found):
                found.append(source)
    return found


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Pack ``x``, ``y`` and ``sample_weight`` the way ``fit`` expects a batch.

    Returns:
        ``x`` (or ``(x,)`` when ``x`` is itself a tuple or list), ``(x, y)`` or
        ``(x, y, sample_weight)``.
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """Split a batch into ``(x, y, sample_weight)``, with None for the parts it lacks.

    Raises:
        ValueError: For a tuple or list longer than 3.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}"
    )
