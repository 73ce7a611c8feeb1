"""Model configs: what ``get_config``/``from_config`` of Sequential and Functional
models write and read (Keras 3's JSON layout, and Keras 2's for reading)."""

from __future__ import annotations

import numpy as np
import torch

from .. import backend
from ..layers.input_layer import InputLayer
from ..layers.node import KerasTensor, flatten, map_structure
from ..saving.serialization import deserialize_layer, serialize_layer


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


def sequential_from_config(config, custom_objects, sequential_cls):
    """Rebuild a Sequential model (as ``sequential_cls``) from its config."""
    model = sequential_cls(name=config.get("name"), trainable=config.get("trainable", True))
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


def functional_from_config(config, custom_objects, cls):
    """Rebuild a Functional graph as ``cls`` (Functional or a Model subclass)."""

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

    return cls(
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
