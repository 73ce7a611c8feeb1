"""The case format of the ops parity test (tests/ops/test_ops_parity.py).

A case names an op and its arguments. Tensor arguments are given as :func:`T` specs, turned
into fresh torch tensors (same values) for each side, so Keras (``keras.ops`` on the torch
backend) and ketorch see identical inputs. The test compares values, output dtypes, symbolic
shape/dtype inference (ketorch on KerasTensors with an unknown batch axis against Keras on its
own KerasTensors) and, for ``grad=True`` cases, the gradients of ``sum(output * w)`` with
respect to every float tensor argument.

Case files live in tests/ops/ops_cases/*.py and each defines ``CASES = [Case(...), ...]``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch


@dataclasses.dataclass(frozen=True)
class T:
    """A tensor argument: shape, dtype, value range, seed; ``kind`` picks the generator."""

    shape: tuple
    dtype: str = "float32"
    low: float = -2.0
    high: float = 2.0
    seed: int = 0
    kind: str = "uniform"  # "uniform", "int" (integers in [low, high)), "bool", "values"
    values: tuple | None = None  # explicit values (kind="values")

    def array(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed + 17 * len(self.shape) + sum(self.shape))
        if self.kind == "values":
            return np.asarray(self.values, dtype=_np_dtype(self.dtype)).reshape(self.shape)
        if self.kind == "bool" or self.dtype == "bool":
            return rng.random(self.shape) > 0.5
        if self.kind == "int" or not self.dtype.startswith(("float", "bfloat", "complex")):
            return rng.integers(int(self.low), int(self.high), size=self.shape).astype(
                _np_dtype(self.dtype)
            )
        a = rng.uniform(self.low, self.high, size=self.shape)
        if self.dtype.startswith("complex"):
            a = a + 1j * rng.uniform(self.low, self.high, size=self.shape)
        return a.astype(_np_dtype(self.dtype))

    def tensor(self) -> torch.Tensor:
        a = self.array()
        if self.dtype == "bfloat16":
            return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
        return torch.from_numpy(np.ascontiguousarray(a)).clone()


def _np_dtype(dtype):
    return np.float32 if dtype == "bfloat16" else np.dtype(dtype)


@dataclasses.dataclass
class Case:
    """One call: ``ops.<op>(*args, **kwargs)``.

    Attributes:
        op: The op name (as in ``keras.ops``; ``"linalg.qr"``-style paths work too).
        args, kwargs: Arguments; :class:`T` leaves (also inside lists) become tensors.
        grad: Compare gradients with Keras's (float ops that are differentiable).
        atol, rtol: Tolerances for values (and gradients).
        symbolic: Check shape/dtype inference on KerasTensors against Keras's.
        ref: Optional ``ref(*numpy_args, **kwargs)`` used instead of Keras where Keras's torch
            backend itself deviates from NumPy (say why in ``note``).
        check_dtype: Compare output dtypes (default True).
        note: Why the case is special.
        id: Optional test id suffix.
    """

    op: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    grad: bool = False
    atol: float = 1e-5
    rtol: float = 1e-5
    symbolic: bool = True
    ref: object = None
    check_dtype: bool = True
    note: str = ""
    id: str = ""

    def test_id(self):
        return f"{self.op}-{self.id}" if self.id else self.op


def materialize(value, requires_grad=False):
    """Turn :class:`T` leaves into fresh tensors (lists/tuples/dicts kept)."""
    if isinstance(value, T):
        t = value.tensor()
        if requires_grad and t.is_floating_point():
            t.requires_grad_(True)
        return t
    if isinstance(value, list):
        return [materialize(v, requires_grad) for v in value]
    if isinstance(value, tuple):
        return tuple(materialize(v, requires_grad) for v in value)
    if isinstance(value, dict):
        return {k: materialize(v, requires_grad) for k, v in value.items()}
    return value


def numpy_args(value):
    if isinstance(value, T):
        return value.array()
    if isinstance(value, list):
        return [numpy_args(v) for v in value]
    if isinstance(value, tuple):
        return tuple(numpy_args(v) for v in value)
    if isinstance(value, dict):
        return {k: numpy_args(v) for k, v in value.items()}
    return value


def _max_rank(value):
    if isinstance(value, T):
        return len(value.shape)
    if isinstance(value, (list, tuple)):
        return max((_max_rank(v) for v in value), default=-1)
    if isinstance(value, dict):
        return max((_max_rank(v) for v in value.values()), default=-1)
    return -1


def symbolic_args(value, make, rank=None):
    """Replace :class:`T` leaves with ``make(shape, dtype)``; tensors of the highest rank get an
    unknown (None) leading axis, as a batch axis in a model definition."""
    if rank is None:
        rank = _max_rank(value)
    if isinstance(value, T):
        shape = tuple(value.shape)
        if shape and len(shape) == rank:
            shape = (None,) + shape[1:]
        return make(shape, value.dtype)
    if isinstance(value, list):
        return [symbolic_args(v, make, rank) for v in value]
    if isinstance(value, tuple):
        return tuple(symbolic_args(v, make, rank) for v in value)
    if isinstance(value, dict):
        return {k: symbolic_args(v, make, rank) for k, v in value.items()}
    return value
