"""``ketorch.tree`` against ``keras.tree`` (Keras 3 on its torch backend) on many structures.

Where Keras's torch backend departs from Keras's documented behaviour (dicts nested inside
dicts are not sorted there; a namedtuple field's path index is its rank among all field names
there), the expected results come from Keras's optree implementation, which its other
backends use and its docs describe.
"""

from __future__ import annotations

import collections
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from keras.src.tree import optree_impl  # noqa: E402

from ketorch import tree  # noqa: E402
from ketorch.layers.node import KerasTensor  # noqa: E402

ktree = keras.tree
OD = collections.OrderedDict
DD = collections.defaultdict
Point = collections.namedtuple("Point", ["x", "y"])
OtherPoint = collections.namedtuple("OtherPoint", ["x", "y"])
Empty = collections.namedtuple("Empty", [])
Unsorted = collections.namedtuple("Unsorted", ["b", "a"])

TENSOR = torch.arange(3.0)
ARRAY = np.arange(2)
KT = KerasTensor((None, 3))
STRUCTSEQ = torch.max(torch.zeros(2, 2), 0)


def _dd(items, factory=list):
    return DD(factory, items)


STRUCTURES = {
    "int": 1,
    "none": None,
    "str": "abc",
    "tensor": TENSOR,
    "array": ARRAY,
    "kerastensor": KT,
    "set": {1, 2},
    "empty-list": [],
    "empty-tuple": (),
    "empty-dict": {},
    "empty-nt": Empty(),
    "list": [1, 2, 3],
    "single": [TENSOR],
    "nested-single": [[1]],
    "nested-empty": [[], ()],
    "tuple-none": (None, 1, (None,)),
    "dict": {"b": 1, "a": 2, "c": None},
    "int-keys": {10: "x", 2: "y"},
    "odict": OD([("b", 1), ("a", [2, 3])]),
    "defaultdict": _dd([("b", 1), ("a", (2,))]),
    "deque": collections.deque([1, [2, 3]], maxlen=4),
    "namedtuple": Point(x=1, y=[2, {"k": 3}]),
    "structseq": STRUCTSEQ,
    "size": torch.Size([2, 3]),
    "shapes": {"b": (None, 3), "a": [(2,), [4, 5]], "c": []},
    "list-of-dicts": [{"b": 1, "a": 2}, {"d": [3, 4], "c": 5}],
    "mixed": (
        [1, {"y": (TENSOR, None), "x": [ARRAY]}],
        Point(x=KT, y=OD([("z", 1), ("w", 2)])),
        collections.deque([3]),
        _dd([("q", 4), ("p", 5)], int),
        "leaf",
    ),
    "list-subclass-is-leaf": [type("L", (list,), {})([1, 2])],
    "bools-in-shape": [(True, 2), (None,)],
}
IDS = list(STRUCTURES)
# Keras's torch backend hands traverse()/map_shape_structure() functions a copy of the structure
# in which a torch.Size has become a tuple; ketorch hands them the structure itself.
REBUILT = {k: v for k, v in STRUCTURES.items() if k != "size"}


def _equal(a, b, order=True):
    """Equal types and values; dict key order too when ``order``; tensors/arrays by identity."""
    if isinstance(a, (torch.Tensor, np.ndarray, KerasTensor)) or isinstance(
        b, (torch.Tensor, np.ndarray, KerasTensor)
    ):
        return a is b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if order and list(a) != list(b):
            return False
        if set(a) != set(b):
            return False
        if isinstance(a, DD) and a.default_factory is not b.default_factory:
            return False
        return all(_equal(a[k], b[k], order) for k in a)
    if isinstance(a, (list, tuple, collections.deque)):
        if isinstance(a, collections.deque) and a.maxlen != b.maxlen:
            return False
        return len(a) == len(b) and all(_equal(x, y, order) for x, y in zip(a, b))
    return a == b


def _assert_equal(ours, want, order=True):
    assert _equal(ours, want, order), f"\n ours: {ours!r}\n want: {want!r}"


def _outcome(fn):
    try:
        return ("ok", fn())
    except (ValueError, TypeError) as e:
        return (type(e), str(e))


def _compare(ours_fn, keras_fn, order=True):
    ours, want = _outcome(ours_fn), _outcome(keras_fn)
    if want[0] != "ok":
        assert ours[0] is want[0], f"Keras raised {want}, ketorch gave {ours}"
        return
    assert ours[0] == "ok", f"ketorch raised {ours}, Keras returned {want[1]!r}"
    _assert_equal(ours[1], want[1], order)


