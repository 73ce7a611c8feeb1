"""Where each object's variables live in a Keras 3 weights file.

Keras names the groups of ``model.weights.h5`` by walking the object tree:
a model's ``layers`` list first (for Sequential and Functional), then its
attributes in sorted order with private names last. Objects inside a list are
named by their snake_case class name with a per-class counter (``dense``,
``dense_1``); objects held in an attribute are named by the attribute
(``lstm/cell``). Every object is written once, at the first path reached.

This module reproduces that walk on ketorch's ``nn.Module`` tree, so files
move between the two libraries. A private attribute that a public property
of the same name (without the underscore) exposes is named by the property,
as Keras's sorted walk reaches the public name first.
"""

from __future__ import annotations

import collections

from torch import nn

from .. import backend
from ..layers.layer import Layer
from ..optimizers import Optimizer

_KERAS_LAYER_ATTRS = frozenset({"layers"})


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _is_layer(obj) -> bool:

    return isinstance(obj, Layer)


def _is_keras_optimizer(obj) -> bool:

    return isinstance(obj, Optimizer)


# ----------------------------------------------------------- layer order
def keras_layers(model) -> list:
    """``model.layers`` in Keras's order.

    For a Functional model Keras sorts layers by depth (longest distance to
    an output, deepest first) and, within a depth, by first visit in a
    depth-first walk from the outputs. Other models keep ``model.layers``.
    """
    if not hasattr(model, "_output_tensors") or not hasattr(model, "_steps"):
        return list(model.layers)
    nodes = []  # post-order: inputs before the nodes that use them
    index: dict[int, int] = {}  # layer id -> first-visit index
    layer_of: dict[int, object] = {}
    done: set[int] = set()

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in done:
            return
        index.setdefault(id(layer), len(index))
        layer_of[id(layer)] = layer
        for t in node.input_tensors:
            visit(t)
        done.add(id(node))
        nodes.append(node)

    for t in model._output_tensors:
        visit(t)
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(nodes):
        depth = node_depth.setdefault(id(node), 0)
        depth = max(depth, layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[id(node)] = depth
        for t in node.input_tensors:
            parent_layer, parent_index, _ = t._keras_history
            parent = parent_layer._inbound_nodes[parent_index]
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in model._input_tensors:  # inputs that reach no output
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)] = 0
            index[id(layer)] = -1
            layer_of[id(layer)] = layer
    by_depth = collections.defaultdict(list)
    for key, depth in layer_depth.items():
        by_depth[depth].append(layer_of[key])
    ordered = []
    for depth in sorted(by_depth, reverse=True):
        ordered.extend(sorted(by_depth[depth], key=lambda layer: index[id(layer)]))
    known = {id(layer) for layer in ordered}
    ordered.extend(layer for layer in model.layers if id(layer) not in known)
    return [layer for layer in ordered if not getattr(layer, "_is_operation", False)]


def own_variables(layer) -> list:
    """A layer's own variables, trainable first, as Keras's ``save_own_variables`` writes them."""
    out, seen = [], set()
    for w in (*layer._trainable_weights, *layer._non_trainable_weights):
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def keras_trainable_variables(model) -> list:
    """``model.trainable_variables`` in Keras's order (layers in Keras's order)."""
    if not getattr(model, "trainable", True):
        return []
    out, seen = [], set()

    def add_layer(layer):
        if not layer.trainable:
            return
        for w in layer._trainable_weights:
            if id(w) not in seen and w.requires_grad:
                seen.add(id(w))
                out.append(w)
        for child in _layer_children_in_order(layer):
            add_layer(child)

    for w in model._trainable_weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    for layer in keras_layers(model) if _is_model_with_layers(model) else model._sublayers():
        add_layer(layer)
    # Anything the walk missed keeps the model's own order at the end.
    for w in model.trainable_weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _layer_children_in_order(layer) -> list:
    if _is_model_with_layers(layer):
        return keras_layers(layer)
    return layer._sublayers()


def _is_model_with_layers(obj) -> bool:
    # models import saving (for save/load methods and configs): resolved at call time.
    from ..models.functional import Functional  # import cycle
    from ..models.sequential import Sequential  # import cycle

    return isinstance(obj, (Sequential, Functional))


# ----------------------------------------------------------- the walk
def _children(obj, include_optimizer):
    """``(attribute_name, child)`` pairs in Keras's visiting order."""
    if _is_keras_optimizer(obj):
        return []
    listed = _is_model_with_layers(obj)
    pairs = []
    if listed:
        pairs.append(("layers", keras_layers(obj)))
    named = []
    positional = set()
    if listed:
        positional = {id(layer) for layer in getattr(obj, "_operations", obj.layers)}
    for key, module in obj._modules.items():
        if module is None or (listed and id(module) in positional and key.isdigit()):
            continue
        named.append((_public_name(obj, key, module), module))
    from ..models.model import Model  # models import saving: resolved at call time

    if isinstance(obj, Model) and not listed:
        named.append(("layers", obj.layers))
    if isinstance(obj, Model) and include_optimizer:
        opt = getattr(obj, "optimizer", None)
        if _is_keras_optimizer(opt) and opt.built:
            named.append(("optimizer", opt))
    named.sort(key=lambda item: _name_key(item[0]))
    return pairs + named


def _public_name(owner, key, child) -> str:
    if key.startswith("_"):
        public = key.lstrip("_")
        if public and isinstance(getattr(type(owner), public, None), property):
            try:
                if getattr(owner, public) is child:
                    return public
            except Exception:  # a property that fails is simply not an alias
                return key
    return key


def _container_items(container) -> list:
    if isinstance(container, nn.ModuleDict):
        return list(container.values())
    if isinstance(container, dict):
        return list(container.values())
    return list(container)


def saveable_entries(model, include_optimizer: bool = True) -> list[tuple[str, object]]:
    """``(path, object)`` for every layer and optimizer, in Keras's walk order.

    The root model has path ``""`` (its group is ``/vars``); a child Dense of
    a Sequential model has ``"layers/dense"``; an LSTM cell
    ``"layers/lstm/cell"``; the optimizer ``"optimizer"``.
    """
    out: list[tuple[str, object]] = []
    visited: set[int] = set()

    def join(path, name):
        return f"{path}/{name}" if path else name

    def walk(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for attr, child in _children(obj, include_optimizer):
            if _is_layer(child) or _is_keras_optimizer(child):
                walk(child, join(path, attr))
            elif isinstance(
                child, (list, tuple, dict, nn.ModuleList, nn.ModuleDict, nn.Sequential)
            ):
                walk_container(child, join(path, attr), set())

    def walk_container(container, path, seen_containers):
        if id(container) in seen_containers:
            return
        seen_containers.add(id(container))
        used: dict[str, int] = {}
        for item in _container_items(container):
            if _is_layer(item) or _is_keras_optimizer(item):
                walk(item, join(path, _unique(backend.to_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict, nn.ModuleList, nn.ModuleDict)):
                walk_container(item, join(path, _unique("container", used)), seen_containers)

    walk(model, "")
    return out


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name
