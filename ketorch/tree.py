"""``keras.tree``: utilities for nested structures of lists, tuples, dicts and their kin.

A structure is made of *nodes* and *leaves*. Nodes are ``list``, ``tuple``, namedtuples (and
torch's ``torch.return_types`` tuples), ``dict``, ``collections.OrderedDict``,
``collections.defaultdict``, ``collections.deque`` and ``torch.Size`` (rebuilt as a tuple),
matched by exact type (a subclass of ``list`` or ``dict`` is a leaf). Everything else is a leaf: tensors,
``KerasTensor``s, NumPy arrays, strings, sets and ``None``.

Flattening visits a ``dict`` (or ``defaultdict``) in sorted key order at every level, an
``OrderedDict`` in its own order; :func:`pack_sequence_as` uses the same order, so flattening
and packing round-trip. The functions follow Keras 3 on its torch backend, with two
deliberate differences where that backend departs from Keras's documented (and other
backends') behaviour: dicts nested inside dicts are sorted too, and the path of a namedtuple
field is its position.

Example:

>>> from ketorch import tree
>>> tree.flatten({"b": [1, 2], "a": (3, None)})
[3, None, 1, 2]
>>> tree.map_structure(lambda x: x * 10, {"b": [1, 2], "a": 3})
{'b': [10, 20], 'a': 30}
"""

from __future__ import annotations

import collections
import warnings

import torch

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]


class MAP_TO_NONE:  # noqa: N801 - Keras's public name
    """Return this class from a :func:`traverse` function to replace a node by ``None``."""


# --------------------------------------------------------------------------- node kinds
_LIST, _TUPLE, _NAMED, _STRUCTSEQ, _DEQUE, _SIZE = "list", "tuple", "nt", "structseq", "dq", "sz"
_DICT, _ODICT, _DDICT = "dict", "odict", "ddict"
_DICTS = frozenset((_DICT, _ODICT, _DDICT))
_SORTED = frozenset((_DICT, _DDICT))

_KINDS = {
    list: _LIST,
    tuple: _TUPLE,
    dict: _DICT,
    collections.OrderedDict: _ODICT,
    collections.defaultdict: _DDICT,
    collections.deque: _DEQUE,
    torch.Size: _SIZE,
}


def _kind_of_type(t):
    kind = _KINDS.get(t)
    if kind is not None:
        return kind
    if issubclass(t, tuple):
        if isinstance(getattr(t, "_fields", None), tuple) and callable(getattr(t, "_make", None)):
            kind = _NAMED
        elif t.__module__ == "torch.return_types":
            kind = _STRUCTSEQ
    if kind is not None:
        _KINDS[t] = kind
    return kind


def _kind(x):
    """The node kind of ``x``, or ``None`` for a leaf."""
    t = type(x)
    kind = _KINDS.get(t)
    if kind is not None or t in _LEAF_TYPES:
        return kind
    kind = _kind_of_type(t)
    if kind is None and len(_LEAF_TYPES) < 4096:
        _LEAF_TYPES.add(t)
    return kind


_LEAF_TYPES: set = {int, float, bool, str, type(None), torch.Tensor}


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError as e:
        raise TypeError(
            f"keras.tree: the keys of a dict must be sortable to flatten it ({e}). Use an "
            f"OrderedDict to keep its order instead. Received keys: {list(d)!r}"
        ) from None


def _keys(x, kind):
    """The keys (indices for sequences) of node ``x`` in flattening order."""
    if kind in _DICTS:
        return _sorted_keys(x) if kind in _SORTED else list(x)
    return range(len(x))


