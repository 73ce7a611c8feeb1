"""``keras.ops.core``: conversion and casting, scatter/slice updates, control flow, gradients.

The tensor ops (``cast``, ``scatter``, ``slice_update``, ...) are single torch kernels. The
control-flow ops (``scan``, ``while_loop``, ``map``, ...) run the user's Python function
eagerly, as Keras does on torch; called on ``KerasTensor``s they record a graph node whose
output shapes come from running the function on ``meta`` tensors.

Nested structures (lists, tuples, named tuples, dicts) are accepted wherever Keras accepts
them: ``scan``'s carry and ``xs``, ``map``'s and ``vectorized_map``'s inputs and outputs,
``while_loop``'s loop variables, ``associative_scan``'s ``elems``.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import numbers

import numpy as np
import torch

from ..layers.node import KerasTensor, has_keras_tensor
from . import _dtypes
from . import operation as _operation
from ._common import canonical_axis, dtype_of, to_tensor
from .operation import REGISTRY, Operation, OpInfo, describe, keras_op, operation_class

__all__ = [
    "associative_scan",
    "cast",
    "cond",
    "convert_to_numpy",
    "convert_to_tensor",
    "custom_gradient",
    "dtype",
    "fori_loop",
    "is_tensor",
    "map",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_update",
    "shape",
    "slice",
    "slice_update",
    "stop_gradient",
    "switch",
    "unstack",
    "vectorized_map",
    "while_loop",
]

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


# ------------------------------------------------------------------ nested structures
def _flatten(structure) -> list:
    """Leaves of nested lists, tuples and dicts (dicts in insertion order); None is a leaf."""
    if isinstance(structure, (list, tuple)):
        out = []
        for s in structure:
            out.extend(_flatten(s))
        return out
    if isinstance(structure, dict):
        out = []
        for v in structure.values():
            out.extend(_flatten(v))
        return out
    return [structure]


def _pack(structure, leaves):
    """Rebuild ``structure``'s nesting with ``leaves`` (the inverse of :func:`_flatten`)."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, tuple) and hasattr(s, "_fields"):  # named tuple
            return type(s)(*(build(v) for v in s))
        if isinstance(s, (list, tuple)):
            return type(s)(build(v) for v in s)
        if isinstance(s, dict):
            return type(s)((k, build(v)) for k, v in s.items())
        return next(it)

    return build(structure)


def _map_leaves(fn, *structures):
    """``fn`` over the corresponding leaves of same-shaped structures."""
    flats = [_flatten(s) for s in structures]
    if any(len(f) != len(flats[0]) for f in flats):
        raise ValueError("The structures do not match (different numbers of leaves).")
    return _pack(structures[0], [fn(*leaves) for leaves in zip(*flats)])


def _stack(op, outputs):
    """Stack a list of same-structured per-step outputs along a new leading axis."""
    if not outputs:
        raise ValueError(f"ops.{op}: there are no iterations, so there is nothing to stack.")
    try:
        return _map_leaves(lambda *vs: torch.stack([to_tensor(v) for v in vs]), *outputs)
    except ValueError as e:
        raise ValueError(f"ops.{op}: every iteration must return the same structure. {e}") from None


def _check_callable(op, arg, fn):
    if not callable(fn):
        raise TypeError(f"ops.{op}: `{arg}` must be a callable. Received: {arg}={fn!r}")


# ------------------------------------------------------------------ symbolic helpers
def _spec_of(x) -> KerasTensor:
    """A KerasTensor with the shape and dtype of a tensor, array, KerasTensor or number."""
    if isinstance(x, KerasTensor):
        return KerasTensor(x.shape, x.dtype)
    if isinstance(x, (torch.Tensor, np.ndarray)):
        return KerasTensor(tuple(x.shape), dtype_of(x))
    t = to_tensor(x)
    return KerasTensor(tuple(t.shape), dtype_of(t))


def _infer(op, fn, *args):
    """What ``fn(*args)`` returns (as KerasTensors) when ``args`` hold KerasTensors.

    ``fn`` runs on ``meta`` tensors (no data); unknown dimensions stay unknown.
    """
    return OpInfo(op, lambda *a: fn(*a)).output_spec({}, args, {})


def _record(op, *args):
    """Record ``op`` (called with all its parameters, positionally) as a graph node, for
    KerasTensors nested deeper than the op wrapper's own check looks (dicts, nested lists)."""
    info = REGISTRY[op]
    values = dict(zip(info.signature.parameters, args))
    config = {k: values[k] for k in info.init_params}
    call_args = [v for k, v in values.items() if k not in info.init_params]
    return operation_class(op)(**config)._symbolic_call(call_args, {})


def _first_slice(x):
    """The spec of one element along the leading axis."""
    s = _spec_of(x)
    return KerasTensor(s.shape[1:], s.dtype)


def _with_leading(n, spec):
    return _map_leaves(lambda s: KerasTensor((n, *s.shape), s.dtype), spec)


