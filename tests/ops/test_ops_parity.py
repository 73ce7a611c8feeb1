"""Every ``ketorch.ops`` function against ``keras.ops`` (torch backend) on the same inputs.

Cases come from tests/ops/ops_cases/*.py (see tests/ops/op_cases.py for the format).
"""

from __future__ import annotations

import importlib
import os
import pkgutil

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import ops_cases as _cases_pkg  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from op_cases import Case, _max_rank, materialize, numpy_args, symbolic_args  # noqa: E402

from ketorch import ops as kt_ops  # noqa: E402
from ketorch.layers.node import KerasTensor  # noqa: E402


def _all_cases():
    out = []
    for info in sorted(pkgutil.iter_modules(_cases_pkg.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{_cases_pkg.__name__}.{info.name}")
        out.extend(mod.CASES)
    return out


CASES = _all_cases()


def _resolve(root, path):
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _flat(x):
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(_flat(v))
        return out
    return [x]


def _np(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def _dtype_name(x):
    if isinstance(x, torch.Tensor):
        return str(x.dtype).replace("torch.", "")
    return type(x).__name__ if not isinstance(x, np.ndarray) else x.dtype.name


def _assert_close(got, want, case: Case, what="value"):
    got_flat, want_flat = _flat(got), _flat(want)
    assert len(got_flat) == len(want_flat), f"{what}: {len(got_flat)} outputs vs {len(want_flat)}"
    for g, w in zip(got_flat, want_flat):
        if case.check_dtype and what == "value" and case.ref is None:
            assert _dtype_name(g) == _dtype_name(w), (
                f"dtype {_dtype_name(g)} != Keras {_dtype_name(w)}"
            )
        gn, wn = _np(g), _np(w)
        assert gn.shape == wn.shape, f"{what} shape {gn.shape} != {wn.shape}"
        if gn.dtype.kind in "fc" or wn.dtype.kind in "fc":
            np.testing.assert_allclose(gn, wn, rtol=case.rtol, atol=case.atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(gn, wn)


@pytest.mark.parametrize("case", CASES, ids=[c.test_id() for c in CASES])
def test_values_and_dtypes(case: Case):
    ours = _resolve(kt_ops, case.op)(*materialize(case.args), **materialize(case.kwargs))
    if case.ref is not None:
        want = case.ref(*numpy_args(case.args), **numpy_args(case.kwargs))
    else:
        want = _resolve(keras.ops, case.op)(*materialize(case.args), **materialize(case.kwargs))
    _assert_close(ours, want, case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.test_id() for c in GRAD_CASES])
def test_gradients(case: Case):
    def grads(fn):
        torch.manual_seed(0)
        args = materialize(case.args, requires_grad=True)
        kwargs = materialize(case.kwargs, requires_grad=True)
        leaves = [
            t
            for t in _flat(list(args) + list(kwargs.values()))
            if isinstance(t, torch.Tensor) and t.requires_grad
        ]
        out = [
            o
            for o in _flat(fn(*args, **kwargs))
            if isinstance(o, torch.Tensor) and o.is_floating_point()
        ]
        gen = torch.Generator().manual_seed(1)
        total = sum((o * torch.rand(o.shape, generator=gen, dtype=o.dtype)).sum() for o in out)
        return torch.autograd.grad(total, leaves, allow_unused=True)

    ours = grads(_resolve(kt_ops, case.op))
    want = grads(_resolve(keras.ops, case.op))
    ours = [torch.zeros(()) if g is None else g for g in ours]
    want = [torch.zeros(()) if g is None else g for g in want]
    for g, w in zip(ours, want):
        np.testing.assert_allclose(
            _np(g), _np(w), rtol=max(case.rtol, 1e-4), atol=max(case.atol, 1e-5)
        )


SYMBOLIC_CASES = [c for c in CASES if c.symbolic and c.ref is None]


@pytest.mark.parametrize("case", SYMBOLIC_CASES, ids=[c.test_id() for c in SYMBOLIC_CASES])
def test_symbolic_shapes_and_dtypes(case: Case):
    try:
        rank = max(_max_rank(case.args), _max_rank(case.kwargs))
        want = _resolve(keras.ops, case.op)(
            *symbolic_args(case.args, lambda s, d: keras.KerasTensor(s, d), rank),
            **symbolic_args(case.kwargs, lambda s, d: keras.KerasTensor(s, d), rank),
        )
    except Exception:  # noqa: BLE001 - Keras itself cannot infer this one symbolically
        pytest.skip("Keras cannot run this case symbolically")
    if not any(isinstance(w, keras.KerasTensor) for w in _flat(want)):
        pytest.skip("Keras returns a non-symbolic value here")
    rank = max(_max_rank(case.args), _max_rank(case.kwargs))
    ours = _resolve(kt_ops, case.op)(
        *symbolic_args(case.args, lambda s, d: KerasTensor(s, d), rank),
        **symbolic_args(case.kwargs, lambda s, d: KerasTensor(s, d), rank),
    )
    for o, w in zip(_flat(ours), _flat(want)):
        assert isinstance(o, KerasTensor), f"expected a KerasTensor, got {type(o).__name__}"
        assert tuple(o.shape) == tuple(w.shape), f"shape {o.shape} != Keras {w.shape}"
        if case.check_dtype:
            assert o.dtype == w.dtype, f"dtype {o.dtype} != Keras {w.dtype}"
