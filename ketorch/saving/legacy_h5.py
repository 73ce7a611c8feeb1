"""The legacy (Keras 2 style) HDF5 format: full models and weights-only files.

Layout: root attributes ``model_config`` and ``training_config`` (JSON),
group ``model_weights`` with attribute ``layer_names``; one subgroup per layer
with attribute ``weight_names`` and a dataset at each weight name (tf.keras
names end in ``:0``); ``optimizer_weights`` for the optimizer. A
weights-only Keras 2 file has ``layer_names`` on the root itself.

Weights load by order (the i-th saved layer that has weights goes into the
i-th model layer that has weights), or by layer name with ``by_name=True``.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from . import h5_io, keras_archive, limits, object_tree, serialization
from .file_utils import atomic_path


# ----------------------------------------------------------------- attributes
def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value.item())
    return str(value)


def read_name_list(group, attr: str) -> list[str]:
    """A list-of-strings attribute, also in its chunked form ``attr0``, ``attr1``, ..."""
    try:
        attrs = group.attrs
        if attr in attrs:
            values = attrs[attr]
        else:
            values, i = [], 0
            while f"{attr}{i}" in attrs:
                values.extend(attrs[f"{attr}{i}"])
                i += 1
        values = np.atleast_1d(np.asarray(values)) if len(values) else []
        return [_text(v) for v in values]
    except h5_io.H5_ERRORS as e:
        raise h5_io.H5Error(f"Cannot read the attribute {attr!r} of the legacy file ({e}).") from e


def is_legacy(f) -> bool:
    """Whether an open h5 file uses the legacy layout (not Keras 3's)."""
    try:
        return "model_weights" in f or "layer_names" in f.attrs
    except h5_io.H5_ERRORS:
        return False


# ----------------------------------------------------------------- saving
def _weight_names(model_name: str, layer) -> list[str]:
    names, used = [], set()
    own = {id(w) for w in object_tree.own_variables(layer)}
    owner_of = {}
    for sub in layer._flatten_layers(include_self=False):
        for w in object_tree.own_variables(sub):
            owner_of.setdefault(id(w), sub.name)
    for w in layer.weights:
        base = getattr(w, "_keras_name", "variable")
        if id(w) in own:
            name = f"{model_name}/{layer.name}/{base}"
        else:
            name = f"{model_name}/{layer.name}/{owner_of.get(id(w), 'sub')}/{base}"
        candidate, i = name, 1
        while candidate in used:
            candidate = f"{name}_{i}"
            i += 1
        used.add(candidate)
        names.append(candidate)
    return names


def save_model(model, filepath: str, overwrite: bool = True, include_optimizer: bool = True):
    """Write a full-model legacy ``.h5`` file (config, weights, optimizer state)."""
    config = serialization.serialize_layer(model)
    model_config = json.dumps(
        {"class_name": config["class_name"], "config": config["config"]},
        default=keras_archive._json_default,
    )
    compiled = serialization.compile_config(model)
    with atomic_path(filepath, overwrite) as tmp, h5_io.open_h5(tmp, "w") as f:
        f.attrs["keras_version"] = keras_archive.KERAS_VERSION
        f.attrs["backend"] = "torch"
        f.attrs["model_config"] = model_config
        group = f.create_group("model_weights")
        _write_layers(group, model)
        if compiled is not None:
            training = {k: v for k, v in compiled.items() if k != "optimizer"}
            opt = compiled.get("optimizer")
            if opt is not None:
                training["optimizer_config"] = {
                    "class_name": opt["class_name"],
                    "config": opt["config"],
                }
            f.attrs["training_config"] = json.dumps(training, default=keras_archive._json_default)
            optimizer = getattr(model, "optimizer", None)
            if include_optimizer and object_tree._is_keras_optimizer(optimizer) and optimizer.built:
                _write_optimizer(f, model, optimizer)


def _write_layers(group, model) -> None:
    layers = object_tree.keras_layers(model)
    group.attrs["layer_names"] = [layer.name.encode("utf8") for layer in layers]
    group.attrs["backend"] = "torch"
    group.attrs["keras_version"] = keras_archive.KERAS_VERSION
    for layer in layers:
        sub = group.create_group(layer.name)
        names = _weight_names(model.name, layer)
        sub.attrs["weight_names"] = [n.encode("utf8") for n in names]
        for name, w in zip(names, layer.weights):
            sub.create_dataset(name, data=h5_io.to_numpy(w))
    top = group.create_group("top_level_model_weights")
    top.attrs["weight_names"] = []


def _write_optimizer(f, model, optimizer) -> None:
    group = f.create_group("optimizer_weights")
    values = h5_io.optimizer_values(model, optimizer)
    names = [f"{optimizer.name}/iteration"]
    if len(values) > 1 and optimizer._lr_schedule is None:
        names.append(f"{optimizer.name}/learning_rate")
    names += [f"{optimizer.name}/variable_{i}" for i in range(len(names), len(values))]
    group.attrs["weight_names"] = [n.encode("utf8") for n in names]
    for name, value in zip(names, values):
        group.create_dataset(name, data=h5_io.to_numpy(value))


# ----------------------------------------------------------------- loading
def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model from a legacy full-model ``.h5`` file."""
    with h5_io.open_h5(filepath) as f:
        try:
            raw = f.attrs.get("model_config")
        except h5_io.H5_ERRORS as e:
            raise h5_io.H5Error(f"Cannot read the legacy file's attributes ({e}).") from e
        if raw is None:
            raise ValueError(
                f"No model config found in {filepath}: it holds weights only. Build the model "
                "in code and call `model.load_weights(...)`."
            )
        config = keras_archive.parse_config(_text(raw), "model_config")
        training = None
        if compile and "training_config" in f.attrs:
            training = keras_archive.parse_config(_text(f.attrs["training_config"]), "training")
        data_bytes = min(os.path.getsize(filepath), h5_io.stored_data_bytes(f))
        budget = limits.budget_for(data_bytes)
        with serialization.safe_mode_scope(safe_mode), limits.weight_budget(budget):
            model = keras_archive.guarded_call(
                serialization.deserialize_layer, config, custom_objects
            )
        if training is not None:
            compile_config = dict(training)
            opt = compile_config.pop("optimizer_config", None)
            compile_config["optimizer"] = opt
            serialization.compile_from_config(model, compile_config, custom_objects)
        keras_archive.guarded_call(load_weights, f, model)
        optimizer = getattr(model, "optimizer", None)
        if training is not None and object_tree._is_keras_optimizer(optimizer):
            _load_optimizer(f, model, optimizer)
    return model


def _load_optimizer(f, model, optimizer) -> None:
    group = h5_io.get_group(f, "optimizer_weights")
    if group is None:
        return
    names = read_name_list(group, "weight_names")
    if not names:
        return
    what = "the legacy file's optimizer state (it may come from a Keras 2 optimizer)"
    datasets = [(_dataset(group, name), name) for name in names]
    values = h5_io.read_optimizer_values(model, optimizer, datasets, what)
    if values is None:
        return
    values = h5_io.order_optimizer_values(model, optimizer, values, what)
    if values is not None:
        optimizer.set_variables(values)


def _dataset(group, path: str):
    parent, _, leaf = path.rpartition("/")
    holder = h5_io.get_group(group, parent) if parent else group
    if holder is None:
        raise h5_io.H5Error(f"The legacy file has no weight {path!r}.")
    return h5_io.get_dataset(holder, leaf, parent or ".")


def load_weights(f, model, by_name: bool = False, skip_mismatch: bool = False) -> None:
    """Load legacy-layout weights into ``model`` by order or by layer name.

    Transactional: every weight is read and checked before any variable
    changes, so a failure leaves the model as it was.

    Raises:
        ValueError: On a layer-count, weight-count or shape mismatch (unless
            ``skip_mismatch``, which warns and skips that layer).
    """
    root = h5_io.get_group(f, "model_weights") if "model_weights" in f else f
    if root is None:
        raise h5_io.H5Error("The legacy file has no `model_weights` group.")
    saved = []
    for name in read_name_list(root, "layer_names"):
        group = h5_io.get_group(root, name)
        if group is None:
            raise h5_io.H5Error(f"The legacy file lists layer {name!r} but has no group for it.")
        weight_names = read_name_list(group, "weight_names")
        saved.append((name, group, weight_names))
    layers = object_tree.keras_layers(model)
    staged = []
    if by_name:
        by = {}
        for layer in layers:
            by.setdefault(layer.name, []).append(layer)
        for name, group, weight_names in saved:
            for layer in by.get(name, []):
                staged.extend(_read_layer(layer, group, weight_names, skip_mismatch, name))
        h5_io.assign(staged)
        return
    saved = [s for s in saved if s[2]]
    targets = [layer for layer in layers if layer.weights]
    if len(saved) != len(targets):
        raise h5_io.H5Error(
            "Layer count mismatch when loading weights from file: the model has "
            f"{len(targets)} layers with weights, the file has {len(saved)} "
            f"({[s[0] for s in saved][:10]})."
        )
    for layer, (name, group, weight_names) in zip(targets, saved):
        staged.extend(_read_layer(layer, group, weight_names, skip_mismatch, name))
    h5_io.assign(staged)


def _read_layer(layer, group, weight_names, skip_mismatch, saved_name) -> list:
    """``(variable, value)`` pairs for ``layer``, read and checked; nothing is assigned."""
    params = layer.weights
    problem = None
    if len(weight_names) != len(params):
        problem = (
            f"layer '{layer.name}' expects {len(params)} weights, but the saved layer "
            f"'{saved_name}' has {len(weight_names)}"
        )
    pairs = []
    if problem is None:
        for wname, p in zip(weight_names, params):
            ds = _dataset(group, wname)
            if tuple(ds.shape) != tuple(p.shape):
                problem = (
                    f"weight {wname!r} of saved layer '{saved_name}' has shape "
                    f"{tuple(ds.shape)}, but layer '{layer.name}' expects {tuple(p.shape)}"
                )
                break
            pairs.append((p, h5_io.to_tensor(h5_io.read_array(ds, wname), p.dtype)))
    if problem is not None:
        if skip_mismatch:
            warnings.warn(f"Skipping loading weights: {problem}.", stacklevel=4)
            return []
        raise h5_io.H5Error(f"Cannot load weights: {problem}.")
    return pairs
