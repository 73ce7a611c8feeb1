"""How every op runs: the torch kernel on tensors, a graph node on ``KerasTensor``s.

:func:`keras_op` wraps an eager function written with torch. Called on tensors (or arrays and
Python numbers), the wrapper checks the positional arguments once for a ``KerasTensor`` and
calls the function; torch errors caused by bad arguments come back as ``ValueError`` naming the
op and its arguments. Called on ``KerasTensor``s (inside a Functional model definition), it
records an :class:`Operation` node instead: the op's static arguments go into the node's
config, its tensor arguments into the node's call, as Keras does, so the model summarises,
trains, saves (with Keras's class names, e.g. ``keras.src.ops.numpy.ExpandDims``) and reloads.
Output shapes and dtypes are inferred by running the function on ``meta`` tensors, which carry
shapes but no data, so no graph building allocates activations; an op whose kernel cannot run
on meta tensors supplies its own rule with ``spec=``.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import torch

from ..backend import to_snake_case, unique_name
from ..layers import shape_inference
from ..layers.layer import Layer
from ..layers.node import KerasTensor, Node, flatten, map_structure
from . import _dtypes
from ._keras_names import OPS as _KERAS_OPS

# Sizes substituted for unknown (None) dimensions in the two meta-tensor runs; an output
# dimension that differs between the runs is unknown. Both are highly composite so that ops
# splitting an unknown axis into equal parts still run.
_FILLS = (12, 60)
_TORCH_ERRORS = (RuntimeError, IndexError)

REGISTRY: dict[str, OpInfo] = {}
_CLASSES: dict[str, type] = {}


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def _has_symbolic(args, kwargs) -> bool:
    for a in args:
        c = a.__class__
        if c is KerasTensor:
            return True
        if (c is list or c is tuple) and a:
            for b in a:
                if b.__class__ is KerasTensor:
                    return True
    if kwargs:
        for a in kwargs.values():
            c = a.__class__
            if c is KerasTensor:
                return True
            if (c is list or c is tuple) and a:
                for b in a:
                    if b.__class__ is KerasTensor:
                        return True
    return False


def describe(x) -> str:
    """A short description of an argument for error messages."""
    if isinstance(x, (torch.Tensor, np.ndarray, KerasTensor)):
        dtype = x.dtype if isinstance(x.dtype, str) else _dtypes.standardize_dtype(x.dtype)
        return f"tensor of shape {tuple(x.shape)} and dtype {dtype}"
    if isinstance(x, (list, tuple)) and len(x) > 8:
        return f"{type(x).__name__} of length {len(x)}"
    text = repr(x)
    return text if len(text) < 120 else text[:117] + "..."


class OpInfo:
    """What :func:`keras_op` knows about one op: its function, signature and Keras names."""

    def __init__(self, name, fn, spec=None, module=None):
        self.name = name
        self.fn = fn
        self.spec = spec
        self.signature = inspect.signature(fn)
        entry = _KERAS_OPS.get(name)
        sub = entry[0] if entry else (module or "numpy")
        self.keras_module = f"keras.src.ops.{sub}"
        self.class_name = (entry[1] if entry else None) or _camel(name)
        self.init_params = tuple(entry[2]) if entry and entry[1] else ()
        # Positional call arguments go to the parameters that are not in the config, by name,
        # when a config parameter comes before one of them (``full(shape, fill_value)`` keeps
        # ``shape`` in the config and calls with ``fill_value``).
        params = list(self.signature.parameters.values())
        positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        self.call_names = tuple(p.name for p in positional if p.name not in self.init_params)
        is_config = [p.name in self.init_params for p in positional]
        self.by_name = any(
            c and not later for i, c in enumerate(is_config) for later in is_config[i + 1 :]
        ) and not any(p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY) for p in params)

    def invoke(self, config, args, kwargs):
        """Run the kernel with a recorded op's ``config`` and its call ``args``/``kwargs``."""
        if self.by_name and args:
            kw = dict(zip(self.call_names, args))
            kw.update(kwargs)
            return self.fn(*args[len(self.call_names) :], **config, **kw)
        return self.fn(*args, **config, **kwargs)

    # ------------------------------------------------------------- errors
    def error(self, err, args, kwargs):
        """A ``ValueError`` naming the op and its arguments for a torch error ``err``."""
        try:
            bound = self.signature.bind(*args, **kwargs)
            parts = [f"{k}={describe(v)}" for k, v in bound.arguments.items()]
        except TypeError:
            parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "Dimension out of range" in text or "dim" in text and "out of" in text:
            text = f"`axis` is out of range: {text}"
        new = ValueError(
            f"Invalid arguments for ops.{self.name}: {text}. Received: " + ", ".join(parts)
        )
        return new

    # ----------------------------------------------------------- symbolic
    def symbolic_call(self, args, kwargs):
        """Record this op on KerasTensors: an :class:`Operation` node in the graph."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"ops.{self.name}: {e}") from None
        bound.apply_defaults()
        config, call_args, call_kwargs = {}, [], {}
        for pname, param in self.signature.parameters.items():
            value = bound.arguments.get(pname)
            if pname in self.init_params:
                config[pname] = value
            elif param.kind is param.VAR_POSITIONAL:
                call_args.extend(value or ())
            elif param.kind is param.VAR_KEYWORD:
                call_kwargs.update(value or {})
            elif param.kind is param.KEYWORD_ONLY:
                call_kwargs[pname] = value
            else:
                call_args.append(value)
        op = operation_class(self.name)(**config)
        return op(*call_args, **call_kwargs)

    def output_spec(self, config, args, kwargs):
        """KerasTensors (without history) for the outputs, inferred on meta tensors."""
        if self.spec is not None:
            if self.by_name and args:
                kwargs = {**dict(zip(self.call_names, args)), **kwargs}
                args = args[len(self.call_names) :]
            return self.spec(*args, **config, **kwargs)
        unknown = [False]

        def meta(x, fill):
            if isinstance(x, KerasTensor):
                if any(d is None for d in x.shape):
                    unknown[0] = True
                shape = [fill if d is None else d for d in x.shape]
                return torch.empty(shape, dtype=_dtypes.torch_dtype(x.dtype), device="meta")
            if isinstance(x, np.ndarray):
                return torch.empty(x.shape, dtype=_np_to_torch(x.dtype), device="meta")
            if isinstance(x, torch.Tensor) and x.device.type != "meta" and x.ndim > 0:
                return torch.empty(x.shape, dtype=x.dtype, device="meta")
            return x

        def run(fill):
            a = map_structure(lambda x: meta(x, fill), list(args))
            k = map_structure(lambda x: meta(x, fill), kwargs)
            with torch.no_grad():
                return self.invoke(config, a, k)

        try:
            runs = [run(_FILLS[0])]
            if unknown[0]:
                runs.append(run(_FILLS[1]))
                try:  # a small size reveals dims clamped by slicing (x[:, :3] on a short axis)
                    runs.append(run(2))
                except Exception:  # noqa: BLE001 - some ops need larger sizes; two runs decide
                    pass
        except (ValueError, TypeError):
            raise
        except Exception as e:  # noqa: BLE001 - the kernel cannot run without data
            raise ValueError(
                f"ops.{self.name} could not infer its output shape on symbolic inputs "
                f"({', '.join(describe(a) for a in args if isinstance(a, KerasTensor))}): {e}. "
                "Call it inside a layer's `call()` instead."
            ) from e
        if len(runs) == 3:
            try:
                return _spec_from_runs(runs)
            except ValueError:
                runs = runs[:2]
        return _spec_from_runs(runs)


def _np_to_torch(dtype):
    name = np.dtype(dtype).name
    return _dtypes.TORCH_DTYPES.get(name, torch.float32)


def _spec_from_runs(runs):
    """Outputs of meta runs with different unknown-dim sizes -> KerasTensors (None where the
    runs disagree)."""
    first = runs[0]
    if isinstance(first, torch.Tensor):
        shapes = [tuple(r.shape) for r in runs]
        if len({len(s) for s in shapes}) != 1:
            raise ValueError("the output rank depends on an unknown dimension")
        shape = tuple(
            d if all(s[i] == d for s in shapes) else None for i, d in enumerate(shapes[0])
        )
        return KerasTensor(shape, _dtypes.standardize_dtype(first.dtype))
    if isinstance(first, (list, tuple)):
        if len({len(r) for r in runs}) != 1:
            raise ValueError("the number of outputs depends on an unknown dimension")
        return type(first)(_spec_from_runs([r[i] for r in runs]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _spec_from_runs([r[k] for r in runs]) for k in first}
    raise ValueError(f"An op returned {type(first).__name__} on symbolic inputs; expected tensors.")


def keras_op(fn=None, *, name=None, spec=None, symbolic=True, module=None):
    """Make ``fn`` (an eager torch function) a Keras op: symbolic recording and clear errors.

    Args:
        fn: The eager implementation; its signature is the op's public signature.
        name: The op name (default ``fn.__name__``).
        spec: Optional ``spec(*args, **kwargs) -> KerasTensor(s)`` for ops whose kernel cannot
            run on meta tensors.
        symbolic: ``False`` for ops that handle ``KerasTensor``s themselves (``shape``,
            ``dtype``, ``is_tensor``...).
        module: The ``keras.ops`` submodule for ops not in Keras's table (``"numpy"`` default).
    """

    def wrap(fn):
        info = OpInfo(name or fn.__name__, fn, spec, module)
        REGISTRY[info.name] = info

        if not symbolic:

            @functools.wraps(fn)
            def plain(*args, **kwargs):
                try:
                    return fn(*args, **kwargs)
                except _TORCH_ERRORS as e:
                    raise info.error(e, args, kwargs) from e

            plain._keras_op = info
            return plain

        @functools.wraps(fn)
        def op(*args, **kwargs):
            if _has_symbolic(args, kwargs):
                return info.symbolic_call(args, kwargs)
            try:
                return fn(*args, **kwargs)
            except _TORCH_ERRORS as e:
                raise info.error(e, args, kwargs) from e

        op._keras_op = info
        return op

    return wrap(fn) if fn is not None else wrap


def operation_class(op_name: str) -> type:
    """The :class:`Operation` subclass recording ``op_name`` (named as Keras names it)."""
    info = REGISTRY[op_name]
    cls = _CLASSES.get(info.class_name)
    if cls is None:
        cls = type(
            info.class_name,
            (Operation,),
            {"_op": info, "_keras_module": info.keras_module, "__module__": __name__},
        )
        _CLASSES[info.class_name] = cls
    return cls


def operation_class_by_keras_name(class_name: str) -> type | None:
    """The op class for a ``class_name`` found in a saved config, or ``None``."""
    if class_name in _CLASSES:
        return _CLASSES[class_name]
    for info in REGISTRY.values():
        if info.class_name == class_name:
            return operation_class(info.name)
    return None


def _json_safe(value):
    if isinstance(value, tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, torch.dtype):
        return _dtypes.standardize_dtype(value)
    return value


class Operation(Layer):
    """One op recorded in a Functional graph (a layer without weights).

    Its config holds the op's static arguments (``axis``, ``keepdims``, ...); its node holds
    the tensor arguments. Calling it on tensors runs the op.
    """

    _op: OpInfo = None
    _keras_module = "keras.src.ops.numpy"
    _is_operation = True

    def __init__(self, name=None, **config):
        super().__init__(name=name or _default_name(type(self).__name__))
        self._op_config = config
        self.built = True

    def __call__(self, *args, **kwargs):
        if _has_symbolic(args, kwargs):
            return self._symbolic_call(args, kwargs)
        return self._op.invoke(self._op_config, args, kwargs)

    def _symbolic_call(self, args, kwargs):
        inputs = [t for t in flatten([list(args), kwargs]) if isinstance(t, KerasTensor)]
        spec = self._op.output_spec(self._op_config, args, kwargs)
        shape_inference.check_loaded_sizes(self, spec)
        node_index = len(self._inbound_nodes)
        outputs = map_structure(lambda s: KerasTensor(s.shape, s.dtype), spec)
        for i, t in enumerate(flatten(outputs)):
            t._keras_history = (self, node_index, i)
        self._inbound_nodes.append(Node(self, args, kwargs, inputs, outputs))
        return outputs

    def call(self, *args, **kwargs):
        return self._op.invoke(self._op_config, args, kwargs)

    def compute_output_spec(self, *args, **kwargs):
        return self._op.output_spec(self._op_config, args, kwargs)

    def get_config(self):
        config = {"name": self.name}
        config.update(_json_safe(self._op_config))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("trainable", "dtype"):
            if key not in cls._op.init_params:
                config.pop(key, None)
        return cls(**config)


def _default_name(class_name):

    return unique_name(to_snake_case(class_name))
