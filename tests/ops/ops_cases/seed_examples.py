"""Cases for the ops written with the op mechanism itself (add, multiply, expand_dims, ...)."""

from op_cases import Case, T

CASES = [
    Case("add", (T((2, 3)), T((2, 3), seed=1)), grad=True),
    Case("add", (T((2, 3), "int32"), 1.5), id="int-weak-float"),
    Case("add", (T((2, 3), "int8"), T((3,), "uint8")), id="int8-uint8"),
    Case("multiply", (T((4, 1)), T((1, 5), seed=2)), grad=True, id="broadcast"),
    Case("subtract", (T((3,), "bool"), T((3,), "int32")), id="bool-int"),
    Case("expand_dims", (T((2, 3)), -1)),
    Case("expand_dims", (T((2, 3)), (0, 2)), id="tuple-axis"),
    Case("concatenate", ([T((2, 3)), T((2, 1), seed=3)],), {"axis": -1}, grad=True),
    Case("concatenate", ([T((2, 3), "int32"), T((2, 3), "float16")],), {"axis": 0}, id="promote"),
    Case("sum", (T((2, 3, 4)),), {"axis": (0, 2), "keepdims": True}, grad=True),
    Case("sum", (T((2, 3), "bool"),), id="bool"),
    Case("sum", (T((2, 3), "int8"),), {"axis": 1}, id="int8"),
    Case("get_item", (T((4, 5)), (slice(1, 3), 0))),
]
