"""keras.ops.numpy, elementwise part: arithmetic, comparisons, logic, bitwise, unary math.

Dtypes follow Keras on the torch backend, call for call:

* Ops that Keras hands straight to a torch kernel (``add``, ``multiply``, ``power``,
  ``equal``, the bitwise and logical ops...) promote as torch does on Keras's converted
  operands: tensor pairs keep torch's promotion (``float64`` stays ``float64``), and Python
  scalars are weak (``int8`` tensor ``+ 1`` stays ``int8``; ``int32`` tensor ``* 1.5`` gives
  floatx). Scalars are passed to the kernel as Python numbers, so no tensor is created for them.
* Ops that Keras casts to ``result_type`` first (``maximum``, ``floor_divide``, ``arctan2``,
  ``hypot``, ``isclose``...) use :func:`~ketorch.ops._dtypes.result_type`, which narrows 64-bit
  results to 32 bits as Keras does on torch. Of these, the ones Keras converts its operands
  for first (``arctan2``, ``hypot``, ``heaviside``, ``logaddexp``, ``logaddexp2``,
  ``nextafter``, ``ldexp``, ``isclose``, ``isin``) count a Python float as floatx: a float16
  tensor and ``0.5`` compute in float32, as in Keras.
* Unary float math (``sin``, ``exp``, ``sqrt``...) maps bool and integer inputs to floatx.
"""

from __future__ import annotations

import functools

import torch

from .. import config
from . import _dtypes
from ._common import _promotion_key, dtype_of, float_result, floatx_dtype, to_tensor
from .operation import describe, keras_op

__all__ = [
    "abs",
    "absolute",
    "add",
    "allclose",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "cbrt",
    "ceil",
    "clip",
    "conj",
    "conjugate",
    "cos",
    "cosh",
    "deg2rad",
    "divide",
    "divide_no_nan",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "gcd",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "i0",
    "imag",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "lcm",
    "ldexp",
    "left_shift",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "nan_to_num",
    "negative",
    "nextafter",
    "not_equal",
    "power",
    "rad2deg",
    "real",
    "reciprocal",
    "right_shift",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
]

_Tensor = torch.Tensor
_SCALARS = frozenset({bool, int, float, complex})
_NUMBERS = frozenset({int, float})
_BOOL = torch.bool
_INT32 = torch.int32
_INT64 = torch.int64
_FLOAT64 = torch.float64
_WIDE = frozenset({torch.int64, torch.uint64, torch.float64, torch.complex128})
_HALF_OR_32 = frozenset({torch.float16, torch.bfloat16, torch.float32})


# --------------------------------------------------------------------------- operands
def _scalar_dtype(kind) -> torch.dtype:
    """The dtype Keras converts a Python scalar of type ``kind`` to."""
    if kind is bool:
        return _BOOL
    if kind is int:
        return _INT32
    if kind is float:
        return floatx_dtype()
    return torch.complex64


@functools.lru_cache(maxsize=512)
def _with_scalar(dtype: torch.dtype, kind: type, floatx: str) -> torch.dtype:
    """Result dtype of ``tensor(dtype) <op> scalar`` in Keras on torch (the scalar is weak)."""
    try:
        return torch.result_type(
            torch.empty((1,), dtype=dtype, device="meta"),
            torch.empty((), dtype=_scalar_dtype(kind), device="meta"),
        )
    except RuntimeError:  # torch cannot promote uint16/32/64: use Keras's lattice
        key = kind if kind in _NUMBERS else _dtypes.standardize_dtype(_scalar_dtype(kind))
        return _dtypes.torch_dtype(_dtypes.result_type(_dtypes.standardize_dtype(dtype), key))


@functools.lru_cache(maxsize=512)
def _keras_with_scalar(dtype: torch.dtype, kind: type, floatx: str) -> torch.dtype:
    """``result_type(dtype, weak scalar)`` (64-bit narrowed) as a torch dtype."""
    key = kind if kind in _NUMBERS else _dtypes.standardize_dtype(_scalar_dtype(kind))
    return _dtypes.torch_dtype(_dtypes.result_type(_dtypes.standardize_dtype(dtype), key))


def _like(x, ref: torch.Tensor) -> torch.Tensor:
    """A non-tensor operand as a tensor on ``ref``'s device (Keras's dtype for it)."""
    if x.__class__ in _SCALARS:
        return torch.full((), x, dtype=_scalar_dtype(x.__class__), device=ref.device)
    t = to_tensor(x)
    return t if t.device == ref.device else t.to(ref.device)


