"""keras.ops.numpy: products, contractions, selection and indexing.

The contractions (``matmul``, ``dot``, ``einsum``, ...) are the hot path of custom layers: on
float tensors that share a dtype they call the torch kernel with no conversion at all. Other
inputs follow Keras's dtype rules (``result_type``; ``int8 @ int8`` gives ``int32``); integer
products run natively where torch has the kernel (CPU) and in floatx elsewhere.
"""

from __future__ import annotations

import inspect
import re

import torch
import torch.nn.functional as F

from ..layers.node import KerasTensor
from . import _dtypes
from ._common import canonical_axis, dtype_of, floatx_dtype, to_tensor
from .operation import OpInfo, describe, keras_op

__all__ = [
    "cross",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "nonzero",
    "outer",
    "select",
    "slogdet",
    "take",
    "take_along_axis",
    "tensordot",
    "trace",
    "unravel_index",
    "vdot",
    "vectorize",
    "where",
]

# Dtypes the contractions take as they are (float64 is narrowed to float32 by Keras's rules).
_FAST = frozenset({torch.float32, torch.float16, torch.bfloat16, torch.complex64})
# Integer dtypes torch multiplies natively on the CPU.
_NATIVE_INT = frozenset({torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64})
_INDEX = (torch.int32, torch.int64)


# ----------------------------------------------------------------------------- helpers
def _on(t: torch.Tensor, device) -> torch.Tensor:
    return t if device is None or t.device == device else t.to(device)


def _device(*xs):
    for x in xs:
        if isinstance(x, torch.Tensor):
            return x.device
    return None


def _tensor(x, device=None) -> torch.Tensor:
    """``x`` as a tensor on ``device`` (tensors are returned as they are when already there)."""
    if isinstance(x, torch.Tensor):
        return _on(x, device)
    return _on(to_tensor(x), device)


def _pair(x1, x2):
    if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor):
        return x1, x2
    device = _device(x1, x2)
    return _tensor(x1, device), _tensor(x2, device)


def _compute_dtype(out: torch.dtype, device) -> torch.dtype:
    """The dtype a product of result dtype ``out`` runs in on ``device``."""
    if out.is_floating_point or out.is_complex:
        return out
    if out in _NATIVE_INT and device.type in ("cpu", "meta"):
        return out
    return floatx_dtype()


def _product_operands(a, b, int8_to_int32=False):
    """Cast ``a`` and ``b`` for a product; returns them and the dtype to cast the result to
    (``None`` when the product already has it)."""
    if int8_to_int32 and a.dtype is torch.int8 and b.dtype is torch.int8:
        out = torch.int32
    else:
        out = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(a), dtype_of(b)))
    compute = _compute_dtype(out, a.device)
    if a.dtype is not compute:
        a = a.to(compute)
    if b.dtype is not compute:
        b = b.to(compute)
    return a, b, (None if compute is out else out)


def _fast(a, b) -> bool:
    return a.dtype is b.dtype and a.dtype in _FAST


def _finish(result, out):
    return result if out is None else result.to(out)


def _index_tensor(indices, device) -> torch.Tensor:
    """Integer indices on ``device`` (floats and bools are truncated to int64, as Keras does)."""
    idx = _tensor(indices, device)
    if idx.dtype not in _INDEX:
        idx = idx.long()
    return idx


# ----------------------------------------------------------------------------- products
@keras_op
def matmul(x1, x2):
    """Matrix product of ``x1`` and ``x2`` with NumPy's broadcasting rules.

    ``int8 @ int8`` gives ``int32``; other inputs promote with Keras's rules.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.matmul(torch.ones(2, 3), torch.ones(3, 4)).shape
    torch.Size([2, 4])
    """
    if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor) and _fast(x1, x2):
        return torch.matmul(x1, x2)
    a, b, out = _product_operands(*_pair(x1, x2), int8_to_int32=True)
    return _finish(torch.matmul(a, b), out)


