"""Bad arguments to the reduction/statistics/sorting ops raise errors naming the op."""

from __future__ import annotations

import pytest
import torch

from ketorch import ops
from ketorch.layers.node import KerasTensor

X = torch.arange(12, dtype=torch.float32).reshape(3, 4)

REDUCTIONS = [
    "all", "amax", "amin", "any", "argmax", "argmin", "count_nonzero", "max", "mean", "median",
    "min", "nanargmax", "nanargmin", "nanmax", "nanmean", "nanmedian", "nanmin", "nanprod",
    "nanstd", "nansum", "nanvar", "prod", "ptp", "std", "sum", "var",
]  # fmt: skip


@pytest.mark.parametrize("name", REDUCTIONS)
def test_axis_out_of_range(name):
    with pytest.raises(ValueError, match=f"ops.{name}"):
        getattr(ops, name)(X, axis=2)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "var", "quantile", "ptp"])
def test_repeated_axes(name):
    args = (0.5,) if name == "quantile" else ()
    with pytest.raises(ValueError, match=f"ops.{name}.*repeated"):
        getattr(ops, name)(X, *args, axis=(1, -1))


@pytest.mark.parametrize("name", ["argmax", "argmin", "argsort", "sort", "cumsum", "diff"])
def test_single_axis_ops_reject_tuples(name):
    with pytest.raises(TypeError, match=f"ops.{name}"):
        getattr(ops, name)(X, axis=(0, 1))


@pytest.mark.parametrize("name", ["sort", "argsort", "cumsum", "cumprod", "nancumsum"])
def test_axis_out_of_range_single(name):
    with pytest.raises(ValueError, match=f"ops.{name}"):
        getattr(ops, name)(X, axis=-3)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "argmax", "nanmax", "ptp"])
def test_zero_size_reduction_without_identity(name):
    with pytest.raises(ValueError, match=f"ops.{name}.*zero-size"):
        getattr(ops, name)(torch.zeros(0, 3), axis=0)


def test_max_initial_allows_zero_size():
    out = ops.max(torch.zeros(0, 3), axis=0, initial=-1.0)
    assert out.shape == (3,) and bool((out == -1).all())


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile_bad_q_and_method(name):
    with pytest.raises(ValueError, match=f"ops.{name}.*`q`"):
        getattr(ops, name)(X, 1.5)
    with pytest.raises(ValueError, match=f"ops.{name}.*`q`"):
        getattr(ops, name)(X, torch.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match=f"ops.{name}.*`q`"):
        getattr(ops, name)(X, [[0.5]])
    with pytest.raises(ValueError, match=f"ops.{name}.*`method`"):
        getattr(ops, name)(X, 0.5, method="cubic")


@pytest.mark.parametrize("name", ["percentile", "nanpercentile"])
def test_percentile_range(name):
    with pytest.raises(ValueError, match=f"ops.{name}.*100"):
        getattr(ops, name)(X, 101.0)


def test_argpartition_kth():
    with pytest.raises(TypeError, match="ops.argpartition"):
        ops.argpartition(X, 1.5)
    with pytest.raises(ValueError, match="ops.argpartition.*kth"):
        ops.argpartition(X, 4)


def test_average_weights_shape():
    with pytest.raises(ValueError, match="ops.average.*weights"):
        ops.average(X, axis=1, weights=torch.ones(3))
    with pytest.raises(ValueError, match="ops.average.*weights"):
        ops.average(X, weights=torch.ones(4))


def test_bincount_errors():
    with pytest.raises(ValueError, match="ops.bincount.*non-negative"):
        ops.bincount(torch.tensor([1, -1]))
    with pytest.raises(TypeError, match="ops.bincount"):
        ops.bincount(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="ops.bincount.*sparse"):
        ops.bincount(torch.tensor([1, 2]), sparse=True)
    with pytest.raises(ValueError, match="ops.bincount.*weights"):
        ops.bincount(torch.tensor([1, 2]), weights=torch.ones(3))


def test_histogram_errors():
    x = torch.rand(10)
    with pytest.raises(TypeError, match="ops.histogram.*bins"):
        ops.histogram(x, bins=2.5)
    with pytest.raises(ValueError, match="ops.histogram.*bins"):
        ops.histogram(x, bins=0)
    with pytest.raises(ValueError, match="ops.histogram.*range"):
        ops.histogram(x, range=(1.0, 0.0))
    with pytest.raises(ValueError, match="ops.histogram.*range"):
        ops.histogram(x, range=(1.0,))
    with pytest.raises(ValueError, match="ops.histogram.*1-D"):
        ops.histogram(X)


def test_correlate_errors():
    with pytest.raises(ValueError, match="ops.correlate.*mode"):
        ops.correlate(X[0], X[1], mode="circular")
    with pytest.raises(ValueError, match="ops.correlate.*1-D"):
        ops.correlate(X, X[1])


def test_searchsorted_and_digitize_errors():
    with pytest.raises(ValueError, match="ops.searchsorted.*1-D"):
        ops.searchsorted(X, X)
    with pytest.raises(ValueError, match="ops.searchsorted.*side"):
        ops.searchsorted(X[0], X, side="middle")
    with pytest.raises(ValueError, match="ops.digitize.*1-D"):
        ops.digitize(X, X)


def test_diff_and_corrcoef_errors():
    with pytest.raises(ValueError, match="ops.diff.*`n`"):
        ops.diff(X, n=-1)
    with pytest.raises(ValueError, match="ops.diff.*1-D"):
        ops.diff(torch.tensor(1.0))
    with pytest.raises(ValueError, match="ops.corrcoef"):
        ops.corrcoef(torch.zeros(2, 3, 4))


def test_ptp_bool():
    with pytest.raises(TypeError, match="ops.ptp"):
        ops.ptp(torch.tensor([True, False]))


def test_unique_axis():
    with pytest.raises(ValueError, match="ops.unique"):
        ops.unique(X, axis=5)


def test_symbolic_errors_and_specs():
    kt = KerasTensor((None, 4), "float32")
    with pytest.raises(ValueError, match="ops.sum"):
        ops.sum(kt, axis=3)
    with pytest.raises(ValueError, match="ops.quantile.*`method`"):
        ops.quantile(kt, 0.5, method="cubic")
    values = ops.unique(KerasTensor((None,), "int32"), size=4)
    assert values.shape == (4,) and values.dtype == "int32"
    counts = ops.bincount(KerasTensor((None, 6), "int32"))
    assert counts.shape == (None, None) and counts.dtype == "int32"
    avg = ops.average(kt, axis=1, weights=KerasTensor((4,), "float32"))
    assert avg.shape == (None,) and avg.dtype == "float32"