def _operands(x1, x2, scalar_ok=True):
    """``(a, b)`` for a torch binary kernel, with Keras's (torch backend) result dtype.

    ``a`` is a tensor; ``b`` is a tensor or, with ``scalar_ok``, a raw Python scalar (the
    tensor is cast first if the weak scalar would promote it, e.g. ``bool`` tensor ``+ 1``).
    Two tensors are returned untouched: the kernel promotes them as Keras on torch does.
    """
    if isinstance(x1, _Tensor):
        if isinstance(x2, _Tensor):
            return x1, x2
        if x2.__class__ in _SCALARS:
            if not scalar_ok:
                return x1, _like(x2, x1)
            r = _with_scalar(x1.dtype, x2.__class__, config.floatx())
            return (x1 if r == x1.dtype else x1.to(r)), x2
        return x1, _like(x2, x1)
    if isinstance(x2, _Tensor):
        return _like(x1, x2), x2
    x1 = to_tensor(x1)
    return x1, _like(x2, x1)


def _to(x, td: torch.dtype, ref):
    if isinstance(x, _Tensor):
        return x if x.dtype == td else x.to(td)
    if ref is not None and x.__class__ in _SCALARS:
        return torch.full((), x, dtype=td, device=ref.device)
    t = to_tensor(x, td)
    return t if ref is None or t.device == ref.device else t.to(ref.device)


def _keras_promote(x1, x2, weak=None, strong=False):
    """Both operands as tensors of Keras's ``result_type`` (and ``weak``, e.g. ``float``).

    Unlike :func:`_operands` this narrows 64-bit results to 32 bits, as the Keras ops that
    cast to ``result_type`` do on torch. With ``strong``, Python scalars count with the dtype
    they convert to (``int32``, floatx), as in the Keras ops that convert before promoting.
    """
    t1, t2 = isinstance(x1, _Tensor), isinstance(x2, _Tensor)
    if (
        t1
        and t2
        and x1.dtype == x2.dtype
        and x1.dtype not in _WIDE
        and (weak is None or x1.dtype in _HALF_OR_32)
    ):
        return x1, x2
    key = dtype_of if strong else _promotion_key
    keys = (key(x1), key(x2)) + (() if weak is None else (weak,))
    td = _dtypes.torch_dtype(_dtypes.result_type(*keys))
    ref = x1 if t1 else (x2 if t2 else None)
    if ref is None:
        x1 = to_tensor(x1, td)
        return x1, _to(x2, td, x1)
    return _to(x1, td, ref), _to(x2, td, ref)


def _as_tensor(x) -> torch.Tensor:
    return x if isinstance(x, _Tensor) else to_tensor(x)


def _check_integer(op: str, **operands):
    """Raise ``TypeError`` naming ``ops.<op>`` for float/complex operands of integer ops."""
    for name, x in operands.items():
        if isinstance(x, _Tensor):
            bad = x.is_floating_point() or x.is_complex()
        else:
            bad = x.__class__ in (float, complex) or (
                x.__class__ not in _SCALARS
                and not _dtypes.standardize_dtype(_promotion_key(x)).startswith(
                    ("int", "uint", "bool")
                )
            )
        if bad:
            raise TypeError(
                f"ops.{op}: `{name}` must be an integer or bool tensor. "
                f"Received: {name}={describe(x)}"
            )


def _float_of_int(x: torch.Tensor, wide_int64: bool = False) -> torch.Tensor:
    """:func:`float_result`, with ``int64`` going to ``float64`` when ``wide_int64``."""
    if wide_int64 and x.dtype == _INT64:
        return x.to(_FLOAT64)
    return float_result(x)


# --------------------------------------------------------------------------- arithmetic
@keras_op
def add(x1, x2):
    """Elementwise ``x1 + x2`` with Keras's dtype promotion.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.add(torch.tensor([1, 2], dtype=torch.int32), 1.5)
    tensor([2.5000, 3.5000])
    """
    if x1.__class__ in _SCALARS:
        x1, x2 = x2, x1
    x1, x2 = _operands(x1, x2)
    return torch.add(x1, x2)


