"""Output shapes without data: layers run on ``meta`` tensors while a graph is defined.

The Functional API and ``Sequential`` need each layer's output shape. Most layers give it with
``compute_output_shape``; the others (a ``Lambda`` without ``output_shape``, custom layers
without ``compute_output_shape``, subclassed models in ``Model.build``) are run once on
``meta`` tensors, which carry a shape and a dtype but no storage. So a model defined on
``Input((2**20, 1024))``, or loaded from a file that declares such shapes, allocates nothing
for activations.

During the run, :class:`MetaMode` (a torch-function mode) moves every real tensor that the
layer's code touches (its weights, constants) to the meta device and makes the factory
functions (``torch.zeros``, ``torch.empty``, ``Tensor.new_zeros``, ...) create meta tensors,
whatever device they name. Weights and state created while building (``add_weight``,
``build``) stay real: :func:`real_tensors` suspends the mode for them. Attributes the run
leaves holding meta tensors (e.g. a cached state) are put back as they were.

A layer whose Python code needs values (``.item()``, ``.numpy()``, ``if tensor:``, ops without
a meta kernel) cannot run on meta tensors. It is then run once on real zeros, but only while
its inputs hold at most :data:`MAX_EAGER_ELEMENTS` values in total (the batch axis counted as
:data:`BATCH`, unknown sizes as the larger of :data:`FILLS`); beyond that a ``ValueError``
names the layer and asks for an explicit output shape.
"""

from __future__ import annotations

import contextlib
import math
import threading

import torch
from torch.overrides import TorchFunctionMode

from .. import backend
from ..backend import CALL_CONTEXT
from ..saving import limits
from .node import KerasTensor, flatten, map_structure

#: Most values (summed over the inputs) a layer that cannot run on meta tensors may be run on,
#: with real zeros, to learn its output shape: 16 Mi values, 64 MiB in float32.
MAX_EAGER_ELEMENTS = 1 << 24
#: Size of the batch axis in inference runs (the output's batch axis is always unknown).
BATCH = 2
#: Sizes substituted for other unknown axes in two runs; an output axis whose size differs
#: between the runs is unknown. Highly composite, so that splitting such an axis still works.
FILLS = (12, 60)
#: A third, small size for unknown axes, which shows output sizes clamped by slicing.
SMALL_FILL = 2


class InferenceBudgetError(ValueError):
    """A layer needs data to infer its output shape and its inputs are too large to run."""


class _State(threading.local):
    real = 0
    inferring = 0  # depth of `infer_spec` runs on this thread


def inferring() -> bool:
    """Whether layers are being run only to learn output shapes (masks are not needed)."""
    return _STATE.inferring > 0


_STATE = _State()


@contextlib.contextmanager
def real_tensors():
    """Within the block, tensors are real even inside a meta run (weights, built state)."""
    _STATE.real += 1
    try:
        yield
    finally:
        _STATE.real -= 1


def _factories():
    names = ("arange", "empty", "empty_strided", "eye", "full", "linspace", "logspace")
    names += ("ones", "rand", "randint", "randn", "randperm", "range", "zeros")
    names += ("tril_indices", "triu_indices", "empty_permuted")
    funcs = {getattr(torch, n) for n in names if hasattr(torch, n)}
    methods = ("new_empty", "new_empty_strided", "new_full", "new_ones", "new_zeros")
    funcs.update(getattr(torch.Tensor, n) for n in methods if hasattr(torch.Tensor, n))
    return frozenset(funcs)


_FACTORIES = _factories()
_STAY_ON_DEVICE = frozenset({torch.Tensor.cpu, torch.Tensor.cuda, torch.Tensor.pin_memory})


def _to_meta(x):
    if isinstance(x, torch.Tensor):
        # 0-d tensors may stay real: torch mixes them with any device, and they are tiny.
        if x.device.type == "meta" or x.ndim == 0:
            return x
        return x.to("meta")
    if type(x) is list or type(x) is tuple:
        return type(x)(_to_meta(v) for v in x)
    if type(x) is dict:
        return {k: _to_meta(v) for k, v in x.items()}
    return x


def _without_device(args):
    """``Tensor.to`` arguments minus the device (a dtype taken from a tensor argument)."""
    out = []
    for a in args:
        if isinstance(a, torch.Tensor):
            out.append(a.dtype)
        elif isinstance(a, (str, torch.device)) or (type(a) is int):
            continue
        else:
            out.append(a)
    return out