@keras_op
def dot(x1, x2):
    """NumPy's ``dot``: a scalar product for scalars, else a sum over the last axis of ``x1``
    and the second-to-last axis of ``x2`` (the only axis when ``x2`` is 1-D).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.dot(torch.ones(2, 3), torch.ones(3)).tolist()
    [3.0, 3.0]
    """
    a, b = _pair(x1, x2)
    out = None
    if not _fast(a, b):
        a, b, out = _product_operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        result = a * b
    elif b.ndim <= 2:
        result = torch.matmul(a, b)
    else:
        result = torch.tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 2]))
    return _finish(result, out)


def _einsum_compute(operands):
    """(operands cast for the kernel, dtype of the result or None)."""
    first = operands[0].dtype
    if all(o.dtype is first for o in operands):
        if first.is_floating_point or first.is_complex:
            return operands, None
        out = torch.int32 if first is torch.int8 else first
    else:
        out = _dtypes.torch_dtype(_dtypes.result_type(*(dtype_of(o) for o in operands)))
    compute = _compute_dtype(out, operands[0].device)
    operands = [o if o.dtype is compute else o.to(compute) for o in operands]
    return operands, (None if compute is out else out)


def einsum(*args, **kwargs):
    """Einstein summation over ``operands`` as described by ``subscripts``.

    Signature: ``einsum(subscripts, *operands, **kwargs)``. Operands of one float dtype keep it
    (float64 included, as Keras's torch backend does); all-``int8`` operands give ``int32``;
    mixed dtypes promote with Keras's rules. Keyword arguments (NumPy's ``optimize``...) are
    accepted and ignored.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(3, 4)).shape
    torch.Size([2, 4])
    """
    # A graph node calls the kernel as ``fn(*operands, subscripts=...)`` (its config holds
    # ``subscripts``), users call ``einsum(subscripts, *operands)``: accept both.
    if "subscripts" in kwargs:
        subscripts, operands = kwargs.pop("subscripts"), args
    elif args:
        subscripts, operands = args[0], args[1:]
    else:
        raise TypeError("ops.einsum: missing the `subscripts` argument")
    if not isinstance(subscripts, str):
        raise TypeError(
            f"ops.einsum: `subscripts` must be a string. Received: subscripts={subscripts!r}"
        )
    if not operands:
        raise ValueError("ops.einsum: at least one operand is required. Received: no operands")
    first = operands[0]
    if isinstance(first, torch.Tensor) and (first.is_floating_point() or first.is_complex()):
        dt = first.dtype
        for o in operands:
            if not isinstance(o, torch.Tensor) or o.dtype is not dt:
                break
        else:  # one float dtype: the kernel as it is
            return torch.einsum(subscripts, *operands)
    device = _device(*operands)
    ts = [_tensor(o, device) for o in operands]
    ts, out = _einsum_compute(ts)
    return _finish(torch.einsum(subscripts, *ts), out)