def _leading_size(op, structure):
    leaves = _flatten(structure)
    if not leaves:
        raise ValueError(f"ops.{op}: the inputs have no tensors. Received: {describe(structure)}")
    shape = _spec_of(leaves[0]).shape
    if not shape:
        raise ValueError(f"ops.{op}: the inputs need a leading axis; received a scalar.")
    return shape[0]


# ------------------------------------------------------------------ conversion
def _torch_dtype(dtype) -> torch.dtype:
    """``_dtypes.torch_dtype`` with a dict lookup first for the common case (a Keras name)."""
    td = _dtypes.TORCH_DTYPES.get(dtype) if isinstance(dtype, str) else None
    return td if td is not None else _dtypes.torch_dtype(dtype)


@keras_op(symbolic=False)
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Convert an array, a Python number or (nested) list to a torch tensor.

    Tensors are returned as they are (cast when ``dtype`` differs); Python ints become int32
    (int64 when they do not fit), floats floatx, NumPy arrays keep their dtype.
    ``KerasTensor``s stay symbolic (a ``cast`` node is recorded when ``dtype`` differs).

    Raises:
        ValueError: For ``sparse=True`` or ``ragged=True`` (torch tensors are dense).

    Example:

    >>> from ketorch import ops
    >>> ops.convert_to_tensor([1, 2]).dtype
    torch.int32
    """
    if sparse:
        raise ValueError(
            "ops.convert_to_tensor: `sparse=True` is not supported, torch tensors are dense. "
            f"Received: sparse={sparse!r}"
        )
    if ragged:
        raise ValueError(
            "ops.convert_to_tensor: `ragged=True` is not supported, torch tensors are dense. "
            f"Received: ragged={ragged!r}"
        )
    if isinstance(x, torch.Tensor):
        if dtype is None:
            return x
        td = _torch_dtype(dtype)
        return x if x.dtype == td else x.to(td)
    if isinstance(x, KerasTensor):
        if dtype is None or _dtypes.standardize_dtype(dtype) == x.dtype:
            return x
        return cast(x, dtype)
    if isinstance(x, int) and not isinstance(x, bool):
        if dtype is None and not _INT32_MIN <= x <= _INT32_MAX:
            dtype = "int64"
    elif isinstance(x, (np.ndarray, np.generic)):
        x = np.asarray(x)
        if x.dtype.name == "bfloat16":  # NumPy's bfloat16 (ml_dtypes) has no torch view
            x = x.astype(np.float32)
            dtype = dtype or "bfloat16"
        if x.ndim == 0:
            return to_tensor(x.reshape(1), dtype).reshape(())
    return to_tensor(x, dtype)


def _to_numpy(x):
    if isinstance(x, KerasTensor):
        raise ValueError(
            "ops.convert_to_numpy: a KerasTensor is symbolic (a shape and a dtype), it has no "
            f"values to convert. Received: {describe(x)}"
        )
    if isinstance(x, torch.Tensor):
        t = x.detach()
        on_cpu = t.device.type == "cpu"
        if not on_cpu:
            t = t.cpu()
        if t.is_conj():
            t = t.resolve_conj()
        if t.dtype == torch.bfloat16:
            import ml_dtypes  # optional dependency, loaded on first use

            return t.float().numpy().astype(ml_dtypes.bfloat16)
        arr = t.numpy()
        return arr.copy() if on_cpu else arr  # never share memory with a live tensor
    return np.array(x)


@keras_op(symbolic=False)
def convert_to_numpy(x):
    """A NumPy copy of a tensor (detached and moved to the host).

    bfloat16 tensors become ``ml_dtypes.bfloat16`` arrays; a list of tensors becomes one
    stacked array.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.convert_to_numpy(torch.ones(2, requires_grad=True))
    array([1., 1.], dtype=float32)
    """
    if isinstance(x, (list, tuple)):
        return np.array([_to_numpy(v) for v in x])
    return _to_numpy(x)


@keras_op(symbolic=False)
def is_tensor(x):
    """Whether ``x`` is a torch tensor (``False`` for arrays, numbers and KerasTensors)."""
    return isinstance(x, torch.Tensor)


@keras_op(symbolic=False)
def shape(x):
    """The shape of ``x`` as a tuple of ints (``None`` for unknown sizes of a KerasTensor).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.shape(torch.zeros(2, 3))
    (2, 3)
    """
    if isinstance(x, (torch.Tensor, KerasTensor, np.ndarray)):
        return tuple(x.shape)
    s = getattr(x, "shape", None)
    if s is not None:
        return tuple(s)
    return np.shape(x)


@keras_op(symbolic=False)
def dtype(x):
    """The Keras dtype name of ``x`` (``"float32"``, ``"int32"``, ...)."""
    return dtype_of(x)


@keras_op
def cast(x, dtype):
    """Cast ``x`` to ``dtype`` (a name, NumPy or torch dtype).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.cast(torch.tensor([1.7, -1.7]), "int32")
    tensor([ 1, -1], dtype=torch.int32)
    """
    td = _torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        return x if x.dtype == td else x.to(td)
    return convert_to_tensor(x, td)


def _dtype_limits(name):
    import ml_dtypes  # optional dependency, loaded on first use

    if name == "bool":
        return 0, 1
    if "int" in name:
        info = ml_dtypes.iinfo(name)
    else:
        info = ml_dtypes.finfo(name)
    return info.min, info.max


@functools.cache
def _saturation_bounds(in_name, out_name):
    """The clip range of a saturating cast, as numbers representable in the input dtype.

    A bound of the output range that the input dtype cannot hold exactly is moved one step
    towards zero, so the clipped value always converts without overflow.
    """
    import ml_dtypes  # optional dependency, loaded on first use

    np_in = ml_dtypes.bfloat16 if in_name == "bfloat16" else np.dtype(in_name)
    with np.errstate(over="ignore"):
        return _bounds_in(np_in, in_name, out_name)


def _bounds_in(np_in, in_name, out_name):
    in_min, in_max = _dtype_limits(in_name)
    out_min, out_max = _dtype_limits(out_name)
    exact = float if in_name in _dtypes.FLOATS else int
    zero = np.zeros((), np_in)
    # Compare as Python numbers (exact for ints and floats alike): NumPy would round the
    # output bound to the input dtype first, e.g. int32's max to float32's 2**31.
    low = np.asarray(builtins.max(exact(in_min), exact(out_min))).astype(np_in)
    if exact(low) < out_min:
        low = np.nextafter(low, zero, dtype=np_in)
    high = np.asarray(builtins.min(exact(in_max), exact(out_max))).astype(np_in)
    if exact(high) > out_max:
        high = np.nextafter(high, zero, dtype=np_in)
    return exact(low), exact(high)


@keras_op
def saturate_cast(x, dtype):
    """Cast to ``dtype``, clipping values to its range first (no wrap-around, inf saturates).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.saturate_cast(torch.tensor([-1.0, 300.0]), "uint8")
    tensor([  0, 255], dtype=torch.uint8)
    """
    x = convert_to_tensor(x)
    out_name = _dtypes.standardize_dtype(dtype)
    td = _dtypes.torch_dtype(out_name)
    if x.dtype == torch.bool:
        return x.to(td)
    if x.is_complex():
        raise TypeError(
            f"ops.saturate_cast: complex inputs are not supported. Received: {describe(x)}"
        )
    in_name = _dtypes.standardize_dtype(x.dtype)
    low, high = _saturation_bounds(in_name, out_name)
    if not x.is_floating_point() and (low, high) == _dtype_limits(in_name):
        return x.to(td)  # the output holds every input value: a plain cast
    return torch.clamp(x, low, high).to(td)


# ------------------------------------------------------------------ scatter and slices
def _index_tensor(op, indices, device):
    indices = convert_to_tensor(indices)
    if indices.dtype.is_floating_point or indices.dtype.is_complex or indices.dtype == torch.bool:
        raise TypeError(f"ops.{op}: `indices` must be integers. Received: {describe(indices)}")
    if indices.ndim == 0:
        raise ValueError(
            f"ops.{op}: `indices` must have shape (..., k) with k index components. "
            f"Received: {describe(indices)}"
        )
    return indices.to(device=device, dtype=torch.long)


def _check_depth(op, k, shape):
    if k > len(shape):
        raise ValueError(
            f"ops.{op}: each index has {k} components but the tensor has only {len(shape)} "
            f"dimensions (shape {tuple(shape)})."
        )


def _same_as_inputs_spec(inputs, *args, **kwargs):
    return _spec_of(inputs)


def _scatter_spec(indices, values, shape):
    return KerasTensor(tuple(shape), _spec_of(values).dtype)


@keras_op(spec=_scatter_spec)
def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (duplicates sum).

    ``indices`` has shape ``(..., k)``: each row addresses the first ``k`` axes, and
    ``values`` has shape ``indices.shape[:-1] + shape[k:]``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.scatter([[0, 1], [1, 1], [1, 1]], torch.ones(3), (2, 2))
    tensor([[0., 1.],
            [0., 2.]])
    """
    values = convert_to_tensor(values)
    shape = tuple(int(s) for s in shape)
    indices = _index_tensor("scatter", indices, values.device)
    k = indices.shape[-1]
    _check_depth("scatter", k, shape)
    idx = indices.reshape(-1, k).unbind(1)
    values = values.reshape((-1, *shape[k:]))
    zeros = torch.zeros(shape, dtype=values.dtype, device=values.device)
    return zeros.index_put(idx, values, accumulate=True)


