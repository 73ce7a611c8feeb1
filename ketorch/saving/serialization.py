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

from .. import losses, metrics, optimizers
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer
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
    # The registry of every built-in class: layers and models import this module.
    from .. import layers, models  # import cycle: this module is imported by the one imported here

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
def _short(value, limit=200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


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
        from ..ops.operation import operation_class_by_keras_name  # ops use layers' nodes

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
