"""Keras-format configs of layers, models and compile settings, and their inverse.

The dicts follow Keras 3's ``config.json`` layout (``module``, ``class_name``,
``config``, ``registered_name``, ``build_config``; Functional ``inbound_nodes``
with ``__keras_tensor__`` entries), so configs move between ketorch and Keras.
Keras 2 configs (no ``module``, old ``inbound_nodes`` lists) are read too.

Deserialization only ever instantiates classes found among ketorch's layers and
models or registered by the user: nothing named in a file is imported, and a
Python ``lambda`` stored as bytecode is refused unless ``safe_mode=False``.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import warnings

import numpy as np
import torch

from .. import backend
from ..layers.input_layer import InputLayer
from ..layers.node import KerasTensor, flatten, map_structure
from .object_registration import (
    _CUSTOM_OBJECTS,
    custom_object_scope,
    register_keras_serializable,
    scoped_objects,
)

__all__ = [
    "_CUSTOM_OBJECTS",
    "register_keras_serializable",
    "get_class",
    "serialize_layer",
    "deserialize_layer",
    "serialize_keras_object",
    "deserialize_keras_object",
    "compile_config",
    "compile_from_config",
    "safe_mode_scope",
    "loading_in_safe_mode",
    "enable_unsafe_deserialization",
]

_STATE = threading.local()
_UNSAFE_GLOBALLY = [False]


def enable_unsafe_deserialization() -> None:
    """Allow bytecode ``lambda`` deserialization for the rest of the process."""
    _UNSAFE_GLOBALLY[0] = True


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool | None):
    """Within the block, deserialization uses ``safe_mode`` (``None`` keeps the outer value)."""
    previous = getattr(_STATE, "safe_mode", None)
    if safe_mode is not None:
        _STATE.safe_mode = bool(safe_mode)
    try:
        yield
    finally:
        _STATE.safe_mode = previous


def in_safe_mode() -> bool:
    """Whether bytecode lambdas are refused right now (the default)."""
    if _UNSAFE_GLOBALLY[0]:
        return False
    value = getattr(_STATE, "safe_mode", None)
    return True if value is None else value


def loading_in_safe_mode() -> bool:
    """Whether a safe-mode load is running in this thread (so config-named files are refused).

    Outside ``load_model``/``deserialize_keras_object`` (user code building
    layers directly) this is False, as in Keras.
    """
    return not _UNSAFE_GLOBALLY[0] and getattr(_STATE, "safe_mode", None) is True


# ---------------------------------------------------------------- classes
def _builtin_classes() -> dict[str, type]:
    from .. import layers, models

    out = {}
    for mod in (layers, models):
        for name in dir(mod):
            obj = getattr(mod, name)
            if isinstance(obj, type):
                out[name] = obj
    from ..utils.feature_space import FeatureSpace  # a layer Keras exports from keras.utils

    out["FeatureSpace"] = FeatureSpace
    return out


def get_class(class_name, registered_name=None, custom_objects=None) -> type:
    """The class a serialized layer/model names, from the registry or ketorch's built-ins.

    Raises:
        ValueError: If no registered, custom or built-in class has that name.
    """
    table = scoped_objects(custom_objects)
    for key in (registered_name, class_name):
        if isinstance(key, str) and key in table:
            return table[key]
    if isinstance(class_name, str):
        builtins = _builtin_classes()
        if class_name in builtins:
            return builtins[class_name]
    raise ValueError(
        f"Could not locate class '{class_name}'. Make sure custom classes are decorated with "
        "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`. "
        f"Received: class_name={class_name!r}, registered_name={registered_name!r}"
    )


def _accepts(fn, name) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


# ---------------------------------------------------------------- layers
def serialize_layer(layer) -> dict:
    """A Keras-style dict for one layer or model."""
    # A Model subclass built with the Functional API is saved as the user's class.
    cls = type(layer).__dict__.get("_functional_subclass_of") or type(layer)
    registered = getattr(cls, "_registered_name", None)
    if registered is not None and _CUSTOM_OBJECTS.get(registered) is not cls:
        registered = None  # inherited from a registered parent class
    # A class Keras exports under another name (GroupedQueryAttention as GroupQueryAttention).
    name = cls.__dict__.get("_keras_export_name", cls.__name__)
    op_module = cls.__dict__.get("_keras_module")
    if op_module is not None:  # a keras.ops call recorded in a Functional graph
        module, registered = op_module, name
    elif registered is not None:
        module = cls.__module__
    elif name == "Sequential":
        module = "keras"
    elif name == "Functional":
        module, registered = "keras.src.models.functional", "Functional"
    elif cls.__module__.startswith("ketorch.models"):
        module = "keras"
    elif not cls.__module__.startswith("ketorch."):  # a user's class, as Keras writes it
        module, registered = None, name
    else:
        module = "keras.layers"
    out = {
        "module": module,
        "class_name": name,
        "config": layer.get_config(),
        "registered_name": registered,
    }
    build = layer.get_build_config() if hasattr(layer, "get_build_config") else None
    if build and not isinstance(layer, InputLayer):
        out["build_config"] = build
    return out


def deserialize_layer(config, custom_objects=None):
    """Rebuild a layer (or model) from :func:`serialize_layer` output.

    Raises:
        ValueError: If the dict is malformed or names an unknown class.
    """
    if isinstance(config, str):
        return get_class(config, custom_objects=custom_objects)()
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(
            "A serialized layer must be a dict with a string `class_name`. "
            f"Received: config={_short(config)}"
        )
    cls = None
    if str(config.get("module") or "").startswith("keras.src.ops."):
        from ..ops.operation import operation_class_by_keras_name

        cls = operation_class_by_keras_name(config["class_name"])
    if cls is None:
        cls = get_class(config["class_name"], config.get("registered_name"), custom_objects)
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(
            f"The `config` of a serialized '{config['class_name']}' must be a dict. "
            f"Received: config={_short(inner)}"
        )
    inner = dict(inner)
    kwargs = {}
    if _accepts(cls.from_config, "custom_objects"):
        kwargs["custom_objects"] = scoped_objects(custom_objects)
    if _accepts(cls.from_config, "safe_mode"):
        kwargs["safe_mode"] = in_safe_mode()
    with custom_object_scope(custom_objects):  # nested lookups (activations...) see them
        layer = cls.from_config(inner, **kwargs)
    build = config.get("build_config")
    if build and hasattr(layer, "build_from_config") and not layer.built:
        layer.build_from_config(build)
    return layer


def _short(value, limit=200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


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
    for layer in getattr(model, "_operations", model.layers):
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        nodes = []
        for node in layer._inbound_nodes:
            if not node.input_tensors:
                continue
            if not _node_in_model(model, node):
                continue
            args = map_structure(_encode_arg, list(node.call_args))
            kwargs = map_structure(_encode_arg, node.call_kwargs)
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


def _encode_arg(x):
    """One leaf of a node's arguments as Keras writes it in config.json."""
    if isinstance(x, KerasTensor):
        return _tensor_ref(x)
    if isinstance(x, slice):
        return {
            "class_name": "__slice__",
            "config": {
                "start": _encode_arg(x.start),
                "stop": _encode_arg(x.stop),
                "step": _encode_arg(x.step),
            },
        }
    if x is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(x, torch.Tensor):
        t = x.detach().cpu()
        return {
            "class_name": "__tensor__",
            "config": {"value": t.tolist(), "dtype": backend.standardize_dtype(t.dtype)},
        }
    if isinstance(x, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": x.tolist(), "dtype": x.dtype.name}}
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, torch.dtype):
        return backend.standardize_dtype(x)
    return x