def _rebuild(x, kind, keys, values):
    """A node of the same type as ``x`` holding ``values`` (under ``keys`` for dicts)."""
    if kind is _LIST:
        return list(values)
    if kind is _TUPLE:
        return tuple(values)
    if kind is _DICT:
        return dict(zip(keys, values))
    if kind is _NAMED:
        return type(x)(*values)
    if kind is _ODICT:
        return collections.OrderedDict(zip(keys, values))
    if kind is _DDICT:
        return collections.defaultdict(x.default_factory, zip(keys, values))
    if kind is _DEQUE:
        return collections.deque(values, maxlen=x.maxlen)
    if kind is _STRUCTSEQ:
        return type(x)(list(values))
    return tuple(values)  # torch.Size, as torch rebuilds it


def _type_name(x):
    kind = _kind(x)
    if kind is _NAMED or kind is _STRUCTSEQ:
        return f"namedtuple {type(x)!r}"
    return repr(type(x))


def _check_node(x, kind, other):
    """Raise ``ValueError`` unless ``other`` is a node matching node ``x``."""
    okind = _kind(other)
    if kind in _DICTS:
        if okind not in _DICTS:
            raise ValueError(
                f"Node type mismatch; expected {_type_name(x)}, but got {_type_name(other)}."
            )
        if x.keys() != other.keys():
            missing = set(x) - set(other)
            extra = set(other) - set(x)
            raise ValueError(
                f"Node keys mismatch; missing key(s): {missing or '{}'}; extra key(s): "
                f"{extra or '{}'}."
            )
        return
    if okind != kind:
        raise ValueError(
            f"Node type mismatch; expected {_type_name(x)}, but got {_type_name(other)}."
        )
    if (kind is _NAMED or kind is _STRUCTSEQ) and type(other) is not type(x):
        raise ValueError(
            f"Node type mismatch; expected {_type_name(x)}, but got {_type_name(other)}."
        )
    if len(other) != len(x):
        raise ValueError(f"Node arity mismatch; expected {len(x)}, but got {len(other)}.")


# --------------------------------------------------------------------------- public API
def is_nested(structure):
    """Whether ``structure`` is a node (a list, tuple, namedtuple, dict, deque...) rather than
    a leaf.

    >>> from ketorch import tree
    >>> tree.is_nested([1]), tree.is_nested(None), tree.is_nested("ab")
    (True, False, False)
    """
    return _kind(structure) is not None


def flatten(structure):
    """The leaves of ``structure`` in a list (dicts in sorted key order, ``OrderedDict``s in
    their own order); a leaf gives ``[leaf]``.

    >>> from ketorch import tree
    >>> tree.flatten([[1, 2], {"y": 3, "x": (4,)}])
    [1, 2, 4, 3]
    >>> tree.flatten(None)
    [None]
    """
    out = []
    append = out.append

    def visit(x):
        kind = _kind(x)
        if kind is None:
            append(x)
        elif kind in _DICTS:
            for k in _keys(x, kind):
                visit(x[k])
        else:
            for v in x:
                visit(v)

    visit(structure)
    return out


def flatten_with_path(structure):
    """``(path, leaf)`` pairs in :func:`flatten` order; a path is the tuple of keys and
    indices leading to the leaf.

    >>> from ketorch import tree
    >>> tree.flatten_with_path([{"foo": 42}])
    [((0, 'foo'), 42)]
    """
    out = []

    def visit(x, path):
        kind = _kind(x)
        if kind is None:
            out.append((path, x))
            return
        for k in _keys(x, kind):
            visit(x[k], path + (k,))

    visit(structure, ())
    return out