_REDUCTIONS = {"max": "amax", "min": "amin", "mul": "prod"}


def _check_reduction(reduction):
    if reduction is None:
        return None
    if not isinstance(reduction, str) or reduction.lower() not in ("add", *_REDUCTIONS):
        raise ValueError(
            "ops.scatter_update: `reduction` must be None, 'add', 'max', 'min' or 'mul'. "
            f"Received: reduction={reduction!r}"
        )
    return reduction.lower()


def _scatter_update_spec(inputs, indices, updates, reduction=None):
    _check_reduction(reduction)
    return _spec_of(inputs)


@keras_op(spec=_scatter_update_spec)
def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with ``updates`` written at ``indices`` (a copy; ``inputs`` is unchanged).

    ``indices`` has shape ``(n, k)``: each row addresses the first ``k`` axes, and ``updates``
    has shape ``(n,) + inputs.shape[k:]``. ``reduction`` combines repeated indices and the
    existing values: ``None`` (the last write wins), ``"add"``, ``"max"``, ``"min"``,
    ``"mul"``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.scatter_update(torch.zeros(2, 2), [[0, 1]], torch.tensor([5.0]))
    tensor([[0., 5.],
            [0., 0.]])
    """
    reduction = _check_reduction(reduction)
    inputs = convert_to_tensor(inputs)
    indices = _index_tensor("scatter_update", indices, inputs.device)
    updates = convert_to_tensor(updates, inputs.dtype).to(inputs.device)
    k = indices.shape[-1]
    _check_depth("scatter_update", k, inputs.shape)
    rest = tuple(inputs.shape[k:])
    idx = indices.reshape(-1, k).unbind(1)
    updates = updates.reshape((-1, *rest))
    if reduction is None or reduction == "add":
        return inputs.index_put(idx, updates, accumulate=reduction == "add")
    # max/min/mul: one scatter_reduce over the first k axes flattened into one.
    lead = inputs.shape[:k]
    flat = torch.zeros_like(idx[0])
    for i, size in zip(idx, lead):
        flat = flat * size + torch.where(i < 0, i + size, i)
    flat = flat.reshape((-1,) + (1,) * len(rest)).expand(updates.shape)
    out = inputs.reshape((-1, *rest)).scatter_reduce(
        0, flat, updates, _REDUCTIONS[reduction], include_self=True
    )
    return out.reshape(inputs.shape)


def _starts(op, start_indices, x):
    """Python int start indices (negative ones count from the end), or a tensor of them."""
    if isinstance(start_indices, torch.Tensor) and start_indices.ndim == 1:
        starts = start_indices
        n = starts.shape[0]
    else:
        if isinstance(start_indices, np.ndarray):
            start_indices = start_indices.tolist()
        if not isinstance(start_indices, (list, tuple)):
            raise TypeError(
                f"ops.{op}: `start_indices` must be a list or tuple of ints (or a 1-D tensor). "
                f"Received: start_indices={start_indices!r}"
            )
        starts = []
        for s, size in zip(start_indices, x.shape):
            if isinstance(s, torch.Tensor):
                s = int(s)
            if isinstance(s, bool) or not isinstance(s, numbers.Integral):
                raise TypeError(
                    f"ops.{op}: `start_indices` must hold ints. "
                    f"Received: start_indices={start_indices!r}"
                )
            s = int(s)
            starts.append(s + size if s < 0 else s)
        n = len(start_indices)
    if n != x.ndim:
        raise ValueError(
            f"ops.{op}: `start_indices` needs one entry per dimension of `inputs` "
            f"({x.ndim}). Received: start_indices={start_indices!r}, inputs: {describe(x)}"
        )
    return starts


def _slice_spec(inputs, start_indices, shape):
    in_shape = _spec_of(inputs).shape
    shape = [int(s) for s in shape]
    if len(shape) != len(in_shape):
        raise ValueError(
            f"ops.slice: `shape` needs one entry per dimension of `inputs` ({len(in_shape)}). "
            f"Received: shape={shape}, inputs: {describe(inputs)}"
        )
    if hasattr(start_indices, "__len__") and not isinstance(start_indices, KerasTensor):
        if len(start_indices) != len(in_shape):
            raise ValueError(
                "ops.slice: `start_indices` needs one entry per dimension of `inputs` "
                f"({len(in_shape)}). Received: start_indices={start_indices!r}"
            )
    out = []
    for i, (dim, n) in enumerate(zip(in_shape, shape)):
        if n != -1:
            out.append(n)
        elif dim is None or isinstance(start_indices, KerasTensor):
            out.append(None)
        else:
            start = start_indices[i]
            if isinstance(start, KerasTensor):
                out.append(None)
            else:
                start = int(start)
                out.append(dim - (start + dim if start < 0 else start))
    return KerasTensor(out, _spec_of(inputs).dtype)


@keras_op(spec=_slice_spec)
def slice(inputs, start_indices, shape):  # noqa: A001 - Keras's name
    """The block of ``inputs`` of size ``shape`` starting at ``start_indices``.

    A size of -1 takes everything to the end of that axis.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.slice(torch.arange(12).reshape(3, 4), (1, 1), (2, 2))
    tensor([[ 5,  6],
            [ 9, 10]])
    """
    x = convert_to_tensor(inputs)
    sizes = [int(s) for s in shape]
    if len(sizes) != x.ndim:
        raise ValueError(
            f"ops.slice: `shape` needs one entry per dimension of `inputs` ({x.ndim}). "
            f"Received: shape={tuple(shape)}, inputs: {describe(x)}"
        )
    starts = _starts("slice", start_indices, x)
    if isinstance(starts, list):
        return x[
            tuple(builtins.slice(s, None if n == -1 else s + n) for s, n in zip(starts, sizes))
        ]
    for d, n in enumerate(sizes):  # tensor start indices
        start = starts[d]
        x = x.narrow(d, start, x.shape[d] - int(start) if n == -1 else n)
    return x


@keras_op(spec=_same_as_inputs_spec)
def slice_update(inputs, start_indices, updates):
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.slice_update(torch.zeros(2, 3), (0, 1), torch.ones(1, 2))
    tensor([[0., 1., 1.],
            [0., 0., 0.]])
    """
    x = convert_to_tensor(inputs)
    updates = convert_to_tensor(updates)
    if updates.ndim != x.ndim:
        raise ValueError(
            f"ops.slice_update: `updates` must have the rank of `inputs` ({x.ndim}). "
            f"Received: updates: {describe(updates)}"
        )
    starts = _starts("slice_update", start_indices, x)
    out = x.clone()
    if isinstance(starts, list):
        key = tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))
        out[key] = updates
        return out
    view = out
    for d, n in enumerate(updates.shape):
        view = view.narrow(d, starts[d], n)
    view.copy_(updates)
    return out


