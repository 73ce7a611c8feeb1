"""Lambda: wrap a function as a layer.

Serialization: a named function is stored by name (``{"class_name":
"function", "config": name, ...}``, as Keras does) and found again at load time
in ``custom_objects``, the registered objects or ``ketorch.activations``. A
Python ``lambda`` is stored as marshalled bytecode in Keras's ``"__lambda__"``
form; loading it runs that code, so :meth:`Lambda.from_config` refuses unless
``safe_mode=False`` is passed.
"""

from __future__ import annotations

import base64
import builtins
import inspect
import marshal
import types

import torch

from ... import activations
from ...saving.serialization import _CUSTOM_OBJECTS
from ..layer import Layer
from ..node import KerasTensor, flatten, map_structure

_LAMBDA = "__lambda__"


def _is_python_lambda(fn) -> bool:
    return isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>"


def _dump_lambda(fn) -> dict:
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return {
        "class_name": _LAMBDA,
        "config": {"code": code, "defaults": fn.__defaults__, "closure": closure},
    }


def _load_lambda(config: dict):
    import numpy  # import cycle: this module is imported by the one imported here
    import torch  # torch submodule loaded only when this path runs

    import ketorch  # import cycle: this module is imported by the one imported here

    code = marshal.loads(base64.decodebytes(config["code"].encode("ascii")))
    closure = config.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    defaults = config.get("defaults")
    scope = {"__builtins__": builtins, "keras": ketorch, "ketorch": ketorch, "torch": torch}
    scope["np"] = numpy
    return types.FunctionType(
        code, scope, code.co_name, tuple(defaults) if defaults else None, cells
    )


def _serialize_fn(fn):
    if _is_python_lambda(fn):
        return _dump_lambda(fn)
    registered = getattr(fn, "_registered_name", None)
    return {
        "module": "builtins",
        "class_name": "function",
        "config": getattr(fn, "__name__", type(fn).__name__),
        "registered_name": registered or "function",
    }


def _deserialize_fn(config, arg, custom_objects, safe_mode):
    if callable(config) or config is None:
        return config
    if isinstance(config, dict) and config.get("class_name") == _LAMBDA:
        if safe_mode is not False:
            raise ValueError(
                f"The `{arg}` of this Lambda layer is a Python lambda, stored as bytecode. Loading "
                "it would run arbitrary code, so it is refused in safe mode. If you trust the "
                "source, pass `safe_mode=False` (e.g. `Lambda.from_config(config, "
                "safe_mode=False)`), or rebuild the layer with a named function passed in "
                f"`custom_objects`. Received: {arg}=<__lambda__ bytecode>"
            )
        return _load_lambda(config["config"])
    if isinstance(config, dict) and config.get("class_name") == "function":
        names = [config.get("registered_name"), config.get("config")]
    elif isinstance(config, str):
        names = [config]
    else:
        return config  # e.g. an output_shape tuple

    custom_objects = custom_objects or {}
    for name in names:
        if not name or name == "function":
            continue
        if name in custom_objects:
            return custom_objects[name]
        if name in _CUSTOM_OBJECTS:
            return _CUSTOM_OBJECTS[name]

    name = names[-1]
    try:
        return activations.get(name)
    except (ValueError, TypeError):
        pass
    raise ValueError(
        f"Could not find the function '{name}' used as `{arg}` of a Lambda layer. Pass it in "
        "`custom_objects` (e.g. `custom_objects={'" + str(name) + "': fn}`) or register it with "
        f"`@keras.saving.register_keras_serializable()`. Received: {arg}={config!r}"
    )


def _symbolic(shape, dtype):
    """KerasTensors for ``shape``: one shape (a tuple of ints/None) or a nest of them."""
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return KerasTensor(tuple(shape), dtype)
    return [_symbolic(s, dtype) for s in shape]


def _shapes_of(outputs):
    if isinstance(outputs, (list, tuple)):
        return [tuple(t.shape) for t in outputs]
    return tuple(outputs.shape)