@keras_op
def subtract(x1, x2):
    """Elementwise ``x1 - x2``; a bool operand takes the other operand's dtype."""
    if x1.__class__ in _SCALARS and isinstance(x2, _Tensor):
        x2, x1 = _operands(x2, x1)  # a bool x2 is cast unless x1 is a bool too
        if x1.__class__ is bool:
            if x2.dtype == _BOOL:
                raise _bool_subtraction(x1, x2)
            x1 = int(x1)  # torch refuses bool scalars here; the dtype is already settled
        return torch.rsub(x2, x1)
    x1, x2 = _operands(x1, x2)
    if x2.__class__ is bool:
        if x1.dtype == _BOOL:
            raise _bool_subtraction(x1, x2)
        x2 = int(x2)
    elif x1.dtype == _BOOL or (isinstance(x2, _Tensor) and x2.dtype == _BOOL):
        r = torch.result_type(x1, x2)
        if r == _BOOL:
            raise _bool_subtraction(x1, x2)
        x1 = x1.to(r)
        x2 = x2.to(r) if isinstance(x2, _Tensor) else x2
    return torch.subtract(x1, x2)


def _bool_subtraction(x1, x2):
    return TypeError(
        "ops.subtract: subtracting two bool operands is not supported (use "
        f"`ops.logical_xor`). Received: x1={describe(x1)}, x2={describe(x2)}"
    )


@keras_op
def multiply(x1, x2):
    """Elementwise ``x1 * x2`` with Keras's dtype promotion."""
    if x1.__class__ in _SCALARS:
        x1, x2 = x2, x1
    x1, x2 = _operands(x1, x2)
    return torch.multiply(x1, x2)


@keras_op
def divide(x1, x2):
    """Elementwise true division; integer and bool inputs give floatx.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.divide(torch.tensor([1, 3], dtype=torch.int32), 2)
    tensor([0.5000, 1.5000])
    """
    x1, x2 = _operands(x1, x2)
    if not (x1.is_floating_point() or x1.is_complex()):
        # A float scalar has already made x1 a float; an integer pair divides in floatx.
        if not isinstance(x2, _Tensor) or not (x2.is_floating_point() or x2.is_complex()):
            x1 = x1.to(floatx_dtype())
    return torch.divide(x1, x2)


@keras_op
def true_divide(x1, x2):
    """Alias of :func:`divide`."""
    return divide.__wrapped__(x1, x2)


@keras_op
def divide_no_nan(x1, x2):
    """``x1 / x2`` with 0 wherever ``x2`` is 0 (float result, Keras's ``result_type``)."""
    x1, x2 = _keras_promote(x1, x2, float)
    zero = x2 == 0
    return torch.where(zero, 0, x1 / torch.where(zero, 1, x2))


@keras_op
def floor_divide(x1, x2):
    """Elementwise ``x1 // x2`` (rounds toward minus infinity)."""
    x1, x2 = _keras_promote(x1, x2)
    return torch.floor_divide(x1, x2)


@keras_op
def mod(x1, x2):
    """Elementwise remainder with the sign of ``x2`` (``x1 % x2``); bool inputs give int32."""
    x1, x2 = _operands(x1, x2)
    if x1.dtype == _BOOL and (x2.__class__ is bool or getattr(x2, "dtype", None) == _BOOL):
        x1, x2 = x1.to(_INT32), (x2.to(_INT32) if isinstance(x2, _Tensor) else int(x2))
    return torch.remainder(x1, x2)


@keras_op
def fmod(x1, x2):
    """Elementwise remainder with the sign of ``x1`` (C's ``fmod``); bool inputs give int32."""
    x1, x2 = _operands(x1, x2)
    if x1.dtype == _BOOL and (x2.__class__ is bool or getattr(x2, "dtype", None) == _BOOL):
        x1, x2 = x1.to(_INT32), (x2.to(_INT32) if isinstance(x2, _Tensor) else int(x2))
    return torch.fmod(x1, x2)


@keras_op
def power(x1, x2):
    """Elementwise ``x1 ** x2`` with Keras's dtype promotion."""
    x1, x2 = _operands(x1, x2)
    if x2.__class__ is bool or (
        x2.__class__ is int and x2 < 0 and not (x1.is_floating_point() or x1.is_complex())
    ):
        x2 = _like(x2, x1)  # torch takes negative integer powers of integers as tensors only
    return torch.pow(x1, x2)