# --------------------------------------------------------------------------- one structure
@pytest.mark.parametrize("s", STRUCTURES.values(), ids=IDS)
def test_is_nested(s):
    assert tree.is_nested(s) == ktree.is_nested(s)


@pytest.mark.parametrize("s", STRUCTURES.values(), ids=IDS)
def test_flatten(s):
    _compare(lambda: tree.flatten(s), lambda: ktree.flatten(s))


@pytest.mark.parametrize("s", STRUCTURES.values(), ids=IDS)
def test_flatten_with_path(s):
    _compare(lambda: tree.flatten_with_path(s), lambda: ktree.flatten_with_path(s))


@pytest.mark.parametrize("s", STRUCTURES.values(), ids=IDS)
def test_pack_sequence_as_round_trip(s):
    n = len(ktree.flatten(s))
    flat = [f"leaf{i}" for i in range(n)]
    _compare(lambda: tree.pack_sequence_as(s, flat), lambda: ktree.pack_sequence_as(s, flat))
    if type(s) is not torch.Size:  # rebuilt as a tuple, as torch does
        _assert_equal(tree.pack_sequence_as(s, tree.flatten(s)), s, order=False)


@pytest.mark.parametrize("none_is_leaf", [True, False])
@pytest.mark.parametrize("s", STRUCTURES.values(), ids=IDS)
def test_map_structure_one(s, none_is_leaf):
    def f(x):
        return ("L", x)

    _compare(
        lambda: tree.map_structure(f, s, none_is_leaf=none_is_leaf),
        lambda: ktree.map_structure(f, s, none_is_leaf=none_is_leaf),
    )


@pytest.mark.parametrize("s", STRUCTURES.values(), ids=IDS)
def test_map_structure_same_structure_twice(s):
    def f(x, y):
        return (x, y)

    _compare(lambda: tree.map_structure(f, s, s), lambda: ktree.map_structure(f, s, s))
    assert tree.assert_same_structure(s, s) is None
    assert tree.assert_same_paths(s, s) is None
    _compare(
        lambda: tree.map_structure_up_to(s, f, s, s), lambda: ktree.map_structure_up_to(s, f, s, s)
    )


class _Visitor:
    def __init__(self, fn):
        self.fn, self.seen = fn, []

    def __call__(self, x):
        self.seen.append(x)
        return self.fn(x)


TRAVERSE_FUNCS = {
    "none": lambda x: None,
    "double-ints": lambda x: x * 2 if isinstance(x, int) and not isinstance(x, bool) else None,
    "stop-at-tuples": lambda x: "T" if type(x) is tuple else None,
    "drop-lists": lambda x: ktree.MAP_TO_NONE if type(x) is list else None,
    "ones-to-none": lambda x: ktree.MAP_TO_NONE if x is 1 else None,  # noqa: F632
}


@pytest.mark.parametrize("top_down", [True, False])
@pytest.mark.parametrize("fname", list(TRAVERSE_FUNCS))
@pytest.mark.parametrize("s", REBUILT.values(), ids=list(REBUILT))
def test_traverse(s, fname, top_down):
    fn = TRAVERSE_FUNCS[fname]
    ours, want = _Visitor(fn), _Visitor(fn)
    _compare(
        lambda: tree.traverse(ours, s, top_down=top_down),
        lambda: ktree.traverse(want, s, top_down=top_down),
    )
    assert len(ours.seen) == len(want.seen)
    for a, b in zip(ours.seen, want.seen):
        _assert_equal(a, b, order=False)


def test_torch_size_is_a_node_and_a_shape():
    size = torch.Size([2, 3])
    assert tree.flatten(size) == [2, 3]
    assert tree.map_structure(lambda d: d * 2, size) == (4, 6)
    assert tree.map_shape_structure(lambda s: s, [size])[0] is size
    assert tree.traverse(lambda x: x * 2 if isinstance(x, int) else None, size) == (4, 6)


def test_traverse_accepts_both_map_to_none_classes():
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if x == 2 else None, [1, 2]) == [1, None]
    assert tree.traverse(lambda x: ktree.MAP_TO_NONE if x == 2 else None, [1, 2]) == [1, None]


@pytest.mark.parametrize("s", STRUCTURES.values(), ids=IDS)
def test_lists_to_tuples(s):
    _compare(lambda: tree.lists_to_tuples(s), lambda: ktree.lists_to_tuples(s))