@keras_op
def stop_gradient(variable):
    """``variable`` without gradient history: gradients do not flow through it."""
    return convert_to_tensor(variable).detach()


def _unstack_spec(x, num=None, axis=0):
    shape = _spec_of(x).shape
    axis = canonical_axis(axis, len(shape), "unstack")
    n = shape[axis] if shape[axis] is not None else num
    if n is None:
        raise ValueError(
            f"ops.unstack: the size of axis {axis} is unknown; pass `num`. Received: {describe(x)}"
        )
    out_shape = shape[:axis] + shape[axis + 1 :]
    return [KerasTensor(out_shape, _spec_of(x).dtype) for _ in range(n)]


@keras_op(spec=_unstack_spec)
def unstack(x, num=None, axis=0):
    """Split ``x`` along ``axis`` into a tuple of tensors of one less dimension.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> [t.shape for t in ops.unstack(torch.zeros(2, 3), axis=1)]
    [torch.Size([2]), torch.Size([2]), torch.Size([2])]
    """
    x = convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError(f"ops.unstack: `x` must have at least one dimension. Received: {x!r}")
    axis = canonical_axis(axis, x.ndim, "unstack")
    if num is not None and num != x.shape[axis]:
        raise ValueError(
            f"ops.unstack: `num` ({num}) must equal the size of axis {axis} ({x.shape[axis]}). "
            f"Received: num={num!r}, x: {describe(x)}"
        )
    return x.unbind(axis)