@keras_op
def negative(x):
    """Elementwise ``-x``."""
    return torch.negative(_as_tensor(x))


@keras_op
def reciprocal(x):
    """Elementwise ``1 / x``; integer and bool inputs give floatx."""
    return torch.reciprocal(_float_of_int(_as_tensor(x)))


@keras_op
def square(x):
    """Elementwise ``x * x``; bool inputs give int32."""
    x = _as_tensor(x)
    if x.dtype == _BOOL:
        x = x.to(_INT32)
    return torch.square(x)


@keras_op
def sqrt(x):
    """Elementwise square root; integer and bool inputs give floatx."""
    return torch.sqrt(_float_of_int(_as_tensor(x)))


@keras_op
def cbrt(x):
    """Elementwise real cube root (negative inputs give negative roots).

    Bool and integer inputs give floatx, ``int64`` gives ``float64``.
    """
    x = _float_of_int(_as_tensor(x), wide_int64=True)
    if x.is_complex():
        raise TypeError(f"ops.cbrt: `x` must be a real tensor. Received: x={describe(x)}")
    return torch.copysign(x.abs().pow(1.0 / 3.0), x)


@keras_op
def abs(x):  # noqa: A001 - Keras's name
    """Elementwise absolute value (complex inputs give their magnitude)."""
    x = _as_tensor(x)
    return x if x.dtype == _BOOL else torch.abs(x)


@keras_op
def absolute(x):
    """Elementwise absolute value (complex inputs give their magnitude)."""
    x = _as_tensor(x)
    return x if x.dtype == _BOOL else torch.abs(x)


@keras_op
def fabs(x):
    """Elementwise absolute value as a float (integer and bool inputs give floatx)."""
    return torch.abs(_float_of_int(_as_tensor(x)))


@keras_op
def sign(x):
    """Elementwise sign: -1, 0 or 1 in the input's dtype."""
    return torch.sign(_as_tensor(x))


@keras_op
def signbit(x):
    """Elementwise ``True`` where the sign bit is set (negative numbers and ``-0.0``)."""
    return torch.signbit(_as_tensor(x))


@keras_op
def maximum(x1, x2):
    """Elementwise maximum (NaN propagates), Keras's ``result_type`` dtype.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.maximum(torch.tensor([-1.0, 2.0]), 0.0)
    tensor([0., 2.])
    """
    if x1.__class__ in _NUMBERS:
        x1, x2 = x2, x1
    if x2.__class__ in _NUMBERS and isinstance(x1, _Tensor) and x1.dtype != _BOOL:
        r = _keras_with_scalar(x1.dtype, x2.__class__, config.floatx())
        return torch.clamp_min(x1 if r == x1.dtype else x1.to(r), x2)
    x1, x2 = _keras_promote(x1, x2)
    return torch.maximum(x1, x2)


@keras_op
def minimum(x1, x2):
    """Elementwise minimum (NaN propagates), Keras's ``result_type`` dtype."""
    if x1.__class__ in _NUMBERS:
        x1, x2 = x2, x1
    if x2.__class__ in _NUMBERS and isinstance(x1, _Tensor) and x1.dtype != _BOOL:
        r = _keras_with_scalar(x1.dtype, x2.__class__, config.floatx())
        return torch.clamp_max(x1 if r == x1.dtype else x1.to(r), x2)
    x1, x2 = _keras_promote(x1, x2)
    return torch.minimum(x1, x2)


@keras_op
def fmax(x1, x2):
    """Elementwise maximum ignoring NaN (a NaN loses to a number)."""
    x1, x2 = _keras_promote(x1, x2)
    return torch.fmax(x1, x2)


@keras_op
def fmin(x1, x2):
    """Elementwise minimum ignoring NaN (a NaN loses to a number)."""
    x1, x2 = _keras_promote(x1, x2)
    return torch.fmin(x1, x2)


@keras_op
def clip(x, x_min, x_max):
    """Limit ``x`` to ``[x_min, x_max]``; bool inputs give int32.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.clip(torch.tensor([-2.0, 0.5, 3.0]), 0.0, 1.0)
    tensor([0.0000, 0.5000, 1.0000])
    """
    x = _as_tensor(x)
    if x.dtype == _BOOL:
        x = x.to(_INT32)
    if x_min is not None and x_min.__class__ not in _SCALARS and not isinstance(x_min, _Tensor):
        x_min = _like(x_min, x)
    if x_max is not None and x_max.__class__ not in _SCALARS and not isinstance(x_max, _Tensor):
        x_max = _like(x_max, x)
    if x_min is None and x_max is None:
        raise ValueError(
            "ops.clip: `x_min` and `x_max` cannot both be None. Received: x_min=None, x_max=None"
        )
    return torch.clamp(x, x_min, x_max)