class MetaMode(TorchFunctionMode):
    """Torch-function mode: computations run on meta tensors, factories create meta tensors."""

    def __enter__(self):
        # A meta run nested in a build (say, Model.build inside a layer's build()) is meta again.
        self._outer_real = _STATE.real
        _STATE.real = 0
        return super().__enter__()

    def __exit__(self, *exc):
        _STATE.real = self._outer_real
        return super().__exit__(*exc)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if _STATE.real:
            return func(*args, **kwargs)
        if func in _FACTORIES:
            kwargs = {**kwargs, "device": "meta"}
            kwargs.pop("pin_memory", None)
            return func(*_to_meta(args), **kwargs)
        args = _to_meta(args)
        kwargs = _to_meta(kwargs)
        if func in _STAY_ON_DEVICE:
            return args[0]
        if func is torch.Tensor.to:
            kwargs.pop("device", None)
            return func(args[0], *_without_device(args[1:]), **kwargs)
        return func(*args, **kwargs)


# --------------------------------------------------------------------------- inference
def check_loaded_sizes(layer, spec) -> None:
    """While a model file is loaded, refuse outputs no real model has (``saving.limits``)."""

    if limits.loading_file():
        shapes = [t.shape for t in flatten(spec) if isinstance(t, KerasTensor)]
        limits.check_inferred_shapes(layer, shapes)


def _has_unknown(structure) -> bool:
    return any(isinstance(t, KerasTensor) and None in t.shape[1:] for t in flatten(structure))


def _concrete(shape, fill, batch=None):
    batch = BATCH if batch is None else batch
    return [
        batch if i == 0 and d is None else (fill if d is None else d) for i, d in enumerate(shape)
    ]


def _element_count(structure, fill) -> int:
    return sum(
        math.prod(_concrete(t.shape, fill))
        for t in flatten(structure)
        if isinstance(t, KerasTensor)
    )


def _snapshot(layers):
    return [(layer, dict(layer.__dict__), dict(layer._buffers)) for layer in layers]


@contextlib.contextmanager
def _losses_discarded():
    """add_loss() values of inference runs (activity penalties on fake data) go nowhere."""
    outer = CALL_CONTEXT.losses
    CALL_CONTEXT.losses = []
    try:
        yield
    finally:
        CALL_CONTEXT.losses = outer


def _holds_meta(value) -> bool:
    if isinstance(value, torch.Tensor):
        return value.device.type == "meta"
    if isinstance(value, (list, tuple)):
        return any(_holds_meta(v) for v in value[:64])
    if isinstance(value, dict):
        return any(_holds_meta(v) for v in list(value.values())[:64])
    return False


def _restore(snapshot):
    """Undo what a meta run left on the layers: attributes holding meta tensors."""
    for layer, attrs, buffers in snapshot:
        for key, value in list(layer.__dict__.items()):
            if key not in ("_parameters", "_modules") and _holds_meta(value):
                if key in attrs:
                    layer.__dict__[key] = attrs[key]
                else:
                    del layer.__dict__[key]
        for key, value in list(layer._buffers.items()):
            if value is not None and value.device.type == "meta":
                if key in buffers:
                    layer._buffers[key] = buffers[key]
                else:
                    del layer._buffers[key]


def _reason(error) -> str:
    """The root cause of ``error`` in one line (layer errors wrap the torch error)."""
    while error.__cause__ is not None:
        error = error.__cause__
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _describe(structure):
    return map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, structure)