# ------------------------------------------------------------------ control flow
def _same_spec(a, b) -> bool:
    fa, fb = _flatten(a), _flatten(b)
    if len(fa) != len(fb):
        return False
    for x, y in zip(fa, fb):
        if (x is None) != (y is None):
            return False
        if x is not None and (tuple(x.shape) != tuple(y.shape) or x.dtype != y.dtype):
            return False
    return True


def _cond_spec(pred, true_fn, false_fn):
    true_spec = _infer("cond", true_fn)
    false_spec = _infer("cond", false_fn)
    if not _same_spec(true_spec, false_spec):
        raise ValueError(
            "ops.cond: `true_fn` and `false_fn` must return the same structure, shapes and "
            f"dtypes. Received: {true_spec} and {false_spec}"
        )
    return true_spec


@keras_op(spec=_cond_spec)
def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (``pred`` a bool or a scalar tensor).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.cond(torch.tensor(True), lambda: 1, lambda: 2)
    1
    """
    return true_fn() if pred else false_fn()


def _switch_spec(index, branches, *operands):
    if not branches:
        raise ValueError("ops.switch: `branches` must hold at least one function.")
    return _infer("switch", branches[0], *operands)


@keras_op(spec=_switch_spec)
def switch(index, branches, *operands):
    """``branches[index](*operands)``, with ``index`` clipped to ``[0, len(branches) - 1]``.

    Example:

    >>> from ketorch import ops
    >>> ops.switch(5, [lambda x: x + 1, lambda x: x * 10], 2)
    20
    """
    if not branches:
        raise ValueError("ops.switch: `branches` must hold at least one function.")
    i = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def _fori_spec(init_val, lower=None, upper=None, body_fun=None):
    return _map_leaves(_spec_of, init_val)


@keras_op(spec=_fori_spec)
def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``, from ``init_val``.

    Example:

    >>> from ketorch import ops
    >>> ops.fori_loop(0, 10, lambda i, total: total + i, 0)
    45
    """
    _check_callable("fori_loop", "body_fun", body_fun)
    if has_keras_tensor(init_val):
        return _record("fori_loop", lower, upper, body_fun, init_val)
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _while_spec(loop_vars, cond=None, body=None, maximum_iterations=None):
    return _map_leaves(_spec_of, loop_vars)