@keras_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: dtype limits)."""
    return torch.nan_to_num(_as_tensor(x), nan=nan, posinf=posinf, neginf=neginf)


# --------------------------------------------------------------------------- rounding
def _round_dtype(x: torch.Tensor) -> torch.Tensor:
    """``ceil``/``floor`` dtype: Keras's ``result_type(x.dtype, float)``."""
    if x.dtype in _HALF_OR_32:
        return x
    return x.to(_keras_with_scalar(x.dtype, float, config.floatx()))


@keras_op
def ceil(x):
    """Elementwise ceiling, as a float (integer and bool inputs give floatx)."""
    return torch.ceil(_round_dtype(_as_tensor(x)))


@keras_op
def floor(x):
    """Elementwise floor, as a float (integer and bool inputs give floatx)."""
    return torch.floor(_round_dtype(_as_tensor(x)))


@keras_op
def trunc(x):
    """Elementwise rounding toward zero, keeping the dtype."""
    x = _as_tensor(x)
    return x if x.dtype == _BOOL else torch.trunc(x)


@keras_op
def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Round half to even to ``decimals`` decimal places (negative: tens, hundreds...).

    Integer inputs keep their dtype.
    """
    if decimals.__class__ is not int:
        if isinstance(decimals, bool) or not hasattr(decimals, "__index__"):
            raise TypeError(
                f"ops.round: `decimals` must be an int. Received: decimals={decimals!r}"
            )
        decimals = int(decimals)
    x = _as_tensor(x)
    if not (x.is_floating_point() or x.is_complex()) and x.dtype != _BOOL:
        if decimals >= 0:
            return x
        return torch.round(x.to(floatx_dtype()), decimals=decimals).to(x.dtype)
    if decimals == 0:
        return torch.round(x)
    return torch.round(x, decimals=decimals)


# --------------------------------------------------------------------------- unary math
def _unary_float(fn, name, doc):
    def op(x):
        return fn(_float_of_int(_as_tensor(x)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return keras_op(op)


exp = _unary_float(torch.exp, "exp", "Elementwise ``e ** x``; integer and bool inputs give floatx.")
exp2 = _unary_float(
    torch.exp2, "exp2", "Elementwise ``2 ** x``; integer and bool inputs give floatx."
)
expm1 = _unary_float(
    torch.expm1, "expm1", "Elementwise ``exp(x) - 1``, accurate near 0; ints give floatx."
)
log = _unary_float(torch.log, "log", "Elementwise natural logarithm; ints give floatx.")
log10 = _unary_float(torch.log10, "log10", "Elementwise base-10 logarithm; ints give floatx.")
log2 = _unary_float(torch.log2, "log2", "Elementwise base-2 logarithm; ints give floatx.")
log1p = _unary_float(
    torch.log1p, "log1p", "Elementwise ``log(1 + x)``, accurate near 0; ints give floatx."
)
sin = _unary_float(torch.sin, "sin", "Elementwise sine; integer and bool inputs give floatx.")
cos = _unary_float(torch.cos, "cos", "Elementwise cosine; integer and bool inputs give floatx.")
tan = _unary_float(torch.tan, "tan", "Elementwise tangent; integer and bool inputs give floatx.")
sinh = _unary_float(torch.sinh, "sinh", "Elementwise hyperbolic sine; ints give floatx.")
cosh = _unary_float(torch.cosh, "cosh", "Elementwise hyperbolic cosine; ints give floatx.")
tanh = _unary_float(torch.tanh, "tanh", "Elementwise hyperbolic tangent; ints give floatx.")
arcsin = _unary_float(torch.arcsin, "arcsin", "Elementwise inverse sine; ints give floatx.")
arccos = _unary_float(torch.arccos, "arccos", "Elementwise inverse cosine; ints give floatx.")
arctan = _unary_float(torch.arctan, "arctan", "Elementwise inverse tangent; ints give floatx.")
arcsinh = _unary_float(
    torch.arcsinh, "arcsinh", "Elementwise inverse hyperbolic sine; ints give floatx."
)
arccosh = _unary_float(
    torch.arccosh, "arccosh", "Elementwise inverse hyperbolic cosine; ints give floatx."
)
arctanh = _unary_float(
    torch.arctanh, "arctanh", "Elementwise inverse hyperbolic tangent; ints give floatx."
)
sinc = _unary_float(
    torch.sinc, "sinc", "Elementwise normalized sinc, ``sin(pi x) / (pi x)`` (1 at 0)."
)


@keras_op
def deg2rad(x):
    """Degrees to radians; integer inputs give floatx (``int64`` gives ``float64``)."""
    return torch.deg2rad(_float_of_int(_as_tensor(x), wide_int64=True))


@keras_op
def rad2deg(x):
    """Radians to degrees; integer inputs give floatx (``int64`` gives ``float64``)."""
    return torch.rad2deg(_float_of_int(_as_tensor(x), wide_int64=True))


@keras_op
def i0(x):
    """Modified Bessel function of the first kind, order 0.

    Half-precision inputs keep their dtype, ``int64``/``float64`` give ``float64``, others floatx.
    """
    x = _as_tensor(x)
    if x.dtype in (_INT64, _FLOAT64):
        td = _FLOAT64
    elif x.dtype in (torch.float16, torch.bfloat16):
        td = x.dtype
    else:
        td = floatx_dtype()
    return torch.i0(x if x.dtype == td else x.to(td))


@keras_op
def angle(x):
    """Elementwise complex argument in radians (0 or pi for real inputs)."""
    x = _float_of_int(_as_tensor(x))
    if x.dtype == torch.float16 and x.device.type not in ("cpu", "meta"):
        return torch.angle(x.float()).to(torch.float16)
    return torch.angle(x)


@keras_op
def conjugate(x):
    """Elementwise complex conjugate (real inputs are returned as they are)."""
    x = _as_tensor(x)
    return x.conj().resolve_conj() if x.is_complex() else x


@keras_op
def conj(x):
    """Elementwise complex conjugate (real inputs are returned as they are)."""
    x = _as_tensor(x)
    return x.conj().resolve_conj() if x.is_complex() else x


@keras_op
def real(x):
    """Real part (real inputs are returned as they are)."""
    x = _as_tensor(x)
    return torch.real(x) if x.is_complex() else x


@keras_op
def imag(x):
    """Imaginary part (zeros of the input's dtype for real inputs, as in NumPy)."""
    x = _as_tensor(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


# --------------------------------------------------------------------------- predicates
@keras_op
def isfinite(x):
    """Elementwise ``True`` where ``x`` is neither infinite nor NaN."""
    return torch.isfinite(_as_tensor(x))


@keras_op
def isinf(x):
    """Elementwise ``True`` where ``x`` is +/- infinity."""
    return torch.isinf(_as_tensor(x))


@keras_op
def isnan(x):
    """Elementwise ``True`` where ``x`` is NaN."""
    return torch.isnan(_as_tensor(x))


@keras_op
def isneginf(x):
    """Elementwise ``True`` where ``x`` is negative infinity."""
    return torch.isneginf(_as_tensor(x))


@keras_op
def isposinf(x):
    """Elementwise ``True`` where ``x`` is positive infinity."""
    return torch.isposinf(_as_tensor(x))


@keras_op
def isreal(x):
    """Elementwise ``True`` where the imaginary part is 0 (everywhere for real dtypes)."""
    return torch.isreal(_as_tensor(x))


@keras_op
def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|x1 - x2| <= atol + rtol * |x2|`` (exact equality for non-float dtypes).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0 + 1e-7, 2.1]))
    tensor([ True, False])
    """
    x1, x2 = _keras_promote(x1, x2, strong=True)
    if x1.is_floating_point():
        return torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return torch.eq(x1, x2)


@keras_op
def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether :func:`isclose` holds everywhere (a scalar bool tensor)."""
    return torch.all(isclose.__wrapped__(x1, x2, rtol, atol, equal_nan))