def infer_spec(layer, call, args, kwargs):
    """Output KerasTensors of ``call(*args, **kwargs)``, run with tensors of the inputs' shapes.

    First on meta tensors; if the code cannot run without data, on real zeros when the inputs
    are small enough. When a non-batch input size is unknown the call runs with each of
    :data:`FILLS` and with :data:`SMALL_FILL` (which reveals sizes clamped by slicing); an
    output size that differs between runs is unknown. The output batch axis is unknown.

    Raises:
        InferenceBudgetError: The layer needs data and its inputs exceed
            :data:`MAX_EAGER_ELEMENTS`.
    """
    structure = [list(args), kwargs]
    unknown = _has_unknown(structure)

    def run(fill, make, batch=None):
        a, k = map_structure(
            lambda t: (
                make(_concrete(t.shape, fill, batch), backend.torch_dtype(t.dtype))
                if isinstance(t, KerasTensor)
                else t
            ),
            structure,
        )
        with torch.no_grad(), _losses_discarded():
            return call(*a, **k)

    def runs(make):
        out = [run(FILLS[0], make)]
        if unknown:
            out.append(run(FILLS[1], make))
            with contextlib.suppress(Exception):  # some code needs larger sizes: two decide
                out.append(run(SMALL_FILL, make))
        return out

    def spec(make):
        outputs = runs(make)
        result = _spec_from_runs(outputs)
        if _leading_not_batch(outputs[0]):
            # An output whose first axis is not the batch size (a weight returned by `call`,
            # as Keras 2 layers do): a run with another batch size tells whether it is fixed.
            _keep_fixed_leading(result, outputs[0], run(FILLS[0], make, BATCH + 1))
        return result

    def meta(shape, dtype):
        return torch.empty(shape, dtype=dtype, device="meta")

    snapshot = _snapshot(layer._flatten_layers(include_self=True))
    _STATE.inferring += 1
    try:
        with MetaMode():
            return spec(meta)
    except Exception as e:  # noqa: BLE001 - any failure means "needs real values"
        meta_error = e
    finally:
        _STATE.inferring -= 1
        _restore(snapshot)

    needed = _element_count(structure, max(FILLS))
    if needed > MAX_EAGER_ELEMENTS:
        raise InferenceBudgetError(
            f"Could not infer the output shape of layer '{layer.name}' "
            f"({type(layer).__name__}) without data ({_reason(meta_error)}), "
            f"and a trial run on zeros would need {needed} input values, more than the limit "
            f"of {MAX_EAGER_ELEMENTS} (ketorch.layers.shape_inference.MAX_EAGER_ELEMENTS). Give "
            "the layer an explicit output shape (`Lambda(..., output_shape=...)` or "
            f"`compute_output_shape()`). Received: inputs={_describe(args[0] if args else kwargs)}"
        ) from meta_error

    device = _device_of(layer)

    def zeros(shape, dtype):
        return torch.zeros(shape, dtype=dtype, device=device)

    _STATE.inferring += 1
    try:
        return spec(zeros)
    finally:
        _STATE.inferring -= 1


def _leading_not_batch(output) -> bool:
    return any(
        isinstance(t, torch.Tensor) and t.ndim > 0 and t.shape[0] != BATCH for t in flatten(output)
    )


def _keep_fixed_leading(spec, first, second) -> None:
    """Give ``spec`` tensors the first-axis size that did not change with the batch size."""
    for kt, a, b in zip(flatten(spec), flatten(first), flatten(second)):
        if (
            isinstance(kt, KerasTensor)
            and isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.ndim > 0
            and a.ndim == b.ndim
            and a.shape[0] == b.shape[0]
        ):
            kt.shape = (int(a.shape[0]),) + tuple(kt.shape[1:])


def _spec_from_runs(outputs):
    """KerasTensors from the outputs of runs with different unknown sizes."""
    first = outputs[0]
    if isinstance(first, torch.Tensor):
        if len({o.ndim for o in outputs}) != 1:  # the small run changed the rank: ignore it
            outputs = outputs[:2]
        if first.ndim == 0:
            return KerasTensor((), backend.standardize_dtype(first.dtype))
        sizes = [tuple(o.shape) for o in outputs]
        shape = [None] + [
            d if all(s[i] == d for s in sizes) else None for i, d in enumerate(sizes[0]) if i
        ]
        return KerasTensor(shape, backend.standardize_dtype(first.dtype))
    if isinstance(first, (list, tuple)):
        n = len(first)
        outputs = [o for o in outputs if isinstance(o, (list, tuple)) and len(o) == n]
        return [_spec_from_runs([o[i] for o in outputs]) for i in range(n)]
    if isinstance(first, dict):
        return {k: _spec_from_runs([o[k] for o in outputs]) for k in first}
    return first


def _device_of(layer):
    for p in layer.parameters():
        return p.device
    return torch.device("cpu")


def build_by_running(model, shape, bounded: bool) -> None:
    """Create a subclassed model's weights by calling it once on inputs of ``shape``.

    The call runs on a meta tensor; if the model needs values, on real zeros, which when
    ``bounded`` (a file is being loaded) may hold at most :data:`MAX_EAGER_ELEMENTS` values.
    """
    snapshot = _snapshot(model._flatten_layers(include_self=True))
    try:
        with MetaMode(), torch.no_grad(), _losses_discarded():
            model(torch.empty(shape, device="meta"))
        return
    except Exception as e:  # noqa: BLE001 - any failure means "needs real values"
        meta_error = e
    finally:
        _restore(snapshot)
    needed = math.prod(shape)
    if bounded and needed > MAX_EAGER_ELEMENTS:
        raise InferenceBudgetError(
            f"Model '{model.name}' ({type(model).__name__}) cannot be built without data "
            f"({_reason(meta_error)}), and building it on zeros of shape "
            f"{tuple(shape)} would need {needed} values, more than the limit of "
            f"{MAX_EAGER_ELEMENTS} (ketorch.layers.shape_inference.MAX_EAGER_ELEMENTS) for a "
            "model loaded from a file."
        ) from meta_error
    with torch.no_grad():
        model(torch.zeros(shape))
