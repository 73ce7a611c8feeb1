"""clone_model, model_from_json: new models from existing ones or from their JSON config.

Example:
    >>> import ketorch as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> clone = keras.models.clone_model(model)
    >>> clone.layers[0] is model.layers[0], clone.output_shape
    (False, (None, 2))
    >>> keras.models.model_from_json(model.to_json()).output_shape
    (None, 2)
"""

from __future__ import annotations

import json

import numpy as np

from ..layers.input_layer import Input, InputLayer
from ..layers.node import KerasTensor, flatten, map_structure
from ..saving.serialization import (
    compile_config,
    compile_from_config,
    deserialize_keras_object,
    serialize_keras_object,
)
from .functional import Functional, _fill
from .sequential import Sequential


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def _caching(clone_function, call_function, recursive, cache):
    """``clone_function`` (or a fresh-from-config copy) applied once per layer object."""
    clone_function = clone_function or _default_clone

    def clone(layer):
        key = id(layer)
        if key not in cache:
            if recursive and isinstance(layer, (Sequential, Functional)):
                cache[key] = clone_model(
                    layer,
                    clone_function=clone_function,
                    call_function=call_function if isinstance(layer, Functional) else None,
                    recursive=True,
                    cache=cache,
                )
            else:
                cache[key] = clone_function(layer)
        return cache[key]

    return clone


def _copy_compile(source, target):
    if getattr(source, "compiled", False):
        compile_from_config(target, compile_config(source))
    return target


def _clone_sequential(model, clone, input_tensors):
    new_layers = [clone(layer) for layer in model.layers]
    ref = model._input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(
                "Argument `input_tensors` must be a KerasTensor. Received invalid value: "
                f"input_tensors={input_tensors}"
            )
        origin = input_tensors._keras_history[0]
        if not isinstance(origin, InputLayer):
            origin = Input(tensor=input_tensors, name=ref.name if ref is not None else None)
        new_layers = [origin] + new_layers
    elif ref is not None:
        new_layers = [
            InputLayer(
                batch_shape=ref.batch_shape, dtype=ref.dtype, name=ref.name, optional=ref.optional
            )
        ] + new_layers
    return Sequential(new_layers, name=model.name, trainable=model.trainable)


def _run_through_graph(model, inputs, clone, call_function):
    """Replay the graph of ``model`` on ``inputs`` with every layer replaced by its clone."""
    values = [None] * model._n_slots
    for i, t in enumerate(flatten(inputs)):
        values[i] = t
    for layer, _single, args, kwargs, out_slots, single_out in model._steps:
        args, kwargs = _fill(args, values), _fill(kwargs, values)
        if getattr(layer, "_is_operation", False):
            out = layer(*args, **kwargs)  # a recorded keras.ops call: stateless, reused
        else:
            new_layer = clone(layer)
            out = call_function(new_layer, *args, **kwargs) if call_function else None
            if out is None:
                out = new_layer(*args, **kwargs)
        if single_out:
            values[out_slots[0]] = out
        else:
            for slot, v in zip(out_slots, flatten(out)):
                values[slot] = v
    outs = [values[s] for s in model._output_slots]
    struct = model._outputs_struct
    if isinstance(struct, dict):
        return dict(zip(struct, outs))
    return list(outs) if isinstance(struct, list) else outs[0]


def _same_structure(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_same_structure(a[k], b[k]) for k in a)
        )
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(_same_structure(x, y) for x, y in zip(a, b))
        )
    return True


def _clone_functional(model, clone, input_tensors, call_function):
    if input_tensors is not None:
        if not all(isinstance(x, KerasTensor) for x in flatten(input_tensors)):
            raise ValueError(
                "All entries in `input_tensors` must be KerasTensors. Received invalid values: "
                f"inputs_tensors={input_tensors}"
            )
        reference = model.input
        if isinstance(input_tensors, (list, tuple)) and len(input_tensors) == 1:
            if not isinstance(reference, (list, tuple, dict)):
                input_tensors = input_tensors[0]
        if not _same_structure(input_tensors, reference):
            raise ValueError(
                "`input_tensors` must have the same structure as model.input\n"
                f"Reference structure: {reference}\nReceived structure: {input_tensors}"
            )
    else:
        input_tensors = map_structure(
            lambda t: Input(batch_shape=t.shape, dtype=t.dtype, name=t.name), model.input
        )
    outputs = _run_through_graph(model, input_tensors, clone, call_function)
    cls = type(model)
    target = cls.__dict__.get("_functional_subclass_of")
    if target is not None or cls is Functional:
        new_model = (target or Functional)(input_tensors, outputs, name=model.name)
    else:
        try:
            new_model = cls(input_tensors, outputs, name=model.name)
        except TypeError:  # a subclass whose constructor takes other arguments
            new_model = Functional(input_tensors, outputs, name=model.name)
    new_model.trainable = model.trainable
    return new_model


