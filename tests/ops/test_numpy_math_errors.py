"""Bad arguments to the elementwise numpy ops raise errors that name the op and the argument."""

import pytest
import torch

from ketorch import ops
from ketorch.layers.node import KerasTensor

FLT = torch.ones(2, 3)
INT = torch.ones(2, 3, dtype=torch.int32)
BOOL = torch.ones(3, dtype=torch.bool)


@pytest.mark.parametrize(
    "op",
    ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "mod", "arctan2"]
    + ["hypot", "logaddexp", "isclose", "equal", "greater", "logical_and", "fmax", "nextafter"],
)
def test_incompatible_shapes(op):
    with pytest.raises(ValueError, match=rf"ops\.{op}\b.*shape \(2, 3\).*shape \(4,\)"):
        getattr(ops, op)(FLT, torch.ones(4))


def test_incompatible_shapes_symbolic():
    with pytest.raises(ValueError, match=r"ops\.add\b.*\(None, 3\).*\(None, 4\)"):
        ops.add(KerasTensor((None, 3)), KerasTensor((None, 4)))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ops.bitwise_and(FLT, INT), r"ops\.bitwise_and: `x` .*dtype float32"),
        (lambda: ops.bitwise_or(INT, 1.5), r"ops\.bitwise_or: `y` .*Received: y=1\.5"),
        (lambda: ops.bitwise_xor(INT, FLT), r"ops\.bitwise_xor: `y` .*dtype float32"),
        (lambda: ops.bitwise_not(FLT), r"ops\.bitwise_not: `x` .*dtype float32"),
        (lambda: ops.bitwise_invert(FLT), r"ops\.bitwise_invert: `x`"),
        (lambda: ops.left_shift(INT, FLT), r"ops\.left_shift: `y` .*dtype float32"),
        (lambda: ops.bitwise_right_shift(FLT, 1), r"ops\.bitwise_right_shift: `x`"),
        (lambda: ops.gcd(FLT, INT), r"ops\.gcd: `x1` .*dtype float32"),
        (lambda: ops.lcm(INT, 2.5), r"ops\.lcm: `x2` .*Received: x2=2\.5"),
        (lambda: ops.ldexp(FLT, FLT), r"ops\.ldexp: `x2` must be an integer .*dtype float32"),
        (lambda: ops.ldexp(FLT, True), r"ops\.ldexp: `x2` must be an integer .*x2=True"),
        (lambda: ops.round(FLT, 1.5), r"ops\.round: `decimals` .*decimals=1\.5"),
        (lambda: ops.subtract(BOOL, BOOL), r"ops\.subtract: .*bool.*dtype bool"),
        (lambda: ops.subtract(True, BOOL), r"ops\.subtract: .*x1=True"),
        (lambda: ops.cbrt(torch.ones(2, dtype=torch.complex64)), r"ops\.cbrt: `x` .*complex64"),
    ],
)
def test_bad_dtypes(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_clip_without_bounds():
    with pytest.raises(ValueError, match=r"ops\.clip: `x_min` and `x_max`.*x_min=None"):
        ops.clip(FLT, None, None)


def test_unsupported_kernel_dtype_names_the_op():
    with pytest.raises(ValueError, match=r"ops\.negative\b.*dtype bool"):
        ops.negative(BOOL)
    with pytest.raises(ValueError, match=r"ops\.floor\b.*complex64"):
        ops.floor(torch.ones(2, dtype=torch.complex64))


def test_integer_division_by_zero_names_the_op():
    with pytest.raises(ValueError, match=r"ops\.mod\b.*dtype int32"):
        ops.mod(INT, torch.zeros(3, dtype=torch.int32))