def pack_sequence_as(structure, flat_sequence):
    """Rebuild ``structure`` with the leaves taken in order from ``flat_sequence`` (the
    inverse of :func:`flatten`).

    Raises:
        ValueError: when ``flat_sequence`` does not hold exactly one value per leaf.
        TypeError: when ``flat_sequence`` is not iterable.

    >>> from ketorch import tree
    >>> tree.pack_sequence_as({"b": [0, 0], "a": 0}, [1, 2, 3])
    {'a': 1, 'b': [2, 3]}
    """
    try:
        flat = list(flat_sequence)
    except TypeError:
        raise TypeError(
            "keras.tree.pack_sequence_as: `flat_sequence` must be a sequence. Received: "
            f"flat_sequence={flat_sequence!r}"
        ) from None
    position = 0

    def build(x):
        nonlocal position
        kind = _kind(x)
        if kind is None:
            if position >= len(flat):
                raise IndexError
            position += 1
            return flat[position - 1]
        keys = _keys(x, kind)
        if kind in _DICTS:
            return _rebuild(x, kind, keys, [build(x[k]) for k in keys])
        return _rebuild(x, kind, keys, [build(v) for v in x])

    def mismatch():
        count = len(flatten(structure))
        return ValueError(
            "keras.tree.pack_sequence_as: `structure` has "
            f"{count} leaves but `flat_sequence` has {len(flat)} elements. Received: "
            f"structure={structure!r}, flat_sequence={flat!r}"
        )

    try:
        result = build(structure)
    except IndexError:
        raise mismatch() from None
    if position != len(flat):
        raise mismatch()
    return result


def map_structure(func, *structures, none_is_leaf=True):
    """Apply ``func`` to the leaves of ``structures``, rebuilding the first one's structure.

    With several structures, ``func`` gets the leaves at the same position of each; they must
    have the same nodes (``dict``, ``OrderedDict`` and ``defaultdict`` are interchangeable,
    matched by key) wherever the first structure has one.

    Args:
        func: The function of one leaf per structure.
        *structures: The structures.
        none_is_leaf: When ``False``, ``None`` leaves of the first structure stay ``None``
            without calling ``func`` (the others must hold ``None`` there too).

    Raises:
        ValueError: when the structures do not match.

    >>> from ketorch import tree
    >>> tree.map_structure(lambda x, y: x + y, [1, (2, 3)], [10, (20, 30)])
    [11, (22, 33)]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    if len(structures) == 1:

        def one(x):
            kind = _kind(x)
            if kind is None:
                if x is None and not none_is_leaf:
                    return None
                return func(x)
            if kind in _DICTS:
                keys = list(x)
                return _rebuild(x, kind, keys, [one(x[k]) for k in keys])
            return _rebuild(x, kind, None, [one(v) for v in x])

        return one(structures[0])

    def many(xs):
        first = xs[0]
        kind = _kind(first)
        if kind is None:
            if first is None and not none_is_leaf:
                if any(o is not None for o in xs[1:]):
                    raise ValueError(
                        "Structure mismatch: some arguments are None, others are not. "
                        f"Received arguments: {tuple(xs)}."
                    )
                return None
            return func(*xs)
        for other in xs[1:]:
            _check_node(first, kind, other)
        if kind in _DICTS:
            keys = list(first)
            return _rebuild(first, kind, keys, [many([o[k] for o in xs]) for k in keys])
        return _rebuild(first, kind, None, [many(vs) for vs in zip(*xs)])

    return many(structures)


def map_structure_up_to(shallow_structure, func, *structures):
    """Like :func:`map_structure`, but only down to the leaves of ``shallow_structure``:
    ``func`` gets the (possibly nested) parts of ``structures`` found there.

    >>> from ketorch import tree
    >>> tree.map_structure_up_to([0, 0], len, [[1, 2], (3,)])
    [2, 1]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")

    def visit(shallow, xs):
        kind = _kind(shallow)
        if kind is None:
            return func(*xs)
        for x in xs:
            _check_node(shallow, kind, x)
        if kind in _DICTS:
            keys = list(shallow)
            return _rebuild(
                shallow, kind, keys, [visit(shallow[k], [x[k] for x in xs]) for k in keys]
            )
        return _rebuild(
            shallow,
            kind,
            None,
            [visit(s, [x[i] for x in xs]) for i, s in enumerate(shallow)],
        )

    return visit(shallow_structure, structures)