def clone_model(
    model,
    input_tensors=None,
    clone_function=None,
    call_function=None,
    recursive: bool = False,
    **kwargs,
):
    """A new model with the same architecture and newly initialized weights.

    Sequential and Functional models are rebuilt layer by layer: each layer is passed
    to ``clone_function`` (by default a copy made from its config) and the graph is
    called again on new inputs. Other models are rebuilt from their config. A compiled
    model's clone is compiled the same way. Weights are not copied: call
    ``clone.set_weights(model.get_weights())`` for that.

    Args:
        model: The model to clone.
        input_tensors: Optional ``Input`` tensor(s) for the clone, in the structure of
            ``model.input`` (Sequential and Functional models only).
        clone_function: ``layer -> new layer``; return ``layer`` itself to share it.
        call_function: Functional models only: ``(layer, *args, **kwargs) -> outputs``,
            to change how a cloned layer is called (for instance to add a layer after
            it). Returning None calls the layer as usual.
        recursive: Also clone the layers inside nested Sequential/Functional models
            with ``clone_function`` (otherwise a nested model is one layer).
        **kwargs: Only ``cache``, an internal dict of layers already cloned.

    Returns:
        The new model.

    Raises:
        ValueError: For ``input_tensors``/``clone_function`` on a subclassed model, or
            ``call_function`` on a Sequential model.
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    cache = {} if cache is None else cache
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models. In a "
                "Sequential model, layers aren't called at model-construction time (they're "
                "merely listed). Use `call_function` with Functional models only. Received model "
                f"of type '{type(model).__name__}', with call_function={call_function}"
            )
        clone = _caching(clone_function, None, recursive, cache)
        return _copy_compile(model, _clone_sequential(model, clone, input_tensors))
    if isinstance(model, Functional):
        clone = _caching(clone_function, call_function, recursive, cache)
        new_model = _clone_functional(model, clone, input_tensors, call_function)
        return _copy_compile(model, new_model)
    if clone_function or input_tensors:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential "
            f"models or Functional models. Received model of type '{type(model).__name__}', "
            f"with clone_function={clone_function} and input_tensors={input_tensors}"
        )
    if call_function is not None:
        raise ValueError(
            "Argument `call_function` is only supported for Functional models. Received model "
            f"of type '{type(model).__name__}', with call_function={call_function}"
        )

    return deserialize_keras_object(
        serialize_keras_object(model), custom_objects={type(model).__name__: type(model)}
    )


def model_to_json(model, **kwargs) -> str:
    """The JSON of ``serialize_keras_object(model)`` (Keras's ``model.to_json()``)."""

    return json.dumps(serialize_keras_object(model), default=_json_default, **kwargs)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def model_from_json(json_string: str, custom_objects=None):
    """Build an (uncompiled) model from the JSON of ``model.to_json()``.

    Args:
        json_string: The JSON text (Keras 3's, or Keras 2's ``{"class_name", "config"}``).
        custom_objects: ``{name: class_or_function}`` for user classes in the config.

    Returns:
        A new model with newly initialized weights.
    """

    config = json.loads(json_string)
    return deserialize_keras_object(config, custom_objects=custom_objects)


def _nodes_between(inputs, outputs) -> list:
    """The graph nodes that compute ``outputs`` from ``inputs``, inputs first."""
    stop = {id(t) for t in inputs}
    order, done = [], set()
    stack = [(t, False) for t in reversed(outputs)]
    while stack:  # iterative post-order walk (graphs can be deeper than the recursion limit)
        tensor, expanded = stack.pop()
        if id(tensor) in stop or tensor._keras_history is None:
            continue
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((tensor, True))
        stack.extend((t, False) for t in reversed(node.input_tensors))
    return order


def rewire_from_tensors(inputs, outputs):
    """``(inputs, outputs)`` where every input that is not an ``Input`` becomes one.

    ``Model(inputs=x, outputs=y)`` with ``x`` computed by layers (e.g. a FeatureSpace's
    encoded features) is a model of the part of the graph after ``x``: each such input
    is replaced by a new ``Input`` of its shape and dtype, and the layers between the
    inputs and ``outputs`` are called again (the same layer objects) on the new inputs.
    """
    flat_inputs = flatten(inputs)
    mapping: dict[int, KerasTensor] = {}
    for t in flat_inputs:
        history = t._keras_history
        if history is None or not isinstance(history[0], InputLayer):
            mapping[id(t)] = Input(batch_shape=t.shape, dtype=t.dtype)

    def swap(x):
        return mapping.get(id(x), x) if isinstance(x, KerasTensor) else x

    for node in _nodes_between(flat_inputs, flatten(outputs)):
        new = node.layer(
            *map_structure(swap, list(node.call_args)), **map_structure(swap, node.call_kwargs)
        )
        for old, fresh in zip(node.output_tensors, flatten(new)):
            mapping[id(old)] = fresh
    return map_structure(swap, inputs), map_structure(swap, outputs)
