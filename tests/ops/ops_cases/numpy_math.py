"""Cases for the elementwise numpy ops (ketorch/ops/_numpy_math.py)."""

import numpy as np
from op_cases import Case, T

NAN, INF = float("nan"), float("inf")
SPECIAL = (0.0, -0.0, 1.5, -2.5, NAN, INF, -INF, 3.0)
HALF = {"atol": 2e-3, "rtol": 2e-3}

# Keras on torch runs these kernels on the given 64-bit tensors (float64 stays float64), while
# its symbolic shape inference narrows 64-bit results to 32 bits; ketorch infers what runs.
WIDE = "Keras's symbolic result narrows 64-bit dtypes; its eager result (checked) does not"
COMPLEX_SYM = "Keras's symbolic dtype is complex64; its eager result (checked) is float32"
STRONG_SYM = (
    "Keras's symbolic dtype rule reads a Python int as int32 (or floatx); its eager result "
    "(checked) keeps the tensor's dtype"
)


def _unary_float(op, low=-2.0, high=2.0, grad=True):
    """Float32 (with gradients), float16, int32 and bool inputs of a float-valued unary op."""
    return [
        Case(op, (T((2, 3), low=low, high=high),), grad=grad),
        Case(op, (T((4,), "float16", low=low, high=high),), id="float16", **HALF),
        Case(op, (T((2, 3), "int32", low=max(low, -3), high=max(high, 1) + 1),), id="int32"),
        Case(op, (T((5,), "bool"),), id="bool"),
    ]


