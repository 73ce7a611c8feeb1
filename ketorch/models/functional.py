"""Functional: a model defined by calling layers on ``Input`` tensors.

The recorded graph is compiled once, at construction, into a flat list of
steps over numbered value slots, so a forward pass is one Python loop with no
graph walking.

Example:
    >>> import ketorch as keras
    >>> inputs = keras.Input(shape=(4,))
    >>> outputs = keras.layers.Dense(2)(inputs)
    >>> model = keras.Model(inputs=inputs, outputs=outputs)
    >>> model.output_shape
    (None, 2)
"""

from __future__ import annotations

import torch

from .. import backend
from ..layers.input_layer import InputLayer
from ..layers.input_spec import format_shape
from ..layers.node import KerasTensor, flatten, map_structure
from .model import Model
from .model_config import functional_config, functional_from_config


class _Slot:
    """Marks where a value slot goes inside a layer call's arguments."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _slots_in(structure, found):
    if isinstance(structure, _Slot):
        found.add(structure.index)
    elif isinstance(structure, (list, tuple)):
        for s in structure:
            _slots_in(s, found)
    elif isinstance(structure, dict):
        for s in structure.values():
            _slots_in(s, found)
    return found


def _frees_after_steps(steps, output_slots):
    """For each step, the value slots that no later step reads (model outputs excluded)."""
    last_use = {}
    for i, (_layer, single, args, kwargs, _outs, _single_out) in enumerate(steps):
        reads = {single} if single is not None else _slots_in([args, kwargs], set())
        for slot in reads:
            last_use[slot] = i
    frees = [[] for _ in steps]
    keep = set(output_slots)
    for slot, i in last_use.items():
        if slot not in keep:
            frees[i].append(slot)
    return [tuple(f) for f in frees]


def _fill(structure, values):
    if isinstance(structure, _Slot):
        return values[structure.index]
    if isinstance(structure, list):
        return [_fill(s, values) for s in structure]
    if isinstance(structure, tuple):
        return tuple(_fill(s, values) for s in structure)
    if isinstance(structure, dict):
        return {k: _fill(v, values) for k, v in structure.items()}
    return structure


class Functional(Model):
    """A model whose graph comes from layer calls on symbolic tensors.

    Args:
        inputs: A KerasTensor from ``Input``, or a list or dict of them.
        outputs: The KerasTensor(s) computed from ``inputs`` (a tensor, list
            or dict).
        name: Model name (``"functional"`` by default).
        trainable: Whether the model's weights are trainable.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        if name is None:
            # A Model subclass built with the Functional API is named after its own class.
            cls = type(self)
            base = "functional" if cls is Functional else backend.to_snake_case(cls.__name__)
            name = backend.unique_name(base)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct = _normalize_io(inputs, "inputs")
        self._outputs_struct = _normalize_io(outputs, "outputs")
        if not all(
            t._keras_history is not None and isinstance(t._keras_history[0], InputLayer)
            for t in flatten(self._inputs_struct)
        ):  # inputs computed by layers: a model of the graph after them (as Keras)
            from .cloning import rewire_from_tensors  # cloning builds Functional models

            self._inputs_struct, self._outputs_struct = rewire_from_tensors(
                self._inputs_struct, self._outputs_struct
            )
        self._input_tensors = flatten(self._inputs_struct)
        self._output_tensors = flatten(self._outputs_struct)
        self._compile_graph()
        self.built = True

    # ----------------------------------------------------------- graph build
    def _compile_graph(self):
        slot_of: dict[int, int] = {}
        for i, t in enumerate(self._input_tensors):
            layer = t._keras_history[0]
            if not isinstance(layer, InputLayer):
                raise ValueError(
                    "Model inputs must come from `keras.Input()` (KerasTensors created by an "
                    f"InputLayer). Received an input produced by layer '{layer.name}'."
                )
            slot_of[id(t)] = i
        input_layers = {id(t._keras_history[0]) for t in self._input_tensors}

        order, visiting, done = [], set(), set()
        first_visit: dict[int, int] = {}  # layer id -> pre-order index (Keras's tie-break)

        def visit(tensor, path):
            layer, node_index, _ = tensor._keras_history
            node = layer._inbound_nodes[node_index]
            key = id(node)
            if key in done:
                return
            first_visit.setdefault(id(layer), len(first_visit))
            if isinstance(layer, InputLayer):
                if id(layer) not in input_layers:
                    raise ValueError(
                        f"Graph disconnected: cannot obtain value for tensor {tensor} at layer "
                        f"'{path}'. The input '{layer.name}' it depends on is not among the "
                        "model's `inputs`; pass it in `Model(inputs=[...])`."
                    )
                done.add(key)
                return
            if key in visiting:
                raise ValueError(f"The graph has a cycle through layer '{layer.name}'.")
            visiting.add(key)
            for t in node.input_tensors:
                visit(t, layer.name)
            visiting.discard(key)
            done.add(key)
            order.append(node)

        for t in self._output_tensors:
            visit(t, t._keras_history[0].name)

        n_slots = len(self._input_tensors)
        steps = []
        layers = [t._keras_history[0] for t in self._input_tensors]
        for node in order:
            for t in node.input_tensors:
                if id(t) not in slot_of:  # an input tensor from a non-listed InputLayer
                    raise ValueError(f"Graph disconnected at layer '{node.layer.name}'.")

            def to_slot(x):
                return _Slot(slot_of[id(x)]) if isinstance(x, KerasTensor) else x

            args = map_structure(to_slot, list(node.call_args))
            kwargs = map_structure(to_slot, node.call_kwargs)
            out_slots = []
            for t in node.output_tensors:
                slot_of[id(t)] = n_slots
                out_slots.append(n_slots)
                n_slots += 1
            single = len(args) == 1 and isinstance(args[0], _Slot) and not kwargs
            steps.append(
                (
                    node.layer,
                    args[0].index if single else None,
                    args,
                    kwargs,
                    out_slots,
                    isinstance(node.outputs, KerasTensor),
                )
            )
            if node.layer not in layers:
                layers.append(node.layer)
        layers = _keras_layer_order(layers, order, first_visit)
        self._steps = steps
        self._n_slots = n_slots
        self._output_slots = [slot_of[id(t)] for t in self._output_tensors]
        self._frees = _frees_after_steps(steps, self._output_slots)
        # A plain list, not a tracked container: the positional keys below are the only module
        # paths, so every parameter has one name (state_dict, torch.func.functional_call).
        object.__setattr__(self, "_model_layers", layers)
        # Positional module keys keep state_dict keys stable across instances.
        for i, layer in enumerate(layers):
            self.add_module(str(i), layer)

    # ------------------------------------------------------------- metadata
    @property
    def layers(self):
        """The model's layers; ``keras.ops`` calls recorded in the graph are not layers."""
        return [op for op in self._model_layers if not getattr(op, "_is_operation", False)]

    @property
    def _operations(self):
        """Every layer and recorded op of the graph, in graph order (as Keras)."""
        return list(self._model_layers)

    @property
    def inputs(self):
        return list(self._input_tensors)

    @property
    def outputs(self):
        return list(self._output_tensors)

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self._input_tensors]

    @property
    def output_names(self):
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t._keras_history[0].name for t in self._output_tensors]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._input_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._output_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    def _input_specs(self):
        return [(t.name or t._keras_history[0].name, t.shape, t.dtype) for t in self._input_tensors]

    # -------------------------------------------------------------- forward
    def _flatten_inputs(self, inputs):
        n = len(self._input_tensors)
        if isinstance(inputs, dict):
            names = self.input_names
            if isinstance(self._inputs_struct, dict):
                keys = list(self._inputs_struct)
                missing = [k for k in keys if k not in inputs]
                if not missing:
                    return [inputs[k] for k in keys]
            missing = [k for k in names if k not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}' expects inputs named {names}; the input dict is missing "
                    f"{missing}. Received keys: {sorted(inputs)}"
                )
            return [inputs[k] for k in names]
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != n:
                raise ValueError(
                    f"Model '{self.name}' expects {n} input(s), but it received {len(inputs)} "
                    "input tensors."
                )
            return list(inputs)
        if n != 1:
            raise ValueError(
                f"Model '{self.name}' expects {n} inputs ({self.input_names}), but it received a "
                "single tensor. Pass a list or a dict keyed by input name."
            )
        return [inputs]

    def call(self, inputs, training=None, mask=None):
        values = [None] * self._n_slots
        flat = self._flatten_inputs(inputs)
        for i, x in enumerate(flat):
            if not isinstance(x, torch.Tensor):
                x = backend.to_tensor(x)
            values[i] = x
        frees = self._frees
        for i, (layer, single, args, kwargs, out_slots, single_out) in enumerate(self._steps):
            if single is not None:
                out = layer(values[single])
            else:
                filled = _fill(kwargs, values)
                if (
                    training is not None
                    and "training" in filled
                    and not (filled["training"] is False and isinstance(layer, Model))
                ):
                    # The call's training flag overrides the one recorded for a layer (Keras
                    # files record `training=False` for Dropout-like layers); a sub-model
                    # called with `training=False` stays in inference mode, as the transfer-
                    # learning guide needs (frozen BatchNormalization statistics).
                    filled["training"] = training
                out = layer(*_fill(args, values), **filled)
            if single_out:
                values[out_slots[0]] = out
            else:
                for slot, v in zip(out_slots, flatten(out)):
                    values[slot] = v
            for slot in frees[i]:  # drop values no later step reads (peak memory in predict)
                values[slot] = None
        outs = [values[s] for s in self._output_slots]
        return _restructure(self._outputs_struct, outs)

    def compute_output_shape(self, input_shape):
        flat_shapes = (
            self._flatten_inputs(input_shape) if len(self._input_tensors) > 1 else [input_shape]
        )
        values = [KerasTensor(s) for s in flat_shapes]
        shapes = [None] * self._n_slots
        for i, v in enumerate(values):
            shapes[i] = v
        for layer, _single, args, kwargs, out_slots, _ in self._steps:
            spec = layer.compute_output_spec(*_fill(args, shapes), **_fill(kwargs, shapes))
            for slot, v in zip(out_slots, flatten(spec)):
                shapes[slot] = v
        outs = [shapes[s].shape for s in self._output_slots]
        return _restructure(self._outputs_struct, outs)

    def compute_output_spec(self, *args, **kwargs):
        shape = self.compute_output_shape(
            map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, args[0])
        )
        dtypes = [t.dtype for t in self._output_tensors]
        if isinstance(shape, dict):
            return {k: KerasTensor(v, d) for (k, v), d in zip(shape.items(), dtypes)}
        if isinstance(shape, list):
            return [KerasTensor(s, d) for s, d in zip(shape, dtypes)]
        return KerasTensor(shape, dtypes[0])

    def get_config(self):
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return functional_from_config(config, custom_objects, Functional)