einsum.__signature__ = inspect.Signature(
    [
        inspect.Parameter("subscripts", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("operands", inspect.Parameter.VAR_POSITIONAL),
        inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
    ]
)
einsum = keras_op(einsum)


@keras_op
def inner(x1, x2):
    """Inner product over the last axes of ``x1`` and ``x2`` (a scalar multiplies)."""
    a, b = _pair(x1, x2)
    out = None
    if not _fast(a, b):
        a, b, out = _product_operands(a, b)
    return _finish(torch.inner(a, b), out)


@keras_op
def vdot(x1, x2):
    """Dot product of the flattened inputs, conjugating ``x1`` when it is complex."""
    a, b = _pair(x1, x2)
    out = None
    if not _fast(a, b):
        a, b, out = _product_operands(a, b)
    return _finish(torch.vdot(a.reshape(-1), b.reshape(-1)), out)


def _tensordot_dims(axes, ndim1, ndim2):
    if isinstance(axes, torch.Tensor):
        axes = axes.tolist()
    if isinstance(axes, int) and not isinstance(axes, bool):
        if not 0 <= axes <= min(ndim1, ndim2):
            raise ValueError(
                f"ops.tensordot: `axes` must be between 0 and the smaller rank "
                f"({min(ndim1, ndim2)}). Received: axes={axes}"
            )
        return axes
    if not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise ValueError(
            "ops.tensordot: `axes` must be an int or a pair of axis sequences. "
            f"Received: axes={axes!r}"
        )
    first, second = (a if isinstance(a, (list, tuple)) else (a,) for a in axes)
    if len(first) != len(second):
        raise ValueError(
            "ops.tensordot: `axes` must name as many axes of `x1` as of `x2`. "
            f"Received: axes={axes!r}"
        )
    first = canonical_axis(tuple(first), ndim1, "tensordot", "axes")
    second = canonical_axis(tuple(second), ndim2, "tensordot", "axes")
    return list(first), list(second)


@keras_op
def tensordot(x1, x2, axes=2):
    """Sum of products over ``axes``: an int ``N`` (the last ``N`` axes of ``x1`` with the
    first ``N`` of ``x2``) or a pair ``(axes_of_x1, axes_of_x2)``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.tensordot(torch.ones(2, 3, 4), torch.ones(4, 3), axes=([1, 2], [1, 0])).shape
    torch.Size([2])
    """
    a, b = _pair(x1, x2)
    out = None
    if not _fast(a, b):
        a, b, out = _product_operands(a, b)
    dims = _tensordot_dims(axes, a.ndim, b.ndim)
    return _finish(torch.tensordot(a, b, dims=dims), out)


@keras_op
def kron(x1, x2):
    """Kronecker product of ``x1`` and ``x2``."""
    a, b = _pair(x1, x2)
    return torch.kron(a, b)


@keras_op
def outer(x1, x2):
    """Outer product of the flattened ``x1`` and ``x2``: shape ``(x1.size, x2.size)``."""
    a, b = _pair(x1, x2)
    return torch.outer(a.reshape(-1), b.reshape(-1))


@keras_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of vectors of 2 or 3 components (NumPy semantics).

    ``axisa``/``axisb`` pick the vector axis of ``x1``/``x2`` and ``axisc`` the one of the
    result; ``axis`` sets all three. Two 2-vectors give the scalar z component.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.cross(torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    a, b = _pair(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    if not _fast(a, b):
        dt = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(a), dtype_of(b)))
        a, b = a.to(dt), b.to(dt)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"ops.cross: `x1` and `x2` must be vectors. Received: x1={describe(x1)}, "
            f"x2={describe(x2)}"
        )
    a = a.movedim(canonical_axis(axisa, a.ndim, "cross", "axisa"), -1)
    b = b.movedim(canonical_axis(axisb, b.ndim, "cross", "axisb"), -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(
            "ops.cross: the vector axes of `x1` and `x2` must have 2 or 3 components. "
            f"Received: x1={describe(x1)} (axisa={axisa}), x2={describe(x2)} (axisb={axisb})"
        )
    if na == 2 and nb == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    if na == 2:
        a = F.pad(a, (0, 1))
    if nb == 2:
        b = F.pad(b, (0, 1))
    result = torch.linalg.cross(a, b, dim=-1)
    axisc = canonical_axis(axisc, result.ndim, "cross", "axisc")
    return result if axisc == result.ndim - 1 else result.movedim(-1, axisc)


@keras_op
def trace(x, offset=0, axis1=0, axis2=1):
    """Sum along the diagonal (shifted by ``offset``) of the planes ``(axis1, axis2)``.

    Small integer and bool inputs sum in ``int32``.
    """
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"ops.trace: `x` must have at least 2 dimensions. Received: x={describe(x)}"
        )
    a1 = canonical_axis(axis1, x.ndim, "trace", "axis1")
    a2 = canonical_axis(axis2, x.ndim, "trace", "axis2")
    if a1 == a2:
        raise ValueError(
            f"ops.trace: `axis1` and `axis2` must be different axes. Received: axis1={axis1}, "
            f"axis2={axis2}"
        )
    dt = x.dtype
    if dt in (torch.bool, torch.int8, torch.int16, torch.uint8, torch.uint16, torch.uint32):
        dt = torch.int32
    return torch.diagonal(x, offset, a1, a2).sum(-1, dtype=dt)