@keras_op(spec=_while_spec)
def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds.

    A tuple or list of loop variables is passed to ``cond`` and ``body`` as separate
    arguments and comes back as a tuple; any other value is passed and returned as one.
    ``maximum_iterations`` caps the number of iterations.

    Example:

    >>> from ketorch import ops
    >>> ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (0, 1))
    (tensor(3, dtype=torch.int32), tensor(8, dtype=torch.int32))
    """
    _check_callable("while_loop", "cond", cond)
    _check_callable("while_loop", "body", body)
    if has_keras_tensor(loop_vars):
        return _record("while_loop", cond, body, loop_vars, maximum_iterations)
    several = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if several else (loop_vars,)
    state = _map_leaves(convert_to_tensor, state)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and cond(*state):
        state = body(*state)
        state = tuple(state) if isinstance(state, (list, tuple)) else (state,)
        steps += 1
    return state if several else state[0]


def _slice_structure(xs, leaves, i):
    return _pack(xs, [v[i] for v in leaves])


def _map_spec(f, xs):
    n = _leading_size("map", xs)
    y = _infer("map", f, _map_leaves(_first_slice, xs))
    return _with_leading(n, y)


@keras_op(spec=_map_spec)
def map(f, xs):  # noqa: A001 - Keras's name
    """``f`` applied to each element along the leading axis of ``xs``, results stacked.

    ``xs`` may be a nested structure; ``f`` then gets the same structure of slices.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.map(lambda x: x * x, torch.arange(4))
    tensor([0, 1, 4, 9])
    """
    _check_callable("map", "f", f)
    if has_keras_tensor(xs):
        return _record("map", f, xs)
    leaves = [convert_to_tensor(v) for v in _flatten(xs)]
    n = leaves[0].shape[0]
    return _stack("map", [f(_slice_structure(xs, leaves, i)) for i in range(n)])


def _scan_step(f, carry, x, init_leaves):
    carry, y = f(carry, x)
    if y is None:  # as Keras on torch: stacked zeros shaped like the carry
        y = [torch.zeros_like(v) for v in init_leaves]
    return carry, y


def _scan_spec(f, init, xs=None, length=None, reverse=False, unroll=1):
    if xs is None:
        if length is None:
            raise ValueError("ops.scan: pass `xs` or `length`.")
        n, x = int(length), None
    else:
        n = int(length) if length is not None else _leading_size("scan", xs)
        x = _map_leaves(_first_slice, xs)

    def step(c, x):
        leaves = [convert_to_tensor(v) for v in _flatten(c)]
        carry, y = _scan_step(f, c, x, leaves)
        return _map_leaves(convert_to_tensor, carry), y

    carry, y = _infer("scan", step, init, x)
    return carry, _with_leading(n, y)


@keras_op(spec=_scan_spec)
def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; stack the ``y``s.

    Args:
        f: ``f(carry, x) -> (carry, y)``.
        init: The initial carry (a tensor or a nested structure of them).
        xs: What to loop over (a tensor or a nested structure), or None with ``length``.
        length: The number of iterations (default: the leading size of ``xs``).
        reverse: Loop from the last element to the first (``ys`` keep ``xs``'s order).
        unroll: A positive int or a bool; accepted for compatibility (torch runs eagerly).

    Returns:
        ``(final_carry, stacked_ys)``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.scan(lambda c, x: (c + x, c + x), 0, torch.tensor([1, 2, 3]))
    (tensor(6), tensor([1, 3, 6]))
    """
    _check_callable("scan", "f", f)
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(
            f"ops.scan: `unroll` must be a positive integer or a bool. Received: unroll={unroll!r}"
        )
    if xs is None and length is None:
        raise ValueError("ops.scan: pass `xs` to loop over, or the number of steps `length`.")
    if has_keras_tensor([init, xs]):
        return _record("scan", f, init, xs, length, reverse, unroll)
    leaves = [] if xs is None else [convert_to_tensor(v) for v in _flatten(xs)]
    n = int(length) if length is not None else leaves[0].shape[0]
    init_leaves = [convert_to_tensor(v) for v in _flatten(init)]
    carry = _pack(init, init_leaves)
    ys = [None] * n
    for i in range(n - 1, -1, -1) if reverse else range(n):
        x = _slice_structure(xs, leaves, i) if leaves else None
        carry, ys[i] = _scan_step(f, carry, x, init_leaves)
    return carry, _stack("scan", ys)