@keras_op
def isin(x1, x2, assume_unique=False, invert=False):
    """Elementwise ``True`` where an element of ``x1`` occurs in ``x2`` (``x1``'s shape)."""
    x1, x2 = _keras_promote(x1, x2, strong=True)
    if x1.dtype == _BOOL:
        x1, x2 = x1.to(_INT32), x2.to(_INT32)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)


# --------------------------------------------------------------------------- comparisons
def _compare(fn, reflected, x1, x2):
    if isinstance(x1, _Tensor):
        if isinstance(x2, _Tensor) or x2.__class__ in _SCALARS:
            return fn(x1, x2)
    elif isinstance(x2, _Tensor) and x1.__class__ in _SCALARS:
        return reflected(x2, x1)
    x1, x2 = _operands(x1, x2)
    return fn(x1, x2)


@keras_op
def equal(x1, x2):
    """Elementwise ``x1 == x2`` (bool)."""
    return _compare(torch.eq, torch.eq, x1, x2)


@keras_op
def not_equal(x1, x2):
    """Elementwise ``x1 != x2`` (bool)."""
    return _compare(torch.ne, torch.ne, x1, x2)


@keras_op
def greater(x1, x2):
    """Elementwise ``x1 > x2`` (bool)."""
    return _compare(torch.gt, torch.lt, x1, x2)