def _decode_arg(x):
    """The inverse of :func:`_encode_arg` for the special leaves (slices, constants)."""
    kind = x.get("class_name")
    inner = x.get("config") or {}
    if kind == "__slice__":
        return slice(*(_decode_value(inner.get(k)) for k in ("start", "stop", "step")))
    if kind == "__ellipsis__":
        return Ellipsis
    if kind in ("__tensor__", "__numpy__"):
        dtype = backend.standardize_dtype(inner.get("dtype"))
        value = np.asarray(inner.get("value"), dtype=np.float32 if dtype == "bfloat16" else dtype)
        if kind == "__numpy__":
            return value
        return backend.to_tensor(value, dtype=backend.torch_dtype(dtype))
    return None


def _decode_value(x):
    if isinstance(x, dict) and x.get("class_name") in _SPECIAL_LEAVES:
        return _decode_arg(x)
    return x


_SPECIAL_LEAVES = ("__slice__", "__ellipsis__", "__tensor__", "__numpy__")


def _node_in_model(model, node):
    return any(step[0] is node.layer for step in model._steps)


def functional_from_config(config, custom_objects=None, cls=None):
    """Rebuild a Functional graph; ``cls`` is a Model subclass to build it as (default
    Functional)."""
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
        if isinstance(x, dict) and x.get("class_name") in _SPECIAL_LEAVES:
            return _decode_arg(x)
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = x["config"]["keras_history"]
            outs = outputs_by_layer[name][node_index]
            flat = flatten(outs)
            return flat[tensor_index]
        if isinstance(x, list) and len(x) >= 3 and isinstance(x[0], str) and isinstance(x[1], int):
            name, node_index, tensor_index = x[0], x[1], x[2]
            outs = outputs_by_layer[name][node_index]
            flat = flatten(outs)
            return flat[tensor_index]
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, list):
            return [resolve(v) for v in x]
        return x

    remaining = [e for e in pending if not isinstance(created[e["name"]], InputLayer)]
    # Nodes are replayed one at a time: a shared layer's later call may consume an output
    # of its own earlier call (a tied embedding used again as the output projection).
    replayed = {e["name"]: 0 for e in remaining}
    while remaining:
        progressed = False
        for entry in list(remaining):
            name, nodes = entry["name"], _nodes(entry)
            layer = created[name]
            while replayed[name] < len(nodes):
                node = nodes[replayed[name]]
                try:
                    args, kwargs = resolve(node["args"]), resolve(node.get("kwargs", {}))
                except (KeyError, IndexError):
                    break
                out = layer(*args, **kwargs)
                outputs_by_layer.setdefault(name, []).append(out)
                replayed[name] += 1
                progressed = True
            if replayed[name] == len(nodes):
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

    return (cls or Functional)(
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


# ---------------------------------------------------------------- compile
def _serialize_nested(value, serialize):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {k: _serialize_nested(v, serialize) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_nested(v, serialize) for v in value]
    return serialize(value)


def _deserialize_nested(value, deserialize, custom_objects):
    if isinstance(value, dict) and "class_name" in value:
        return deserialize(value, custom_objects)
    if isinstance(value, dict):
        return {k: _deserialize_nested(v, deserialize, custom_objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_nested(v, deserialize, custom_objects) for v in value]
    return value


def compile_config(model) -> dict | None:
    """The ``compile_config`` of a compiled model (None when not compiled)."""
    from .. import losses, metrics, optimizers

    if not getattr(model, "compiled", False):
        return None
    args = dict(getattr(model, "_compile_config", None) or {})
    opt = getattr(model, "optimizer", None)
    return {
        "optimizer": optimizers.serialize(opt) if isinstance(opt, optimizers.Optimizer) else None,
        "loss": _serialize_nested(args.get("loss"), losses.serialize),
        "loss_weights": args.get("loss_weights"),
        "metrics": _serialize_nested(args.get("metrics"), metrics.serialize),
        "weighted_metrics": _serialize_nested(args.get("weighted_metrics"), metrics.serialize),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def compile_from_config(model, config, custom_objects=None) -> bool:
    """Compile ``model`` from a ``compile_config``; warn and return False if impossible."""
    from .. import losses, metrics, optimizers

    if not isinstance(config, dict):
        return False
    objects = scoped_objects(custom_objects)
    try:
        opt = config.get("optimizer")
        if isinstance(opt, dict):
            opt = optimizers.deserialize(opt, objects)
        elif opt is None:
            opt = "rmsprop"
        model.compile(
            optimizer=opt,
            loss=_deserialize_nested(config.get("loss"), losses.deserialize, objects),
            loss_weights=config.get("loss_weights"),
            metrics=_deserialize_nested(config.get("metrics"), metrics.deserialize, objects),
            weighted_metrics=_deserialize_nested(
                config.get("weighted_metrics"), metrics.deserialize, objects
            ),
        )
    except (ValueError, TypeError, KeyError) as e:
        warnings.warn(
            f"The model was saved compiled, but its compile settings could not be restored, so "
            f"it is returned uncompiled; call `compile()` yourself. Cause: {e}",
            stacklevel=3,
        )
        return False
    return True


# ---------------------------------------------------------------- generic
def serialize_keras_object(obj):
    """The Keras dict of a layer, model, optimizer, loss or metric (strings pass through)."""
    from .. import losses, metrics, optimizers
    from ..layers.layer import Layer

    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if isinstance(obj, optimizers.Optimizer):
        return optimizers.serialize(obj)
    if isinstance(obj, metrics.Metric):
        return metrics.serialize(obj)
    return losses.serialize(obj)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, module_objects=None):
    """Rebuild a layer, model, optimizer, loss or metric from its Keras dict."""
    from .. import losses, metrics, optimizers

    objects = scoped_objects({**(module_objects or {}), **(custom_objects or {})})
    if not isinstance(config, dict):
        return config
    module = str(config.get("module") or "")
    with safe_mode_scope(safe_mode):
        if module.startswith("keras.optimizers") or "optimizers" in module:
            return optimizers.deserialize(config, objects)
        if module.startswith("keras.losses"):
            return losses.deserialize(config, objects)
        if module.startswith("keras.metrics"):
            return metrics.deserialize(config, objects)
        return deserialize_layer(config, objects)
