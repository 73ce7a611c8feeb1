"""``keras.ops.linalg``: decompositions, solvers, norms and forward-mode JVPs on torch.linalg.

Every op works on batches of matrices ``(..., M, N)``. Integer and bool inputs are computed in
floatx. Decompositions return plain tuples (``(q, r)``, ``(u, s, vh)``, ...).
"""

from __future__ import annotations

import torch

from ..layers.node import KerasTensor
from . import _dtypes
from ._common import canonical_axis, dtype_of, float_result, promote, to_tensor
from .operation import describe, keras_op

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
]


def _matrix(x, op, square=False, arg="x"):
    """``x`` as a float tensor of rank >= 2 (square in its last two axes when asked)."""
    x = float_result(to_tensor(x))
    if x.ndim < 2:
        raise ValueError(
            f"ops.{op}: `{arg}` must have rank >= 2 (a matrix or a batch of matrices). "
            f"Received: {arg}={describe(x)}"
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"ops.{op}: `{arg}` must be a (batch of) square matrices. Received: {arg}={describe(x)}"
        )
    return x


def _system(a, b, op):
    """``a`` (square matrices) and ``b`` (vectors or matrices) with one float dtype."""
    a, b = promote(a, b)
    a, b = float_result(a), float_result(b)
    a = _matrix(a, op, square=True, arg="a")
    if b.ndim < 1:
        raise ValueError(f"ops.{op}: `b` must have rank >= 1. Received: b={describe(b)}")
    n = a.shape[-1]
    vector = b.ndim == a.ndim - 1 or b.ndim == 1
    if (vector and b.shape[-1] != n) or (not vector and b.shape[-2] != n):
        raise ValueError(
            f"ops.{op}: the shapes of `a` and `b` are incompatible (`b` needs {n} rows). "
            f"Received: a={describe(a)}, b={describe(b)}"
        )
    return a, b, vector


# ----------------------------------------------------------------------------- factorizations
@keras_op
def cholesky(x, upper=False):
    """The Cholesky factor of (a batch of) symmetric positive-definite matrices.

    Args:
        x: Tensor of shape ``(..., M, M)``.
        upper: Return the upper factor ``U`` (``x = U^T U``) instead of the lower ``L``.

    Raises:
        ValueError: If a matrix is not positive-definite.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.cholesky(torch.tensor([[4.0, 2.0], [2.0, 2.0]]))
    tensor([[2., 0.],
            [1., 1.]])
    """
    x = _matrix(x, "cholesky", square=True)
    return torch.linalg.cholesky(x, upper=upper)