class Lambda(Layer):
    """Wrap an arbitrary function ``function(inputs, **arguments)`` as a layer.

    Best for quick, stateless expressions; prefer a ``Layer`` subclass for
    anything that must be saved portably (see the module notes on
    serialization).

    Args:
        function: Callable taking the input tensor (or list of tensors) first.
            If it has ``mask`` or ``training`` parameters they are passed.
        output_shape: Optional output shape without the batch axis (a tuple,
            or a list of tuples for several outputs), or a callable mapping
            the full input shape to the full output shape. By default the
            shape is inferred by running the function on zeros.
        mask: ``None`` (the layer drops masks), a callable
            ``mask(inputs, previous_mask)`` returning the output mask, or a
            fixed mask tensor.
        arguments: Optional dict of extra keyword arguments for ``function``.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import Lambda
        >>> Lambda(lambda x, k: x * k, arguments={"k": 3.0})(torch.ones(1, 2))
        tensor([[3., 3.]])
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Argument `function` of Lambda must be callable. Received: function={function!r}"
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                f"Argument `arguments` of Lambda must be a dict. Received: arguments={arguments!r}"
            )
        if output_shape is not None and not callable(output_shape):
            output_shape = _as_shape(output_shape)
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self._output_shape = output_shape
        self.supports_masking = mask is not None
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_wants_mask = "mask" in params
        self._fn_wants_training = "training" in params
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_wants_mask:
            kwargs["mask"] = mask
        if self._fn_wants_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return self._inferred_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape
        while isinstance(first, (list, tuple)) and first and isinstance(first[0], (list, tuple)):
            first = first[0]
        batch = first[0] if first else None
        if self._output_shape and isinstance(self._output_shape[0], tuple):
            return [(batch, *s) for s in self._output_shape]
        return (batch, *self._output_shape)

    def _inferred_shape(self, input_shape):
        """As Keras: run the function without data, on meta tensors when all sizes are known
        (exact, batch size included), else through the base layer's shape inference."""
        symbolic = _symbolic(input_shape, self.compute_dtype)
        if all(d is not None for t in flatten(symbolic) for d in t.shape):
            dtype = getattr(torch, self.compute_dtype)
            meta = map_structure(
                lambda t: torch.empty(t.shape, dtype=dtype, device="meta"), symbolic
            )
            try:
                return _shapes_of(self.call(meta))
            except Exception:  # noqa: BLE001 - e.g. the function needs real values
                pass
        return _shapes_of(self._spec_by_running((symbolic,), {}))

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is None:
            return self._spec_by_running(args, kwargs)  # keeps the function's dtypes
        first = args[0] if args else next(iter(kwargs.values()))
        shapes = first.shape if isinstance(first, KerasTensor) else [t.shape for t in first]
        out = self.compute_output_shape(shapes)
        if isinstance(out, list):
            return [KerasTensor(s, self.compute_dtype) for s in out]
        return KerasTensor(out, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config["function"] = _serialize_fn(self.function)
        if self._output_shape is not None:
            shape = self._output_shape
            config["output_shape"] = _serialize_fn(shape) if callable(shape) else shape
        if self.mask is not None:
            if not callable(self.mask):
                raise NotImplementedError(
                    f"Layer '{self.name}' (Lambda) has a fixed mask tensor, which cannot be "
                    "serialized; pass a function as `mask` instead. Received: mask=<tensor>"
                )
            config["mask"] = _serialize_fn(self.mask)
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild a Lambda; Python-lambda bytecode loads only with ``safe_mode=False``."""
        config = dict(config)
        for arg in ("function", "output_shape", "mask"):
            if arg in config:
                config[arg] = _deserialize_fn(config[arg], arg, custom_objects, safe_mode)
        return super().from_config(config)


def _as_shape(shape):
    """A tuple (or list of tuples for several outputs) of ints/None."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [tuple(s) for s in shape]
    if isinstance(shape, int):
        return (shape,)
    try:
        return tuple(shape)
    except TypeError:
        raise TypeError(
            "Argument `output_shape` of Lambda must be a tuple, a list of tuples or a callable. "
            f"Received: output_shape={shape!r}"
        ) from None