@keras_op
def slogdet(x):
    """Sign and natural log of the absolute determinant of (a batch of) square matrices.

    Returns:
        A tuple ``(sign, logabsdet)``.
    """
    x = _tensor(x)
    back = None
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        x = x.to(floatx_dtype())
    elif x.dtype in (torch.float16, torch.bfloat16):
        back, x = x.dtype, x.float()
    sign, logabsdet = torch.linalg.slogdet(x)
    if back is not None:
        sign, logabsdet = sign.to(back), logabsdet.to(back)
    return sign, logabsdet


# ----------------------------------------------------------------------------- selection
@keras_op
def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when ``None``).

    The result has shape ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``; negative
    indices count from the end.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.take(torch.arange(6).reshape(2, 3), [2, -1], axis=1).tolist()
    [[2, 2], [5, 5]]
    """
    x = _tensor(x)
    idx = _index_tensor(indices, x.device)
    if axis is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = canonical_axis(axis, x.ndim, "take")
        if x.ndim == 0:
            raise ValueError(
                f"ops.take: `x` must have at least one dimension when `axis` is given. "
                f"Received: x={describe(x)}, axis={axis}"
            )
    if idx.ndim == 0:  # a tensor scalar would index by value (``.item()``): select instead
        i = idx.reshape(1)
        i = torch.where(i < 0, i + x.shape[axis], i)
        return torch.index_select(x, axis, i).squeeze(axis)
    if axis == 0:
        return x[idx]
    return x[(slice(None),) * axis + (idx,)]


@keras_op
def take_along_axis(x, indices, axis=None):
    """Pick values of ``x`` along ``axis`` at ``indices`` (same rank as ``x``; the other axes
    broadcast). With ``axis=None`` both are flattened first."""
    x = _tensor(x)
    idx = _index_tensor(indices, x.device)
    if axis is None:
        x, idx, axis = x.reshape(-1), idx.reshape(-1), 0
    else:
        axis = canonical_axis(axis, x.ndim, "take_along_axis")
        if idx.ndim != x.ndim:
            raise ValueError(
                "ops.take_along_axis: `indices` must have the same rank as `x`. Received: "
                f"x={describe(x)}, indices={describe(idx)}"
            )
    if idx.dtype is not torch.int64:
        idx = idx.long()
    idx = torch.where(idx < 0, idx + x.shape[axis], idx)
    return torch.take_along_dim(x, idx, dim=axis)


def _nonzero_spec(x):
    return KerasTensor((len(x.shape), None), "int32")


@keras_op(spec=_nonzero_spec)
def nonzero(x):
    """Indices of the non-zero elements of ``x``: an ``int32`` tensor of shape
    ``(x.ndim, count)`` (row ``i`` holds the indices along axis ``i``; it unpacks like NumPy's
    tuple)."""
    x = _tensor(x)
    return torch.nonzero(x).T.to(torch.int32)


def _where_values(condition, x1, x2):
    device = _device(x1, x2, condition)
    c = _tensor(condition, device)
    if c.dtype is not torch.bool:
        c = c.bool()
    return torch.where(c, _tensor(x1, device), _tensor(x2, device))


_WHERE_VALUES = OpInfo("where", _where_values)


def _where_spec(condition, x1=None, x2=None):
    if x1 is None and x2 is None:
        return KerasTensor((len(condition.shape), None), "int64")
    return _WHERE_VALUES.output_spec({}, (condition, x1, x2), {})


@keras_op(spec=_where_spec)
def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast together).

    With only ``condition``, the indices of its true elements: an ``int64`` tensor of shape
    ``(condition.ndim, count)``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.where(torch.tensor([True, False]), torch.tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    if x1 is None and x2 is None:
        c = _tensor(condition)
        if c.dtype is not torch.bool:
            c = c.bool()
        if c.ndim == 0:
            return torch.stack(torch.where(c))
        return torch.nonzero(c).T
    if x1 is None or x2 is None:
        raise ValueError(
            "ops.where: `x1` and `x2` must both be given or both be None. Received: "
            f"x1={describe(x1)}, x2={describe(x2)}"
        )
    return _where_values(condition, x1, x2)


@keras_op
def select(condlist, choicelist, default=0):
    """Per element, the entry of ``choicelist`` whose condition in ``condlist`` holds first,
    else ``default``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> x = torch.tensor([-1.0, 0.5, 3.0])
    >>> ops.select([x < 0, x > 1], [-x, x * 10], 0.0).tolist()
    [1.0, 0.0, 30.0]
    """
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError(
            "ops.select: `condlist` and `choicelist` must be lists. Received: "
            f"condlist={type(condlist).__name__}, choicelist={type(choicelist).__name__}"
        )
    if not condlist or not choicelist:
        raise ValueError(
            "ops.select: `condlist` and `choicelist` must not be empty. Received: "
            f"condlist of length {len(condlist)}, choicelist of length {len(choicelist)}"
        )
    if len(condlist) != len(choicelist):
        raise ValueError(
            "ops.select: `condlist` and `choicelist` must have the same length. Received: "
            f"condlist of length {len(condlist)}, choicelist of length {len(choicelist)}"
        )
    device = _device(*choicelist, *condlist, default)
    out = _tensor(default, device)
    for c, v in zip(reversed(condlist), reversed(choicelist)):
        c = _tensor(c, device)
        if c.dtype is not torch.bool:
            c = c.bool()
        out = torch.where(c, _tensor(v, device), out)
    return out


@keras_op
def unravel_index(indices, shape):
    """Convert flat ``indices`` into a tuple of coordinate tensors for an array of ``shape``."""
    idx = _tensor(indices)
    if idx.dtype.is_floating_point or idx.dtype.is_complex or idx.dtype is torch.bool:
        raise TypeError(
            f"ops.unravel_index: `indices` must be integers. Received: indices={describe(idx)}"
        )
    out = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(idx)))
    dims = tuple(int(s) for s in shape)
    return tuple(p.to(out) for p in torch.unravel_index(idx, dims))


# ----------------------------------------------------------------------------- vectorize
_SIG_SIDE = re.compile(r"^\((\w+(,\w+)*)?\)(,\((\w+(,\w+)*)?\))*$")


def _parse_signature(signature):
    text = re.sub(r"\s", "", signature)
    sides = text.split("->")
    if len(sides) != 2 or not all(_SIG_SIDE.match(s) for s in sides):
        raise ValueError(
            "ops.vectorize: `signature` must look like '(m,n),(n)->(m)'. "
            f"Received: signature={signature!r}"
        )
    return [
        [tuple(d for d in group.split(",") if d) for group in re.findall(r"\(([\w,]*)\)", s)]
        for s in sides
    ]


def _check_core(sizes, shape, core, what):
    for name, size in zip(core, shape[len(shape) - len(core) :]):
        if sizes.setdefault(name, size) != size:
            raise ValueError(
                f"ops.vectorize: inconsistent size for core dimension {name!r}: {size} vs "
                f"{sizes[name]} ({what})"
            )


class _Vectorized:
    """The function returned by :func:`vectorize` (nested ``torch.vmap`` over batch axes)."""

    def __init__(self, pyfunc, excluded, signature):
        self.pyfunc = pyfunc
        self.excluded = frozenset(excluded or ())
        self.signature = signature
        self.core = _parse_signature(signature) if signature is not None else None
        self.__name__ = getattr(pyfunc, "__name__", "vectorized")
        self.__doc__ = getattr(pyfunc, "__doc__", None)
        self.__wrapped__ = pyfunc

    def __call__(self, *args, **kwargs):
        dynamic = [i for i, a in enumerate(args) if i not in self.excluded and a is not None]
        device = _device(*(args[i] for i in dynamic))
        tensors = [_tensor(args[i], device) for i in dynamic]
        in_core, out_core = self.core if self.core is not None else ([()] * len(tensors), None)
        if len(in_core) != len(tensors):
            raise TypeError(
                f"ops.vectorize: the signature {self.signature!r} takes {len(in_core)} "
                f"vectorized arguments, got {len(tensors)}"
            )
        sizes, batch_shapes = {}, []
        for t, core in zip(tensors, in_core):
            if t.ndim < len(core):
                raise ValueError(
                    f"ops.vectorize: an input of shape {tuple(t.shape)} has fewer dimensions "
                    f"than its core dimensions {core}"
                )
            _check_core(sizes, tuple(t.shape), core, "inputs")
            batch_shapes.append(tuple(t.shape[: t.ndim - len(core)]))
        batch = tuple(torch.broadcast_shapes(*batch_shapes)) if batch_shapes else ()

        def call(*values):
            full = list(args)
            for i, v in zip(dynamic, values):
                full[i] = v
            result = self.pyfunc(*full, **kwargs)
            self._check_outputs(result, out_core, dict(sizes))
            return result

        fn, kept, expand = call, [[] for _ in tensors], []
        for d in range(len(batch) - 1, -1, -1):
            in_dims = []
            for j, bs in enumerate(batch_shapes):
                k = d - (len(batch) - len(bs))
                mapped = k >= 0 and bs[k] != 1
                in_dims.append(0 if mapped else None)
                if k >= 0 and not mapped:
                    kept[j].append(k)
            if all(i is None for i in in_dims):
                expand.append(d)
                continue
            fn = torch.vmap(fn, in_dims=tuple(in_dims))
        squeezed = [t.squeeze(tuple(k)) if k else t for t, k in zip(tensors, kept)]
        result = fn(*squeezed)
        if not expand:
            return result
        expand.sort()

        def unsqueeze(r):
            for d in expand:
                r = r.unsqueeze(d)
            return r

        return (
            tuple(unsqueeze(r) for r in result) if isinstance(result, tuple) else unsqueeze(result)
        )

    @staticmethod
    def _check_outputs(result, out_core, sizes):
        outs = result if isinstance(result, tuple) else (result,)
        if out_core is None:
            out_core = [()] * len(outs)
        elif len(out_core) > 1 and not isinstance(result, tuple):
            raise TypeError(
                f"ops.vectorize: the function must return a tuple of {len(out_core)} outputs"
            )
        if len(outs) != len(out_core):
            raise TypeError(f"ops.vectorize: expected {len(out_core)} outputs, got {len(outs)}")
        for o, core in zip(outs, out_core):
            shape = tuple(getattr(o, "shape", ()))
            if len(shape) != len(core):
                raise ValueError(
                    f"ops.vectorize: an output of shape {shape} does not match its core "
                    f"dimensions {core}"
                )
            _check_core(sizes, shape, core, "outputs")


@keras_op(symbolic=False)
def vectorize(pyfunc, *, excluded=None, signature=None):
    """Turn ``pyfunc`` (written for single elements, or for core dimensions given by a
    gufunc ``signature`` such as ``"(m,n),(n)->(m)"``) into a function over whole tensors,
    broadcasting the leading (batch) axes, with ``torch.vmap``.

    Args:
        pyfunc: The function to vectorize.
        excluded: Positions of arguments passed to ``pyfunc`` unchanged (not vectorized).
        signature: Optional gufunc signature; without it ``pyfunc`` maps scalars to scalars.
            ``None`` arguments and keyword arguments are passed unchanged.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> f = ops.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")
    >>> f(torch.ones(4, 3), torch.ones(3)).tolist()
    [3.0, 3.0, 3.0, 3.0]
    """
    if not callable(pyfunc):
        raise ValueError(f"ops.vectorize: `pyfunc` must be callable. Received: pyfunc={pyfunc!r}")
    return _Vectorized(pyfunc, excluded, signature)