@pytest.mark.parametrize("s", REBUILT.values(), ids=list(REBUILT))
def test_map_shape_structure(s):
    def f(x):
        return ("S", x)

    _compare(lambda: tree.map_shape_structure(f, s), lambda: ktree.map_shape_structure(f, s))


# --------------------------------------------------------------------------- two structures
PAIRS = {
    "list-tuple": ([1, 2], (1, 2)),
    "tuple-list": ((1, 2), [1, 2]),
    "arity": ([1, 2], [1, 2, 3]),
    "keys": ({"a": 1}, {"b": 1}),
    "keys-subset": ({"a": 1, "b": 2}, {"a": 1}),
    "dict-odict": ({"a": 1, "b": 2}, OD([("b", 10), ("a", 20)])),
    "odict-dict": (OD([("b", 1), ("a", 2)]), {"a": 10, "b": 20}),
    "odict-odict-order": (OD([("b", 1), ("a", 2)]), OD([("a", 10), ("b", 20)])),
    "dict-defaultdict": ({"a": 1, "b": 2}, _dd([("b", 10), ("a", 20)])),
    "defaultdict-odict": (_dd([("a", 1), ("b", 2)]), OD([("b", 10), ("a", 20)])),
    "nt-tuple": (Point(1, 2), (1, 2)),
    "tuple-nt": ((1, 2), Point(1, 2)),
    "nt-other-nt": (Point(1, 2), OtherPoint(1, 2)),
    "list-deque": ([1], collections.deque([1])),
    "deque-nt": (collections.deque([]), Empty()),
    "leaf-deeper": ([1], [[2, 3]]),
    "deeper-leaf": ([[1]], [2]),
    "none-value": ([None], [1]),
    "value-none": ([1], [None]),
    "none-list": ([None], [[1]]),
    "leaf-list": (1, [1]),
    "list-leaf": ([1], 1),
    "dict-list": ({0: 1, 1: 2}, [1, 2]),
    "empty-list-tuple": ([], ()),
    "nested-ok": (
        {"b": [1, (2, 3)], "a": Point(4, None)},
        {"a": Point(40, 50), "b": [10, (20, 30)]},
    ),
    "tensor-int": ([TENSOR], [1]),
    "structseq-tuple": (STRUCTSEQ, (1, 2)),
    "size-tuple": (torch.Size([1, 2]), (1, 2)),
}
PAIR_IDS = list(PAIRS)


@pytest.mark.parametrize("none_is_leaf", [True, False])
@pytest.mark.parametrize("a,b", PAIRS.values(), ids=PAIR_IDS)
def test_map_structure_two(a, b, none_is_leaf):
    def f(x, y):
        return (x, y)

    _compare(
        lambda: tree.map_structure(f, a, b, none_is_leaf=none_is_leaf),
        lambda: ktree.map_structure(f, a, b, none_is_leaf=none_is_leaf),
    )


@pytest.mark.parametrize("a,b", PAIRS.values(), ids=PAIR_IDS)
def test_assert_same_structure(a, b):
    _compare(lambda: tree.assert_same_structure(a, b), lambda: ktree.assert_same_structure(a, b))


@pytest.mark.parametrize("a,b", PAIRS.values(), ids=PAIR_IDS)
def test_assert_same_paths(a, b):
    _compare(lambda: tree.assert_same_paths(a, b), lambda: ktree.assert_same_paths(a, b))


@pytest.mark.parametrize("a,b", PAIRS.values(), ids=PAIR_IDS)
def test_map_structure_up_to(a, b):
    def f(x):
        return ("L", x)

    _compare(lambda: tree.map_structure_up_to(a, f, b), lambda: ktree.map_structure_up_to(a, f, b))


def test_map_structure_up_to_several():
    shallow = OtherPoint(x=2, y=3)
    deep = OtherPoint(x=Point(x=1, y=2), y=Point(x=2, y=3))
    out = tree.map_structure_up_to(shallow, lambda a, b: (a + b.x) * b.y, shallow, deep)
    assert out == OtherPoint(6, 15)
    names = ["evens", ["odds", "primes"]]
    data = [[2, 4, 6, 8], [[1, 3, 5, 7, 9], [3, 5, 7]]]
    out = tree.map_structure_up_to(names, lambda n, d: f"{len(d)}_{n}", names, data)
    assert out == ["4_evens", ["5_odds", "3_primes"]]


def test_map_structure_three():
    f = lambda *xs: sum(xs)  # noqa: E731
    args = ({"b": [1, 2], "a": 3}, {"a": 30, "b": [10, 20]}, OD([("a", 300), ("b", [100, 200])]))
    _assert_equal(tree.map_structure(f, *args), ktree.map_structure(f, *args))