def _assoc_spec(f, elems, reverse=False, axis=0):
    leaves = [_spec_of(v) for v in _flatten(elems)]
    ndim = len(leaves[0].shape)
    axis = canonical_axis(axis, ndim, "associative_scan")
    if len({v.shape[axis] for v in leaves}) != 1:
        raise ValueError(
            "ops.associative_scan: every tensor in `elems` needs the same size along `axis`. "
            f"Received shapes {[v.shape for v in leaves]}"
        )
    one = _pack(
        elems,
        [KerasTensor(v.shape[:axis] + (1,) + v.shape[axis + 1 :], v.dtype) for v in leaves],
    )
    out = _flatten(_infer("associative_scan", f, one, one))
    return _pack(elems, [KerasTensor(v.shape, o.dtype) for v, o in zip(leaves, out)])


def _along(x, axis, start, stop=None, step=None):
    return x[(builtins.slice(None),) * axis + (builtins.slice(start, stop, step),)]


def _prefix_scan(combine, xs, axis):
    """Inclusive scan of the leaf lists ``xs`` along ``axis`` in 2*log2(n) ``combine`` calls.

    Pairs of neighbours are combined, the half-length sequence is scanned recursively (giving
    the prefixes at odd positions), then each even position combines the prefix before it
    with its own element.
    """
    n = xs[0].shape[axis]
    if n < 2:
        return xs
    pairs = combine(
        [_along(x, axis, 0, n - 1, 2) for x in xs], [_along(x, axis, 1, None, 2) for x in xs]
    )
    odd = _prefix_scan(combine, pairs, axis)
    m = (n - 1) // 2  # even positions after the first
    if m:
        tail = combine(
            [_along(o, axis, 0, m) for o in odd], [_along(x, axis, 2, None, 2) for x in xs]
        )
        even = [torch.cat([_along(x, axis, 0, 1), t], axis) for x, t in zip(xs, tail)]
    else:
        even = [_along(x, axis, 0, 1) for x in xs]
    out = []
    for e, o in zip(even, odd):
        k = o.shape[axis]
        merged = torch.stack([_along(e, axis, 0, k), o], axis + 1).flatten(axis, axis + 1)
        if e.shape[axis] > k:
            merged = torch.cat([merged, _along(e, axis, k)], axis)
        out.append(merged)
    return out