def assert_same_structure(a, b, check_types=None):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same nodes (same types, except that
    ``dict``, ``OrderedDict`` and ``defaultdict`` match each other) and leaves in the same
    places.

    Args:
        a, b: The structures.
        check_types: Deprecated and ignored (use :func:`assert_same_paths` for a looser check).
    """
    if check_types is not None:
        if check_types:
            warnings.warn(
                "The `check_types` argument is deprecated and no longer has any effect, "
                "please remove.",
                DeprecationWarning,
                stacklevel=2,
            )
        else:
            warnings.warn(
                "The `check_types` argument is deprecated and no longer has any effect. For a "
                "looser check, use `keras.tree.assert_same_paths()`, which considers `list`, "
                "`tuple`, `namedtuple` and `deque` as matching",
                DeprecationWarning,
                stacklevel=2,
            )

    def visit(x, y):
        kind = _kind(x)
        if kind is None:
            if _kind(y) is not None:
                raise ValueError("Structures don't have the same nested structure.")
            return
        _check_node(x, kind, y)
        if kind in _DICTS:
            for k in x:
                visit(x[k], y[k])
        else:
            for u, v in zip(x, y):
                visit(u, v)

    visit(a, b)


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same set of leaf paths (so lists,
    tuples, namedtuples and deques of equal length match, and so do dicts of equal keys)."""
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        msg = "`a` and `b` don't have the same paths."
        a_diff = a_paths - b_paths
        if a_diff:
            msg += f"\nPaths in `a` missing in `b`:\n{a_diff}"
        b_diff = b_paths - a_paths
        if b_diff:
            msg += f"\nPaths in `b` missing in `a`:\n{b_diff}"
        raise ValueError(msg)


def _is_map_to_none(value):
    return isinstance(value, type) and value.__name__ == "MAP_TO_NONE"


def traverse(func, structure, top_down=True):
    """Apply ``func`` to every node and leaf of ``structure``, depth first.

    Top down (default), ``func`` sees a node before its children: returning ``None`` keeps
    the node and traverses its children, any other value replaces the node (its children are
    not visited). Bottom up, ``func`` sees each node rebuilt from its traversed children;
    ``None`` keeps it. Returning :class:`MAP_TO_NONE` puts ``None`` in place. Dicts are visited
    (and rebuilt) in sorted key order.

    >>> from ketorch import tree
    >>> tree.traverse(lambda x: x * 2 if isinstance(x, int) else None, [1, (2, [3])])
    [2, (4, [6])]
    """

    def children(x):
        kind = _kind(x)
        if kind is None:
            return x
        keys = _keys(x, kind)
        if kind in _DICTS:
            return _rebuild(x, kind, keys, [visit(x[k]) for k in keys])
        return _rebuild(x, kind, keys, [visit(v) for v in x])

    def visit(x):
        if top_down:
            ret = func(x)
            if ret is None:
                return children(x)
        else:
            x = children(x)
            ret = func(x)
            if ret is None:
                return x
        return None if _is_map_to_none(ret) else ret

    return visit(structure)


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple.

    >>> from ketorch import tree
    >>> tree.lists_to_tuples([1, [2, {"a": [3]}]])
    (1, (2, {'a': (3,)}))
    """
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)


def map_shape_structure(func, structure):
    """Apply ``func`` to every shape in ``structure``: a shape (a list or tuple of ints and
    ``None``s) is a leaf here.

    >>> from ketorch import tree
    >>> tree.map_shape_structure(len, {"a": (None, 3), "b": [(1,), (2, 2)]})
    {'a': 2, 'b': [1, 2]}
    """

    def visit(x):
        kind = None if _is_shape(x) else _kind(x)
        if kind is None:
            return func(x)
        keys = _keys(x, kind)
        if kind in _DICTS:
            return _rebuild(x, kind, keys, [visit(x[k]) for k in keys])
        return _rebuild(x, kind, keys, [visit(v) for v in x])

    return visit(structure)