@keras_op
def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` given its Cholesky factor ``x`` (lower, or upper if ``upper``).

    Args:
        x: Cholesky factor(s), shape ``(..., M, M)``.
        upper: Whether ``x`` is the upper factor.
    """
    x = _matrix(x, "cholesky_inverse", square=True)
    return torch.cholesky_inverse(x, upper=upper)


@keras_op
def det(x):
    """Determinant of (a batch of) square matrices."""
    return torch.linalg.det(_matrix(x, "det", square=True))


@keras_op
def eig(x):
    """Eigenvalues and eigenvectors of (a batch of) general square matrices (complex)."""
    return tuple(torch.linalg.eig(_matrix(x, "eig", square=True)))


@keras_op
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric/Hermitian matrices."""
    return tuple(torch.linalg.eigh(_matrix(x, "eigh", square=True)))


@keras_op
def inv(x):
    """Inverse of (a batch of) square matrices."""
    return torch.linalg.inv(_matrix(x, "inv", square=True))


@keras_op
def lu_factor(x):
    """LU factorization with partial pivoting.

    Returns:
        ``(lu, pivots)``: the packed ``L`` and ``U`` factors, shape ``(..., M, N)``, and the
        0-based int32 row pivots, shape ``(..., min(M, N))``.
    """
    lu, pivots = torch.linalg.lu_factor(_matrix(x, "lu_factor"))
    return lu, pivots - 1


@keras_op
def qr(x, mode="reduced"):
    """QR decomposition of (a batch of) matrices.

    Args:
        x: Tensor of shape ``(..., M, N)``.
        mode: ``"reduced"`` (``q``: ``(..., M, K)``, ``r``: ``(..., K, N)``, ``K = min(M, N)``)
            or ``"complete"`` (``q``: ``(..., M, M)``, ``r``: ``(..., M, N)``).

    Returns:
        ``(q, r)``.
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f'ops.qr: `mode` must be "reduced" or "complete". Received: mode={mode!r}')
    return tuple(torch.linalg.qr(_matrix(x, "qr"), mode=mode))


@keras_op
def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition ``x = u @ diag(s) @ vh``.

    Args:
        x: Tensor of shape ``(..., M, N)``.
        full_matrices: Square ``u`` ``(..., M, M)`` and ``vh`` ``(..., N, N)``; otherwise
            ``(..., M, K)`` and ``(..., K, N)`` with ``K = min(M, N)``.
        compute_uv: Return ``(u, s, vh)``; when ``False`` return only ``s``.
    """
    x = _matrix(x, "svd")
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


# ----------------------------------------------------------------------------- solvers
@keras_op
def solve(a, b):
    """Solve ``a @ x = b`` for square ``a``; ``b`` is ``(..., M)`` or ``(..., M, K)``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.solve(torch.tensor([[2.0, 0.0], [0.0, 4.0]]), torch.tensor([2.0, 2.0]))
    tensor([1.0000, 0.5000])
    """
    a, b, _ = _system(a, b, "solve")
    return torch.linalg.solve(a, b)


@keras_op
def solve_triangular(a, b, lower=False):
    """Solve ``a @ x = b`` for triangular ``a`` (upper unless ``lower``)."""
    a, b, vector = _system(a, b, "solve_triangular")
    if vector:
        return torch.linalg.solve_triangular(a, b.unsqueeze(-1), upper=not lower).squeeze(-1)
    return torch.linalg.solve_triangular(a, b, upper=not lower)


def _lstsq_spec(a, b, rcond=None):
    a_shape, b_shape = tuple(a.shape), tuple(b.shape)
    if len(a_shape) < 2 or len(b_shape) not in (len(a_shape) - 1, len(a_shape)):
        raise ValueError(
            "ops.lstsq: `a` must be (M, N) and `b` (M,) or (M, K). "
            f"Received: a={describe(a)}, b={describe(b)}"
        )
    dtype = _dtypes.result_type(dtype_of(a), dtype_of(b))
    if not _dtypes.is_float_dtype(dtype):
        dtype = _dtypes.result_type(dtype, float)
    n = a_shape[-1]
    shape = a_shape[:-2] + ((n,) if len(b_shape) < len(a_shape) else (n, b_shape[-1]))
    return KerasTensor(shape, dtype)


@keras_op(spec=_lstsq_spec)
def lstsq(a, b, rcond=None):
    """Least-squares solution ``x`` minimising ``||a @ x - b||`` (minimum norm if not unique).

    Args:
        a: Coefficients, shape ``(M, N)``.
        b: Right-hand side, shape ``(M,)`` or ``(M, K)``.
        rcond: Singular values below ``rcond`` times the largest count as zero (SVD-based,
            as NumPy); ``None`` uses torch's default driver.

    Returns:
        ``x`` of shape ``(N,)`` or ``(N, K)``.
    """
    a, b = promote(a, b)
    a, b = float_result(a), float_result(b)
    a = _matrix(a, "lstsq", arg="a")
    if b.ndim not in (a.ndim - 1, a.ndim) or b.shape[a.ndim - 2] != a.shape[-2]:
        raise ValueError(
            "ops.lstsq: `b` must have shape (M,) or (M, K) matching `a` (M, N). "
            f"Received: a={describe(a)}, b={describe(b)}"
        )
    if a.device.type == "cpu":
        if rcond is None:
            return torch.linalg.lstsq(a, b).solution
        return torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    # CUDA's only driver ("gels") has no cutoff and needs a tall, full-rank `a`.
    if rcond is None and a.shape[-2] >= a.shape[-1]:
        return torch.linalg.lstsq(a, b).solution
    return torch.linalg.pinv(a, rtol=rcond) @ b


@keras_op
def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse (singular values <= ``rcond * max`` are dropped)."""
    return torch.linalg.pinv(_matrix(x, "pinv"), rtol=rcond)


@keras_op
def matrix_rank(x, tol=None):
    """Rank of (a batch of) matrices: singular values above ``tol`` (torch's default if None).

    Returns an int32 tensor of shape ``x.shape[:-2]``.
    """
    return torch.linalg.matrix_rank(_matrix(x, "matrix_rank"), atol=tol).to(torch.int32)


# ----------------------------------------------------------------------------- norms
_MATRIX_ORDS = (None, "fro", "nuc", float("inf"), float("-inf"), 1, -1, 2, -2)


@keras_op
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's name
    """Vector or matrix norm.

    Args:
        x: Input tensor (integers are computed in floatx).
        ord: Vector norms: ``None``/2, ``inf``, ``-inf``, 0 (count of non-zeros), any number
            ``p`` (``sum(|x|**p)**(1/p)``). Matrix norms: ``None``/``"fro"``, ``"nuc"``,
            ``inf``, ``-inf``, 1, -1, 2, -2.
        axis: An int (vector norms), a pair of ints (matrix norms), or ``None`` (the whole
            tensor flattened when ``ord`` is ``None``; otherwise a 1-D or 2-D ``x``).
        keepdims: Keep the reduced axes with size 1.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.norm(torch.tensor([3.0, 4.0]))
    tensor(5.)
    """
    x = to_tensor(x)
    name = dtype_of(x)
    target = _dtypes.torch_dtype(
        _dtypes.result_type(None) if name == "int64" else _dtypes.result_type(name, float)
    )
    if x.dtype != target:
        x = x.to(target)
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f'ops.norm: a string `ord` must be "fro" or "nuc". Received: ord={ord!r}')
    if isinstance(axis, list):
        axis = tuple(axis)
    axis = canonical_axis(axis, x.ndim, "norm")
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    if isinstance(axis, tuple) and len(axis) != 2:
        raise ValueError(
            "ops.norm: `axis` must be an int (vector norm) or a pair of ints (matrix norm). "
            f"Received: axis={axis!r}"
        )
    n_axes = x.ndim if axis is None else (2 if isinstance(axis, tuple) else 1)
    if ord is not None and axis is None and x.ndim not in (1, 2):
        raise ValueError(
            "ops.norm: with `ord` set and `axis=None`, `x` must be 1-D or 2-D. "
            f"Received: x={describe(x)}, ord={ord!r}"
        )
    if n_axes == 1 and isinstance(ord, str):
        raise ValueError(f"ops.norm: `ord={ord!r}` is not a vector norm.")
    if n_axes == 2 and ord not in _MATRIX_ORDS:
        raise ValueError(f"ops.norm: `ord={ord!r}` is not a matrix norm.")
    return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)


# ----------------------------------------------------------------------------- autodiff
def _as_tensors(values, op, arg):
    if not isinstance(values, (list, tuple)):
        raise TypeError(
            f"ops.{op}: `{arg}` must be a tuple or list of tensors. Received: {arg}={values!r}"
        )
    return tuple(to_tensor(v) for v in values)


@keras_op
def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode Jacobian-vector product of ``fun`` at ``primals`` along ``tangents``.

    Args:
        fun: Function of ``len(primals)`` tensors returning a tensor or a structure of tensors
            (with ``has_aux``, a pair ``(output, aux)``).
        primals: Tuple or list of input tensors.
        tangents: Tuple or list of tangents, one per primal and of its shape.
        has_aux: Whether ``fun`` also returns auxiliary data.

    Returns:
        ``(outputs, tangent_outputs)``, plus ``aux`` when ``has_aux``.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.jvp(torch.sin, (torch.tensor(0.0),), (torch.tensor(2.0),))
    (tensor(0.), tensor(2.))
    """
    primals = _as_tensors(primals, "jvp", "primals")
    tangents = _as_tensors(tangents, "jvp", "tangents")
    if len(primals) != len(tangents):
        raise ValueError(
            "ops.jvp: `primals` and `tangents` must have the same length. "
            f"Received: {len(primals)} primals, {len(tangents)} tangents"
        )
    tangents = tuple(
        t.to(device=p.device, dtype=p.dtype) if (t.dtype != p.dtype or t.device != p.device) else t
        for p, t in zip(primals, tangents)
    )
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)