@keras_op(spec=_assoc_spec)
def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan with an associative ``f`` in a logarithmic number of parallel steps.

    The ``k``-th result along ``axis`` is ``f`` folded over the first ``k + 1`` elements:
    ``[a, f(a, b), f(f(a, b), c), ...]``. ``f(a, b)`` must work elementwise on whole slices
    (structures like ``elems``) and be associative; it is called about ``2 * log2(n)`` times.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.associative_scan(lambda a, b: a + b, torch.arange(5))
    tensor([ 0,  1,  3,  6, 10])
    """
    _check_callable("associative_scan", "f", f)
    if has_keras_tensor(elems):
        return _record("associative_scan", f, elems, reverse, axis)
    leaves = [convert_to_tensor(v) for v in _flatten(elems)]
    if not leaves:
        raise ValueError("ops.associative_scan: `elems` holds no tensors.")
    axis = canonical_axis(axis, leaves[0].ndim, "associative_scan")
    if any(v.ndim <= axis or v.shape[axis] != leaves[0].shape[axis] for v in leaves):
        raise ValueError(
            "ops.associative_scan: every tensor in `elems` needs the same size along `axis`. "
            f"Received shapes {[tuple(v.shape) for v in leaves]} and axis={axis}"
        )
    if reverse:
        leaves = [torch.flip(v, (axis,)) for v in leaves]

    def combine(a, b):
        c = f(_pack(elems, a), _pack(elems, b))
        return [convert_to_tensor(v) for v in _flatten(c)]

    out = _prefix_scan(combine, leaves, axis)
    if reverse:
        out = [torch.flip(v, (axis,)) for v in out]
    return _pack(elems, out)


def _vmap_spec(elements, function=None):
    n = _leading_size("vectorized_map", elements)
    y = _infer("vectorized_map", function, _map_leaves(_first_slice, elements))
    return _with_leading(n, y)


@keras_op(spec=_vmap_spec)
def vectorized_map(function, elements):
    """``function`` mapped over the leading axis of ``elements`` in one batched call
    (``torch.vmap``); a structure of tensors is passed to ``function`` as one structure.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.vectorized_map(lambda x: x.sum(), torch.ones(3, 4))
    tensor([4., 4., 4.])
    """
    _check_callable("vectorized_map", "function", function)
    if has_keras_tensor(elements):
        return _record("vectorized_map", function, elements)
    elements = _map_leaves(convert_to_tensor, elements)
    return torch.vmap(function)(elements)


# ------------------------------------------------------------------ custom gradients
def _call_grad_fn(grad_fn, args, upstream):
    """Call ``grad_fn`` as Keras on torch does, ``grad_fn(*args, upstream=...)``; a function
    written for TensorFlow/JAX (one positional ``upstream`` argument) gets ``grad_fn(upstream)``.
    """
    try:
        params = inspect.signature(grad_fn).parameters
    except (TypeError, ValueError):
        return grad_fn(*args, upstream=upstream)
    kinds = inspect.Parameter
    positional = [
        p for p in params.values() if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
    ]
    var_positional = any(p.kind is kinds.VAR_POSITIONAL for p in params.values())
    upstream_kw = "upstream" in params and params["upstream"].kind is not kinds.POSITIONAL_ONLY
    if upstream_kw and (var_positional or len(positional) - 1 >= len(args)):
        return grad_fn(*args, upstream=upstream)
    if not var_positional and len(positional) == 1:
        return grad_fn(upstream)
    return grad_fn(*args, upstream=upstream)


class _CustomGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, f, kwargs, info, *args):
        result = f(*args, **kwargs)
        if not (isinstance(result, (tuple, list)) and len(result) == 2 and callable(result[1])):
            raise TypeError(
                "ops.custom_gradient: the decorated function must return a pair "
                f"`(output, grad_fn)`. Received: {describe(result)}"
            )
        output, grad_fn = result
        leaves = _flatten(output)
        if not all(isinstance(v, torch.Tensor) for v in leaves):
            leaves = [convert_to_tensor(v) for v in leaves]
        info["structure"] = output
        ctx.grad_fn = grad_fn
        ctx.structure = output
        positions = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
        ctx.positions = positions
        ctx.others = [None if isinstance(a, torch.Tensor) else a for a in args]
        ctx.save_for_backward(*(args[i] for i in positions))
        return tuple(leaves)

    @staticmethod
    def backward(ctx, *grads):
        args = list(ctx.others)
        for i, t in zip(ctx.positions, ctx.saved_tensors):
            args[i] = t
        structure = ctx.structure
        upstream = grads[0] if isinstance(structure, torch.Tensor) else _pack(structure, grads)
        result = _call_grad_fn(ctx.grad_fn, args, upstream)
        result = tuple(result) if isinstance(result, (list, tuple)) else (result,)
        if len(result) == len(args):
            out = list(result)
        elif len(result) == len(ctx.positions):
            out = [None] * len(args)
            for i, g in zip(ctx.positions, result):
                out[i] = g
        else:
            raise ValueError(
                f"ops.custom_gradient: `grad_fn` returned {len(result)} gradients for "
                f"{len(args)} arguments."
            )
        for i, g in enumerate(out):
            if i not in ctx.positions:
                out[i] = None
            elif g is not None and not isinstance(g, torch.Tensor):
                ref = args[i]
                out[i] = torch.as_tensor(g, dtype=ref.dtype, device=ref.device)
        return (None, None, None, *out)


@keras_op(symbolic=False)
def custom_gradient(f):
    """Decorator: give ``f`` a hand-written gradient.

    ``f(*args)`` returns ``(output, grad_fn)``. In the backward pass ``grad_fn(*args,
    upstream=g)`` receives the arguments and ``g``, the gradient of the loss with respect to
    ``output`` (a structure like ``output`` when it has several tensors), and returns one
    gradient per argument (a tuple when there are several). A ``grad_fn(upstream)`` written
    for TensorFlow or JAX works too.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> @ops.custom_gradient
    ... def clip_grad_identity(x):
    ...     def grad_fn(*args, upstream=None):
    ...         return torch.clamp(upstream, -1.0, 1.0)
    ...     return x * 1.0, grad_fn
    >>> x = torch.tensor([3.0], requires_grad=True)
    >>> (clip_grad_identity(x) * 5.0).sum().backward()
    >>> x.grad
    tensor([1.])
    """
    _check_callable("custom_gradient", "f", f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if any(isinstance(a, KerasTensor) for a in _flatten([list(args), kwargs])):
            raise ValueError(
                f"ops.custom_gradient: `{getattr(f, '__name__', 'f')}` was called on a "
                "symbolic KerasTensor; call it inside a layer's `call()` on real tensors."
            )
        info = {}
        leaves = _CustomGradient.apply(f, kwargs, info, *args)
        structure = info["structure"]
        if isinstance(structure, torch.Tensor):
            return leaves[0]
        return _pack(structure, leaves)

    return wrapper


# ------------------------------------------------------------------ graph nodes
class _CallByName(Operation):
    """A recorded op whose static parameters come before its tensor ones in Keras's signature
    (``vectorized_map(function, elements)``, ``fori_loop(lower, upper, body_fun, init_val)``,
    ``while_loop(cond, body, loop_vars, ...)``): the node passes the tensors by name, since
    positionally they would land on the static parameters."""

    def __call__(self, *args, **kwargs):
        if has_keras_tensor([list(args), kwargs]):
            return self._symbolic_call(args, kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        names = [p for p in self._op.signature.parameters if p not in self._op_config]
        return self._op.fn(**dict(zip(names, args)), **self._op_config, **kwargs)


for _name in ("vectorized_map", "fori_loop", "while_loop"):
    _info = REGISTRY[_name]
    _operation._CLASSES.setdefault(
        _info.class_name,
        type(
            _info.class_name,
            (_CallByName,),
            {"_op": _info, "_keras_module": _info.keras_module, "__module__": _operation.__name__},
        ),
    )