CASES = [
    # ---------------------------------------------------------------- arithmetic
    Case("add", (T((2, 3)), T((3,), seed=1)), grad=True, id="broadcast"),
    Case("add", (T((2, 3), "int8"), 1), id="int8-weak-int"),
    Case("add", (1.5, T((2, 3), "int32")), id="weak-float-int32"),
    Case("add", (T((2, 3), "bool"), T((2, 3), "bool", seed=1)), id="bool-bool"),
    Case("add", (T((2, 3), "float16"), T((2, 3), "bfloat16", seed=1)), id="f16-bf16", **HALF),
    Case("add", (T((3,), "float64"), 2), symbolic=False, note=WIDE, id="float64-scalar"),
    Case("add", (T((3,), "int64"), T((3,), "int32")), symbolic=False, note=WIDE, id="int64"),
    Case("subtract", (T((2, 3)), T((2, 1), seed=1)), grad=True),
    Case("subtract", (1, T((2, 3))), grad=True, id="scalar-first"),
    Case("subtract", (T((4,), "bool"), 1), id="bool-int"),
    Case("subtract", (T((4,), "uint8", 0, 10), T((4,), "int8", -5, 5, seed=1)), id="u8-i8"),
    Case("subtract", (T((4,), "int32", -5, 5), True), id="int-bool-scalar"),
    Case("multiply", (T((2, 3)), 0.5), grad=True, id="scalar"),
    Case("multiply", (T((2, 3), "int16"), T((2, 3), "int8", seed=1)), id="int16-int8"),
    Case("multiply", (T((2, 3), "bool"), 2), id="bool-int"),
    Case("divide", (T((2, 3)), T((2, 3), low=0.5, high=2.0, seed=1)), grad=True),
    Case("divide", (T((2, 3), "int32", -5, 5), 2), id="int32-int"),
    Case("divide", (T((2, 3), "int8", -5, 5), T((2, 3), "int8", 1, 5, seed=1)), id="int8"),
    Case("divide", (3, T((3,), low=0.5, high=2.0)), grad=True, id="scalar-first"),
    Case("divide", (T((3,), "float16"), 3.0), id="float16", **HALF),
    Case("divide", (T((3,), "bool"), T((3,), "int32", 1, 4)), id="bool-int"),
    Case("true_divide", (T((2, 3)), T((3,), low=0.5, high=2.0, seed=1)), grad=True),
    Case("true_divide", (T((2, 3), "int32", -5, 5), T((3,), "int32", 1, 4)), id="int32"),
    Case(
        "divide_no_nan",
        (T((6,)), T((6,), "float32", kind="values", values=(0.0, 1.5, -2.0, 0.0, 0.5, 3.0))),
        grad=True,
    ),
    Case("divide_no_nan", (T((2, 3), "int32", -5, 5), T((3,), "int32", 0, 3)), id="int32"),
    Case("divide_no_nan", (T((2, 3), "float16"), 0.0), id="float16-zero", **HALF),
    Case("floor_divide", (T((2, 3), low=-5, high=5), T((2, 3), low=0.5, high=2.0, seed=1))),
    Case("floor_divide", (T((2, 3), "int32", -9, 9), T((3,), "int32", 1, 4)), id="int32"),
    Case("floor_divide", (T((2, 3), "int8", -9, 9), 2), id="int8-scalar"),
    Case("mod", (T((2, 3), low=-5, high=5), T((2, 3), low=0.5, high=2.0, seed=1)), grad=True),
    Case("mod", (T((2, 3), "int32", -9, 9), T((3,), "int32", -4, -1)), id="int32-neg"),
    Case("mod", (T((2, 3), "int16", -9, 9), 4), id="int16-scalar"),
    Case("mod", (T((3,), "bool"), T((3,), "bool", kind="values", values=(1, 1, 1))), id="bool"),
    Case("fmod", (T((2, 3), low=-5, high=5), T((2, 3), low=0.5, high=2.0, seed=1)), grad=True),
    Case("fmod", (T((2, 3), "int32", -9, 9), T((3,), "int32", -4, -1)), id="int32-neg"),
    Case("fmod", (T((2, 3), "float16", -5, 5), 1.5), id="float16", **HALF),
    Case("power", (T((2, 3), low=0.5, high=2.0), T((2, 3), seed=1)), grad=True),
    Case("power", (T((2, 3)), 2), grad=True, id="square"),
    Case("power", (T((2, 3), "int32", -3, 4), 3), id="int32"),
    Case("power", (T((4,), "int32", 1, 3), -1), id="int-negative-exponent"),
    Case("power", (2, T((2, 3), "int8", 0, 5)), id="scalar-base"),
    Case("power", (T((2, 3), "int32", 1, 4), 0.5), id="int-float"),
    Case("negative", (T((2, 3)),), grad=True),
    Case("negative", (T((2, 3), "int8", -5, 5),), id="int8"),
    Case("reciprocal", (T((2, 3), low=0.5, high=2.0),), grad=True),
    Case("reciprocal", (T((2, 3), "int32", 1, 5),), id="int32"),
    Case("square", (T((2, 3)),), grad=True),
    Case("square", (T((2, 3), "int32", -5, 5),), id="int32"),
    Case("square", (T((4,), "bool"),), id="bool"),
    Case("square", (T((4,), "float16"),), id="float16", **HALF),
    Case("sqrt", (T((2, 3), low=0.1, high=4.0),), grad=True),
    Case("sqrt", (T((2, 3), "int32", 0, 9),), id="int32"),
    Case("sqrt", (T((2, 3), "int64", 0, 9),), id="int64"),
    Case("sqrt", (T((4,), "bool"),), id="bool"),
    Case("sqrt", (T((4,), "float16", 0.0, 4.0),), id="float16", **HALF),
    Case("cbrt", (T((2, 3), low=0.2, high=3.0),), grad=True),
    Case("cbrt", (T((2, 3), low=-3.0, high=-0.2),), grad=True, id="negative"),
    Case("cbrt", (T((2, 3), "int32", -8, 9),), id="int32"),
    Case("cbrt", (T((2, 3), "int64", -8, 9),), id="int64"),
    Case("cbrt", (T((4,), "bool"),), id="bool"),
    Case("abs", (T((2, 3)),), grad=True),
    Case("abs", (T((2, 3), "int32", -5, 5),), id="int32"),
    Case("abs", (T((4,), "bool"),), id="bool"),
    Case(
        "abs",
        (T((4,), "complex64"),),
        id="complex",
        symbolic=False,
        note="Keras's symbolic "
        "dtype for complex input is complex64; its eager result (checked) is float32",
    ),
    Case("absolute", (T((2, 3)),), grad=True),
    Case("absolute", (T((2, 3), "int8", -5, 5),), id="int8"),
    Case("fabs", (T((2, 3)),), grad=True),
    Case("fabs", (T((2, 3), "int32", -5, 5),), id="int32"),
    Case("fabs", (T((4,), "bool"),), id="bool"),
    Case("sign", (T((6,), kind="values", values=(0.0, -0.0, 2.5, -1.0, 3.0, -4.0)),)),
    Case("sign", (T((2, 3), "int32", -5, 5),), id="int32"),
    Case("sign", (T((4,), "bool"),), id="bool"),
    Case("signbit", (T((8,), kind="values", values=SPECIAL),)),
    Case("signbit", (T((2, 3), "int32", -5, 5),), id="int32"),
    Case("maximum", (T((2, 3)), T((3,), seed=1)), grad=True),
    Case("maximum", (T((2, 3)), 0.0), grad=True, id="scalar"),
    Case("maximum", (0.0, T((2, 3))), grad=True, id="scalar-first"),
    Case("maximum", (T((2, 3), "int32", -5, 5), 1.5), id="int-weak-float"),
    Case("maximum", (T((2, 3), "int8", -5, 5), T((2, 3), "uint8", 0, 5, seed=1)), id="i8-u8"),
    Case("maximum", (T((4,), "bool"), T((4,), "bool", seed=1)), id="bool"),
    Case("maximum", (T((8,), kind="values", values=SPECIAL), 1.0), id="nan"),
    Case("maximum", (T((4,), "float16"), T((4,), "float32", seed=1)), id="f16-f32"),
    Case("minimum", (T((2, 3)), T((2, 3), seed=1)), grad=True),
    Case("minimum", (T((2, 3)), 1.0), grad=True, id="scalar"),
    Case("minimum", (T((2, 3), "int32", -5, 5), 2), id="int32-scalar"),
    Case("minimum", (T((8,), kind="values", values=SPECIAL), T((8,), seed=1)), id="nan"),
    Case("fmax", (T((2, 3)), T((3,), seed=1)), grad=True),
    Case("fmax", (T((8,), kind="values", values=SPECIAL), T((8,), seed=1)), id="nan"),
    Case("fmax", (T((2, 3), "int32", -5, 5), 0), id="int32"),
    Case("fmin", (T((2, 3)), T((2, 3), seed=1)), grad=True),
    Case("fmin", (T((8,), kind="values", values=SPECIAL), 0.5), id="nan"),
    Case("clip", (T((2, 3), low=-3, high=3), -1.0, 1.0), grad=True),
    Case("clip", (T((2, 3), "int32", -5, 5), -2, 2), id="int32"),
    Case("clip", (T((4,), "bool"), 0, 1), id="bool"),
    Case("clip", (T((4,), "float16", -3, 3), -1.0, 1.0), id="float16", **HALF),
    Case("nan_to_num", (T((8,), kind="values", values=SPECIAL),)),
    Case(
        "nan_to_num",
        (T((8,), kind="values", values=SPECIAL),),
        {"nan": -1.0, "posinf": 10.0, "neginf": -10.0},
        id="options",
    ),
    Case("nan_to_num", (T((2, 3), "int32", -5, 5),), id="int32"),
    # ---------------------------------------------------------------- rounding
    Case("ceil", (T((2, 3), low=-3, high=3),)),
    Case("ceil", (T((2, 3), "int32", -5, 5),), id="int32"),
    Case("ceil", (T((4,), "bool"),), id="bool"),
    Case("ceil", (T((4,), "float16", -3, 3),), id="float16"),
    Case("floor", (T((2, 3), low=-3, high=3),)),
    Case("floor", (T((2, 3), "int32", -5, 5),), id="int32"),
    Case("floor", (T((2, 3), "int64", -5, 5),), id="int64"),
    Case("floor", (T((4,), "bfloat16", -3, 3),), id="bfloat16"),
    Case("trunc", (T((2, 3), low=-3, high=3),)),
    Case("trunc", (T((2, 3), "int32", -5, 5),), id="int32"),
    Case("trunc", (T((4,), "bool"),), id="bool"),
    Case("round", (T((2, 3), low=-3, high=3),)),
    Case("round", (T((6,), kind="values", values=(0.5, 1.5, 2.5, -0.5, -1.5, 3.25)),), id="even"),
    Case("round", (T((2, 3), low=-3, high=3),), {"decimals": 2}, id="decimals"),
    Case("round", (T((2, 3), "int32", -500, 500),), {"decimals": -2}, id="int32-negative"),
    Case("round", (T((2, 3), "int32", -500, 500),), id="int32"),
    Case("round", (T((4,), "float16", -3, 3),), id="float16"),
    # ---------------------------------------------------------------- unary math
    *_unary_float("exp"),
    *_unary_float("exp2"),
    *_unary_float("expm1"),
    *_unary_float("log", 0.1, 4.0),
    *_unary_float("log10", 0.1, 4.0),
    *_unary_float("log2", 0.1, 4.0),
    *_unary_float("log1p", -0.5, 4.0),
    *_unary_float("sin"),
    *_unary_float("cos"),
    *_unary_float("tan", -1.2, 1.2),
    *_unary_float("sinh"),
    *_unary_float("cosh"),
    *_unary_float("tanh"),
    *_unary_float("arcsin", -0.9, 0.9),
    *_unary_float("arccos", -0.9, 0.9),
    *_unary_float("arctan"),
    *_unary_float("arcsinh"),
    *_unary_float("arccosh", 1.1, 3.0),
    *_unary_float("arctanh", -0.9, 0.9),
    *_unary_float("sinc"),
    *_unary_float("deg2rad", -180.0, 180.0),
    *_unary_float("rad2deg"),
    Case("sin", (T((3,), "float64"),), symbolic=False, note=WIDE, id="float64"),
    Case("exp", (T((3,), "int64", -3, 3),), id="int64"),
    Case("log", (T((3,), "complex64", 0.5, 2.0),), id="complex64"),
    Case("deg2rad", (T((3,), "int64", -180, 180),), id="int64"),
    Case("rad2deg", (T((3,), "int64", -3, 3),), id="int64"),
    Case("i0", (T((2, 3), low=-3, high=3),), grad=True),
    Case("i0", (T((2, 3), "int32", -3, 3),), id="int32"),
    Case("i0", (T((4,), "float16", -3, 3),), id="float16", **HALF),
    Case("i0", (T((3,), "int64", -3, 3),), id="int64"),
    Case("angle", (T((2, 3), "complex64"),), symbolic=False, note=COMPLEX_SYM),
    Case("angle", (T((2, 3)),), id="float32"),
    Case("angle", (T((2, 3), "int32", -3, 3),), id="int32"),
    Case("conj", (T((2, 3), "complex64"),)),
    Case("conj", (T((2, 3)),), grad=True, id="float32"),
    Case("conjugate", (T((2, 3), "complex64"),)),
    Case("conjugate", (T((2, 3), "int32", -3, 3),), id="int32"),
    Case("real", (T((2, 3), "complex64"),), symbolic=False, note=COMPLEX_SYM),
    Case("real", (T((2, 3)),), grad=True, id="float32"),
    Case("imag", (T((2, 3), "complex64"),), symbolic=False, note=COMPLEX_SYM),
    Case(
        "imag",
        (T((2, 3)),),
        ref=np.imag,
        id="float32",
        note="Keras's torch backend raises on real input (torch.imag); NumPy gives zeros",
    ),
    Case(
        "imag",
        (T((2, 3), "int32", -3, 3),),
        ref=np.imag,
        id="int32",
        note="Keras's torch backend raises on real input (torch.imag); NumPy gives zeros",
    ),
    # ---------------------------------------------------------------- predicates
    Case("isfinite", (T((8,), kind="values", values=SPECIAL),)),
    Case("isfinite", (T((2, 3), "int32", -3, 3),), id="int32"),
    Case("isinf", (T((8,), kind="values", values=SPECIAL),)),
    Case("isinf", (T((4,), "bool"),), id="bool"),
    Case("isnan", (T((8,), kind="values", values=SPECIAL),)),
    Case("isnan", (T((2, 3), "int32", -3, 3),), id="int32"),
    Case("isneginf", (T((8,), kind="values", values=SPECIAL),)),
    Case("isposinf", (T((8,), kind="values", values=SPECIAL),)),
    Case("isposinf", (T((2, 3), "int32", -3, 3),), id="int32"),
    Case("isreal", (T((2, 3)),)),
    Case("isreal", (T((2, 3), "complex64"),), id="complex"),
    Case("isclose", (T((2, 3)), T((2, 3), seed=1))),
    Case(
        "isclose",
        (
            T((4,), kind="values", values=(1.0, 2.0, NAN, 4.0)),
            T((4,), kind="values", values=(1.0 + 1e-6, 2.1, NAN, 4.0)),
        ),
        {"equal_nan": True},
        id="equal-nan",
    ),
    Case(
        "isclose",
        (
            T((4,), kind="values", values=(1.0, 2.0, 3.0, 4.0)),
            T((4,), kind="values", values=(1.05, 2.5, 3.0, 5.0)),
        ),
        {"rtol": 0.1, "atol": 0.0},
        id="rtol",
    ),
    Case("isclose", (T((2, 3), "int32", 0, 3), T((3,), "int32", 0, 3, seed=1)), id="int32"),
    Case("isclose", (T((2, 3), "float16"), 0.5), id="float16-scalar"),
    Case("allclose", (T((2, 3)), T((2, 3), seed=1))),
    Case("allclose", (T((2, 3)), T((2, 3))), id="same"),
    Case("allclose", (T((2, 3), "int32", 0, 3), T((3,), "int32", 0, 3, seed=1)), id="int32"),
    Case(
        "allclose",
        (
            T((3,), kind="values", values=(1.0, NAN, 3.0)),
            T((3,), kind="values", values=(1.0, NAN, 3.0 + 1e-7)),
        ),
        {"equal_nan": True},
        id="equal-nan",
    ),
    Case("isin", (T((2, 3), "int32", 0, 6), T((4,), "int32", 0, 6, seed=1))),
    Case(
        "isin",
        (T((2, 3), "int32", 0, 6), T((4,), "int32", 0, 6, seed=1)),
        {"invert": True},
        id="invert",
    ),
    Case(
        "isin",
        (
            T((2, 3), "float32", kind="values", values=(0, 1, 2, 3, 4, 5)),
            T((3,), "int32", 0, 6, seed=1),
        ),
        id="float-int",
    ),
    Case("isin", (T((5,), "bool"), T((1,), "bool", kind="values", values=(True,))), id="bool"),
    # ---------------------------------------------------------------- comparisons
    *[
        c
        for op in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal")
        for c in (
            Case(op, (T((2, 3), "int32", 0, 3), T((3,), "int32", 0, 3, seed=1))),
            Case(op, (T((2, 3), low=-1, high=1), 0.0), id="scalar"),
            Case(op, (1, T((2, 3), "int8", 0, 3)), id="scalar-first"),
            Case(op, (T((2, 3), "float16", -1, 1), T((2, 3), "int32", -1, 1, seed=1)), id="mix"),
            Case(op, (T((4,), "bool"), T((4,), "bool", seed=1)), id="bool"),
        )
    ],
    # ---------------------------------------------------------------- logic
    *[
        c
        for op in ("logical_and", "logical_or", "logical_xor")
        for c in (
            Case(op, (T((2, 3), "bool"), T((3,), "bool", seed=1))),
            Case(op, (T((2, 3), "int32", -1, 2), T((2, 3), low=-1, high=1, seed=1)), id="mix"),
            Case(op, (True, T((2, 3), "bool")), id="scalar-first"),
        )
    ],
    Case("logical_not", (T((2, 3), "bool"),)),
    Case("logical_not", (T((2, 3), "int32", -1, 2),), id="int32"),
    Case("logical_not", (T((8,), kind="values", values=SPECIAL),), id="float"),
    # ---------------------------------------------------------------- bitwise
    *[
        c
        for op in ("bitwise_and", "bitwise_or", "bitwise_xor")
        for c in (
            Case(op, (T((2, 3), "int32", -8, 8), T((3,), "int32", -8, 8, seed=1))),
            Case(op, (T((2, 3), "uint8", 0, 255), T((2, 3), "uint8", 0, 255, seed=1)), id="u8"),
            Case(op, (T((2, 3), "bool"), T((2, 3), "bool", seed=1)), id="bool"),
            Case(op, (T((2, 3), "int8", -8, 8), T((2, 3), "int16", -8, 8, seed=1)), id="i8-i16"),
        )
    ],
    *[
        c
        for op in ("bitwise_invert", "bitwise_not")
        for c in (
            Case(op, (T((2, 3), "int32", -8, 8),)),
            Case(op, (T((2, 3), "uint8", 0, 255),), id="uint8"),
            Case(op, (T((4,), "bool"),), id="bool"),
        )
    ],
    *[
        c
        for op in ("bitwise_left_shift", "left_shift", "bitwise_right_shift", "right_shift")
        for c in (
            Case(op, (T((2, 3), "int32", -64, 64), T((2, 3), "int32", 0, 4, seed=1))),
            Case(op, (T((2, 3), "int32", -64, 64), 2), id="scalar"),
            Case(op, (T((2, 3), "uint8", 0, 16), T((3,), "uint8", 0, 4, seed=1)), id="uint8"),
        )
    ],
    Case("gcd", (T((2, 3), "int32", -12, 24), T((3,), "int32", 1, 18, seed=1))),
    Case("gcd", (T((2, 3), "int16", 0, 24), 6), id="scalar", symbolic=False, note=STRONG_SYM),
    Case("lcm", (T((2, 3), "int32", -12, 24), T((3,), "int32", 1, 18, seed=1))),
    Case("lcm", (T((2, 3), "int8", 0, 10), T((2, 3), "int8", 1, 10, seed=1)), id="int8"),
    # ---------------------------------------------------------------- float binaries
    Case("arctan2", (T((2, 3)), T((2, 3), seed=1)), grad=True),
    Case("arctan2", (T((2, 3), "int32", -3, 3), T((3,), "int32", -3, 3, seed=1)), id="int32"),
    Case(
        "arctan2",
        (T((4,), "float16"), 2),
        id="float16-int",
        symbolic=False,
        note=STRONG_SYM,
        **HALF,
    ),
    Case("arctan2", (T((4,), "float16"), T((4,), "float16", seed=1)), id="float16", **HALF),
    Case("arctan2", (T((3,), "float64"), T((3,), "float64", seed=1)), id="float64"),
    Case("hypot", (T((2, 3)), T((3,), seed=1)), grad=True),
    Case("hypot", (T((2, 3), "int32", -3, 3), T((2, 3), "int8", -3, 3, seed=1)), id="int"),
    Case("hypot", (T((4,), "bfloat16"), T((4,), "bfloat16", seed=1)), id="bf16", **HALF),
    Case(
        "heaviside",
        (T((6,), kind="values", values=(-1.5, 0.0, 2.0, 0.0, -0.0, 3.0)), T((6,), seed=1)),
    ),
    Case("heaviside", (T((2, 3), "int32", -2, 2), T((3,), "int32", 0, 2)), id="int32"),
    Case("heaviside", (T((2, 3), "float16", -1, 1), T((2, 3), "float16")), id="float16"),
    Case("logaddexp", (T((2, 3)), T((2, 3), seed=1)), grad=True),
    Case("logaddexp", (T((2, 3), "int32", -3, 3), T((3,), "int32", -3, 3)), id="int32"),
    Case("logaddexp", (T((4,), "float16"), T((4,), "float16", seed=1)), id="float16", **HALF),
    Case("logaddexp", (T((2, 3)), 0.0), grad=True, id="scalar"),
    Case("logaddexp2", (T((2, 3)), T((3,), seed=1)), grad=True),
    Case("logaddexp2", (T((2, 3), "int32", -3, 3), T((3,), "int32", -3, 3)), id="int32"),
    Case("nextafter", (T((2, 3)), T((2, 3), seed=1))),
    Case(
        "nextafter",
        (T((2, 3)), T((2, 3), seed=1)),
        ref=lambda a, b: np.nextafter(a, b),
        atol=0.0,
        rtol=0.0,
        id="exact",
        note="Keras's torch backend steps in float64 and rounds back, so its float32 result is "
        "x1 itself; ketorch steps in the result dtype as NumPy does (exact check here)",
    ),
    Case("nextafter", (T((2, 3), "int32", -3, 3), T((3,), "int32", -3, 3)), id="int32"),
    Case("ldexp", (T((2, 3)), T((2, 3), "int32", -3, 4, seed=1)), grad=True),
    Case("ldexp", (T((2, 3), "int32", -3, 3), T((3,), "int8", -3, 4, seed=1)), id="int"),
    Case("ldexp", (T((4,), "float16"), 3), id="float16-scalar", **HALF),
]
