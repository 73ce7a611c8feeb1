"""Keras-format configs of layers and models, and their inverse.

The dicts follow Keras 3's ``config.json`` layout (``module``, ``class_name``,
``config``, ``registered_name``, ``build_config``; Functional ``inbound_nodes``
with ``__keras_tensor__`` entries), so configs move between ketorch and Keras.
"""

from __future__ import annotations

from ..layers.input_layer import InputLayer
from ..layers.node import KerasTensor, map_structure

_CUSTOM_OBJECTS: dict[str, type] = {}


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class for deserialization as ``"package>Name"``."""

    def decorator(cls):
        key = f"{package}>{name or cls.__name__}"
        _CUSTOM_OBJECTS[key] = cls
        cls._registered_name = key
        return cls

    return decorator


def _builtin_classes():
    from .. import layers, models

    out = {}
    for mod in (layers, models):
        for name in dir(mod):
            obj = getattr(mod, name)
            if isinstance(obj, type):
                out[name] = obj
    return out


def get_class(class_name, registered_name=None, custom_objects=None):
    """Find the class for a serialized object, with a clear error if unknown."""
    custom_objects = custom_objects or {}
    for key in (registered_name, class_name):
        if key and key in custom_objects:
            return custom_objects[key]
        if key and key in _CUSTOM_OBJECTS:
            return _CUSTOM_OBJECTS[key]
    builtins = _builtin_classes()
    if class_name in builtins:
        return builtins[class_name]
    raise ValueError(
        f"Could not locate class '{class_name}'. Make sure custom classes are decorated with "
        "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`. "
        f"Received: class_name={class_name!r}, registered_name={registered_name!r}"
    )


def serialize_layer(layer) -> dict:
    """A Keras-style dict for one layer."""
    registered = getattr(type(layer), "_registered_name", None)
    module = "keras.layers"
    if type(layer).__name__ in ("Sequential",):
        module = "keras"
    elif type(layer).__name__ == "Functional":
        module = "keras.src.models.functional"
    out = {
        "module": module if registered is None else type(layer).__module__,
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "registered_name": registered if registered else None,
    }
    if type(layer).__name__ == "Functional":
        out["registered_name"] = "Functional"
    build = layer.get_build_config() if hasattr(layer, "get_build_config") else None
    if build and not isinstance(layer, InputLayer):
        out["build_config"] = build
    return out


def deserialize_layer(config, custom_objects=None):
    """Rebuild a layer (or model) from :func:`serialize_layer` output."""
    if isinstance(config, str):
        return get_class(config, custom_objects=custom_objects)()
    cls = get_class(config["class_name"], config.get("registered_name"), custom_objects)
    inner = dict(config.get("config", {}))
    if hasattr(cls, "_steps") or cls.__name__ in ("Functional", "Sequential"):
        layer = cls.from_config(inner, custom_objects=custom_objects)
    else:
        layer = cls.from_config(inner)
    build = config.get("build_config")
    if build and hasattr(layer, "build_from_config") and not layer.built:
        layer.build_from_config(build)
    return layer


# ------------------------------------------------------------- Sequential
def sequential_config(model) -> dict:
    layers = []
    if model._input_layer is not None:
        layers.append(serialize_layer(model._input_layer))
    layers += [serialize_layer(layer) for layer in model.layers]
    config = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": {
            "module": "keras",
            "class_name": "DTypePolicy",
            "config": {"name": "float32"},
            "registered_name": None,
        },
        "layers": layers,
    }
    if model._input_layer is not None:
        config["build_input_shape"] = list(model._input_layer.batch_shape)
    return config


def sequential_from_config(config, custom_objects=None):
    from ..models.sequential import Sequential

    model = Sequential(name=config.get("name"), trainable=config.get("trainable", True))
    for layer_config in config.get("layers", []):
        layer = deserialize_layer(layer_config, custom_objects)
        model.add(layer, rebuild=False)
    if model._input_layer is None and config.get("build_input_shape"):
        model._input_layer = InputLayer(batch_shape=tuple(config["build_input_shape"]))
    model._rebuild()
    return model


# ------------------------------------------------------------- Functional
def _tensor_ref(t: KerasTensor):
    layer, node_index, tensor_index = t._keras_history
    return {
        "class_name": "__keras_tensor__",
        "config": {
            "shape": list(t.shape),
            "dtype": t.dtype,
            "keras_history": [layer.name, node_index, tensor_index],
        },
    }


def _io_refs(struct):
    def ref(t):
        layer, node_index, tensor_index = t._keras_history
        return [layer.name, node_index, tensor_index]

    if isinstance(struct, KerasTensor):
        return ref(struct)
    if isinstance(struct, dict):
        return {k: ref(v) for k, v in struct.items()}
    return [ref(t) for t in struct]


def functional_config(model) -> dict:
    layers = []
    for layer in model.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        nodes = []
        for node in layer._inbound_nodes:
            if not node.input_tensors:
                continue
            if not _node_in_model(model, node):
                continue
            args = map_structure(
                lambda x: _tensor_ref(x) if isinstance(x, KerasTensor) else x, list(node.call_args)
            )
            kwargs = map_structure(
                lambda x: _tensor_ref(x) if isinstance(x, KerasTensor) else x, node.call_kwargs
            )
            nodes.append({"args": args, "kwargs": kwargs})
        entry["inbound_nodes"] = nodes
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": _io_refs(model._inputs_struct),
        "output_layers": _io_refs(model._outputs_struct),
    }


def _node_in_model(model, node):
    return any(step[0] is node.layer for step in model._steps)


def functional_from_config(config, custom_objects=None):
    from ..models.functional import Functional

    created = {}
    outputs_by_layer: dict[str, list] = {}
    pending = list(config["layers"])
    for entry in pending:
        layer = deserialize_layer(entry, custom_objects)
        created[entry["name"]] = layer
        if isinstance(layer, InputLayer):
            outputs_by_layer[entry["name"]] = [layer._inbound_nodes[0].outputs]

    def resolve(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = x["config"]["keras_history"]
            outs = outputs_by_layer[name][node_index]
            flat = outs if isinstance(outs, list) else [outs]
            return flat[tensor_index]
        if isinstance(x, list) and len(x) >= 3 and isinstance(x[0], str) and isinstance(x[1], int):
            name, node_index, tensor_index = x[0], x[1], x[2]
            outs = outputs_by_layer[name][node_index]
            flat = outs if isinstance(outs, list) else [outs]
            return flat[tensor_index]
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, list):
            return [resolve(v) for v in x]
        return x

    remaining = [e for e in pending if not isinstance(created[e["name"]], InputLayer)]
    while remaining:
        progressed = False
        for entry in list(remaining):
            try:
                calls = [(resolve(n["args"]), resolve(n.get("kwargs", {}))) for n in _nodes(entry)]
            except KeyError:
                continue
            layer = created[entry["name"]]
            for args, kwargs in calls:
                out = layer(*args, **kwargs)
                outputs_by_layer.setdefault(entry["name"], []).append(out)
            remaining.remove(entry)
            progressed = True
        if not progressed:
            raise ValueError(
                "Could not rebuild the Functional graph from its config: layers "
                f"{[e['name'] for e in remaining]} depend on missing tensors."
            )

    def io(spec):
        if isinstance(spec, dict):
            return {k: resolve(list(v)) for k, v in spec.items()}
        if spec and isinstance(spec[0], str):
            return resolve(list(spec))
        return [resolve(list(s)) for s in spec]

    return Functional(
        io(config["input_layers"]),
        io(config["output_layers"]),
        name=config.get("name"),
        trainable=config.get("trainable", True),
    )


def _nodes(entry):
    nodes = entry.get("inbound_nodes", [])
    out = []
    for n in nodes:
        if isinstance(n, dict):
            out.append(n)
        else:  # Keras 2: [[layer, node_idx, tensor_idx, kwargs], ...]
            refs = [[r[0], r[1], r[2]] for r in n]
            kwargs = n[0][3] if n and len(n[0]) > 3 else {}
            out.append({"args": [refs[0]] if len(refs) == 1 else [refs], "kwargs": kwargs})
    return out