def _keras_layer_order(layers, nodes, first_visit):
    """Order layers as Keras's ``model.layers``: by depth from the outputs (inputs first),
    ties broken by first visit in a depth-first walk from the outputs. This fixes the
    order of ``get_weights()`` and of weight-file paths such as ``dense_1``."""
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(nodes):
        depth = node_depth.setdefault(id(node), 0)
        depth = max(depth, layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[id(node)] = depth
        for t in node.input_tensors:
            parent_layer, node_index, _ = t._keras_history
            parent = parent_layer._inbound_nodes[node_index]
            if parent.input_tensors:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
            else:  # an InputLayer node
                layer_depth[id(parent_layer)] = max(depth + 1, layer_depth.get(id(parent_layer), 0))
    return sorted(
        layers,
        key=lambda lay: (-layer_depth.get(id(lay), 0), first_visit.get(id(lay), -1)),
    )


def _normalize_io(value, what):
    if isinstance(value, KerasTensor):
        _check_kt(value, what)
        return value
    if isinstance(value, dict):
        for v in value.values():
            _check_kt(v, what)
        return dict(value)
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"Model `{what}` must not be empty. Received: {what}={value!r}")
        for v in value:
            _check_kt(v, what)
        return list(value) if len(value) > 1 else value[0] if what == "inputs" else list(value)
    _check_kt(value, what)
    return value


def _check_kt(value, what):
    if not isinstance(value, KerasTensor):
        raise TypeError(
            f"All `{what}` of a Functional model must be symbolic tensors from `keras.Input()` or "
            f"layer calls on them. Received: {what}={value!r} (type {type(value).__name__})"
        )


def _restructure(struct, flat):
    if isinstance(struct, dict):
        return dict(zip(struct.keys(), flat))
    if isinstance(struct, list):
        return list(flat)
    return flat[0]


_ = format_shape