# --------------------------------------------------------------------------- errors
def test_errors_match_keras_types():
    cases = [
        (lambda t: t.map_structure(lambda x: x), ValueError),
        (lambda t: t.map_structure_up_to([1], lambda x: x), ValueError),
        (lambda t: t.pack_sequence_as([1, 2], [1]), ValueError),
        (lambda t: t.pack_sequence_as([1, 2], [1, 2, 3]), ValueError),
        (lambda t: t.pack_sequence_as(1, [1, 2]), ValueError),
        (lambda t: t.pack_sequence_as(1, []), ValueError),
        (lambda t: t.pack_sequence_as([1, 2], 5), TypeError),
        (lambda t: t.flatten({1: "a", "b": 2}), TypeError),
        (lambda t: t.flatten([{1: "a", "b": 2}]), TypeError),
        (lambda t: t.pack_sequence_as({1: "a", "b": 2}, [1, 2]), TypeError),
        (lambda t: t.assert_same_paths({"a": 1}, {"b": 1}), ValueError),
    ]
    for call, err in cases:
        with pytest.raises(err):
            call(ktree)
        with pytest.raises(err):
            call(tree)


def test_error_messages():
    with pytest.raises(ValueError, match="tuple"):
        tree.map_structure(lambda x, y: x, (), [])
    with pytest.raises(ValueError, match="deque"):
        tree.map_structure(lambda x, y: x, collections.deque(), Empty())
    with pytest.raises(ValueError, match="namedtuple"):
        tree.map_structure(lambda x, y: x, Point(1, 2), OtherPoint(1, 2))
    with pytest.raises(ValueError, match="[Aa]rity"):
        tree.map_structure(lambda x, y: x, [1, 2], [1])
    with pytest.raises(ValueError, match="key"):
        tree.map_structure(lambda x, y: x, {"a": 1, "b": 2}, {"a": 1})
    with pytest.raises(ValueError, match="2 leaves but `flat_sequence` has 1"):
        tree.pack_sequence_as([0, 0], [1])
    with pytest.raises(ValueError, match="Paths in `a` missing in `b`"):
        tree.assert_same_paths({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="some arguments are None"):
        tree.map_structure(lambda x, y: x, [None], [1], none_is_leaf=False)


def test_check_types_is_deprecated():
    for value in (True, False):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tree.assert_same_structure([1], [2], check_types=value)
        assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    with pytest.raises(ValueError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree.assert_same_structure([1], (1,), check_types=False)


# --------------------------------------------------------------------------- documented order
NESTED_DICTS = [
    {"b": {"d": 1, "c": 2}, "a": 3},
    {"b": [{"d": 1, "c": 2}], "a": {"z": {"y": 4, "x": 5}}},
    [Unsorted(b=1, a={"d": 2, "c": 3}), Point(x=4, y=5)],
    (Unsorted(b=Point(x=1, y=2), a=3),),
]


@pytest.mark.parametrize("s", NESTED_DICTS)
def test_documented_order_for_nested_dicts_and_namedtuple_paths(s):
    """Every dict is sorted, and namedtuple fields are indexed by position (Keras's docs and its
    optree backends; its torch backend sorts only the outermost dicts)."""
    _assert_equal(tree.flatten(s), optree_impl.flatten(s))
    _assert_equal(tree.flatten_with_path(s), optree_impl.flatten_with_path(s))
    flat = [f"leaf{i}" for i in range(len(tree.flatten(s)))]
    _assert_equal(
        tree.pack_sequence_as(s, flat), optree_impl.pack_sequence_as(s, flat), order=False
    )
    assert tree.flatten(tree.pack_sequence_as(s, flat)) == flat
    _assert_equal(
        tree.traverse(lambda x: None, s), optree_impl.traverse(lambda x: None, s), order=False
    )
    f = lambda x: ("L", x)  # noqa: E731
    _assert_equal(tree.map_structure(f, s), optree_impl.map_structure(f, s))


def test_leaves_are_untouched():
    x = {"w": TENSOR, "k": KT, "n": None, "s": "text", "a": ARRAY}
    flat = tree.flatten(x)
    assert [id(v) for v in flat] == [id(x[k]) for k in sorted(x)]
    assert tree.map_structure(lambda v: v, x)["w"] is TENSOR
    assert not tree.is_nested(torch.nn.Parameter(torch.zeros(1)))