@keras_op
def greater_equal(x1, x2):
    """Elementwise ``x1 >= x2`` (bool)."""
    return _compare(torch.ge, torch.le, x1, x2)


@keras_op
def less(x1, x2):
    """Elementwise ``x1 < x2`` (bool)."""
    return _compare(torch.lt, torch.gt, x1, x2)


@keras_op
def less_equal(x1, x2):
    """Elementwise ``x1 <= x2`` (bool)."""
    return _compare(torch.le, torch.ge, x1, x2)


# --------------------------------------------------------------------------- logic
@keras_op
def logical_and(x1, x2):
    """Elementwise logical AND of the truth values (bool)."""
    if x1.__class__ in _SCALARS:
        x1, x2 = x2, x1
    x1, x2 = _operands(x1, x2, scalar_ok=False)
    return torch.logical_and(x1, x2)


@keras_op
def logical_or(x1, x2):
    """Elementwise logical OR of the truth values (bool)."""
    if x1.__class__ in _SCALARS:
        x1, x2 = x2, x1
    x1, x2 = _operands(x1, x2, scalar_ok=False)
    return torch.logical_or(x1, x2)


@keras_op
def logical_xor(x1, x2):
    """Elementwise logical XOR of the truth values (bool)."""
    if x1.__class__ in _SCALARS:
        x1, x2 = x2, x1
    x1, x2 = _operands(x1, x2, scalar_ok=False)
    return torch.logical_xor(x1, x2)


@keras_op
def logical_not(x):
    """Elementwise logical NOT of the truth values (bool)."""
    return torch.logical_not(_as_tensor(x))


# --------------------------------------------------------------------------- bitwise
def _bitwise(fn, op, x, y):
    if not isinstance(x, _Tensor) or not isinstance(y, _Tensor) or x.dtype != y.dtype:
        _check_integer(op, x=x, y=y)
        if x.__class__ in _SCALARS:
            x, y = y, x
        x, y = _operands(x, y)
    elif x.is_floating_point() or x.is_complex():
        _check_integer(op, x=x)
    return fn(x, y)


@keras_op
def bitwise_and(x, y):
    """Elementwise bitwise AND of integer or bool tensors."""
    return _bitwise(torch.bitwise_and, "bitwise_and", x, y)


@keras_op
def bitwise_or(x, y):
    """Elementwise bitwise OR of integer or bool tensors."""
    return _bitwise(torch.bitwise_or, "bitwise_or", x, y)


@keras_op
def bitwise_xor(x, y):
    """Elementwise bitwise XOR of integer or bool tensors."""
    return _bitwise(torch.bitwise_xor, "bitwise_xor", x, y)


def _invert(x, op):
    x = _as_tensor(x)
    if x.is_floating_point() or x.is_complex():
        _check_integer(op, x=x)
    return torch.bitwise_not(x)


@keras_op
def bitwise_invert(x):
    """Elementwise bitwise NOT (logical NOT for bool)."""
    return _invert(x, "bitwise_invert")


@keras_op
def bitwise_not(x):
    """Elementwise bitwise NOT (logical NOT for bool)."""
    return _invert(x, "bitwise_not")


def _shift(fn, op, x, y):
    _check_integer(op, x=x, y=y)
    x = _as_tensor(x)
    if y.__class__ is not int and not isinstance(y, _Tensor):
        y = _like(y, x)
    return fn(x, y)


@keras_op
def bitwise_left_shift(x, y):
    """Elementwise ``x << y`` for integer tensors."""
    return _shift(torch.bitwise_left_shift, "bitwise_left_shift", x, y)


@keras_op
def left_shift(x, y):
    """Elementwise ``x << y`` for integer tensors."""
    return _shift(torch.bitwise_left_shift, "left_shift", x, y)


@keras_op
def bitwise_right_shift(x, y):
    """Elementwise ``x >> y`` (arithmetic for signed integers)."""
    return _shift(torch.bitwise_right_shift, "bitwise_right_shift", x, y)


@keras_op
def right_shift(x, y):
    """Elementwise ``x >> y`` (arithmetic for signed integers)."""
    return _shift(torch.bitwise_right_shift, "right_shift", x, y)


@keras_op
def gcd(x1, x2):
    """Elementwise greatest common divisor of integer tensors."""
    _check_integer("gcd", x1=x1, x2=x2)
    x1, x2 = _operands(x1, x2, scalar_ok=False)
    return torch.gcd(x1, x2)


@keras_op
def lcm(x1, x2):
    """Elementwise least common multiple of integer tensors."""
    _check_integer("lcm", x1=x1, x2=x2)
    x1, x2 = _operands(x1, x2, scalar_ok=False)
    return torch.lcm(x1, x2)


# --------------------------------------------------------------------------- float binaries
def _float_pair(x1, x2):
    """Keras's ``result_type(x1, x2)`` with integer results mapped to floatx."""
    x1, x2 = _keras_promote(x1, x2, strong=True)
    if not (x1.is_floating_point() or x1.is_complex() or x1.dtype == _BOOL):
        td = floatx_dtype()
        x1, x2 = x1.to(td), x2.to(td)
    return x1, x2


@keras_op
def arctan2(x1, x2):
    """Elementwise angle of the point ``(x2, x1)`` in radians, in ``[-pi, pi]``."""
    x1, x2 = _keras_promote(x1, x2, float, strong=True)
    return torch.arctan2(x1, x2)


@keras_op
def hypot(x1, x2):
    """Elementwise ``sqrt(x1**2 + x2**2)``; integer inputs give floatx."""
    x1, x2 = _float_pair(x1, x2)
    return torch.hypot(x1, x2)


@keras_op
def heaviside(x1, x2):
    """Step function: 0 where ``x1 < 0``, 1 where ``x1 > 0``, ``x2`` where ``x1 == 0``."""
    x1, x2 = _float_pair(x1, x2)
    return torch.heaviside(x1, x2)


@keras_op
def logaddexp(x1, x2):
    """Elementwise ``log(exp(x1) + exp(x2))`` without overflow (float result)."""
    x1, x2 = _keras_promote(x1, x2, float, strong=True)
    if x1.dtype == torch.float16 and x1.device.type == "cpu":
        return torch.logaddexp(x1.float(), x2.float()).to(torch.float16)
    return torch.logaddexp(x1, x2)


@keras_op
def logaddexp2(x1, x2):
    """Elementwise ``log2(2**x1 + 2**x2)`` without overflow (float result)."""
    x1, x2 = _keras_promote(x1, x2, float, strong=True)
    return torch.logaddexp2(x1, x2)


@keras_op
def nextafter(x1, x2):
    """The next representable float after ``x1`` in the direction of ``x2`` (float result)."""
    x1, x2 = _keras_promote(x1, x2, float, strong=True)
    return torch.nextafter(x1, x2)


@keras_op
def ldexp(x1, x2):
    """Elementwise ``x1 * 2**x2`` for integer exponents ``x2`` (float result)."""
    x2_dtype = dtype_of(x2)
    if not x2_dtype.startswith(("int", "uint")):
        raise TypeError(f"ops.ldexp: `x2` must be an integer tensor. Received: x2={describe(x2)}")
    ref = x1 if isinstance(x1, _Tensor) else (x2 if isinstance(x2, _Tensor) else None)
    td = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(x1), x2_dtype, float))
    x1 = _to(x1, td, ref)
    if not isinstance(x2, _Tensor):
        x2 = _like(x2, x1)
    out = torch.ldexp(x1, x2)
    return out if out.dtype == td else out.to(td)
