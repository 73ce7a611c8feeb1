"""``keras.backend``: Keras 3's backend utilities, plus the Keras 2 ``K.*`` functions.

Keras 3 names (``floatx``, ``epsilon``, ``result_type``, ``is_keras_tensor``, ...) and the
Keras 2 functions that older code and libraries call through ``from keras import backend as
K`` (``K.mean``, ``K.sum``, ``K.epsilon()``, ``K.batch_dot``, ``K.variable``, ...). The Keras 2
functions are loaded on first use, so importing ketorch stays fast.

Example:

>>> import torch
>>> from ketorch import backend as K
>>> K.floatx()
'float32'
>>> float(K.mean(torch.tensor([1.0, 3.0])))
2.0
"""

from __future__ import annotations

from ._core import (  # noqa: F401
    CALL_CONTEXT,
    assign_state,
    backend,
    clear_session,
    epsilon,
    fast_dropout,  # noqa: F401
    get_device,
    image_data_format,
    is_float_dtype,
    set_device,
    standardize_dtype,
    to_snake_case,
    to_tensor,
    torch_dtype,
    unique_name,
)


def floatx() -> str:
    """The default float dtype name, e.g. ``"float32"``."""
    from ..config import floatx as _floatx  # import cycle

    return _floatx()


def set_floatx(value) -> None:
    """Set the default float dtype (``"float16"``, ``"bfloat16"``, ``"float32"``, ``"float64"``)."""
    from ..config import set_floatx as _set  # import cycle

    _set(value)


def set_epsilon(value) -> None:
    """Set the fuzz factor returned by :func:`epsilon`."""
    from ..config import set_epsilon as _set  # import cycle

    _set(value)


def set_image_data_format(data_format) -> None:
    """Set the default image layout (``"channels_last"`` or ``"channels_first"``)."""
    from ..config import set_image_data_format as _set  # import cycle

    _set(data_format)


def result_type(*dtypes) -> str:
    """The dtype Keras's type promotion gives for ``dtypes`` (see :func:`ketorch.ops.result_type`)."""
    from ..ops._dtypes import result_type as _rt  # import cycle

    return _rt(*dtypes)


def is_int_dtype(dtype) -> bool:
    """Whether ``dtype`` is a (signed or unsigned) integer dtype."""
    from ..ops._dtypes import is_int_dtype as _f  # import cycle

    return _f(dtype)


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic :class:`~ketorch.layers.node.KerasTensor`."""
    from ..layers.node import KerasTensor  # import cycle

    return isinstance(x, KerasTensor)


def get_uid(prefix: str = "") -> int:
    """A unique integer per ``prefix`` in this session: 1, 2, 3, ... (reset by
    :func:`clear_session`)."""
    name = unique_name(f"__uid__{prefix}")
    tail = name.rsplit("_", 1)[-1]
    return int(tail) + 1 if name != f"__uid__{prefix}" else 1


def __getattr__(name):
    # The Keras 2 functions (K.mean, K.sum, ...) live in keras2.py, loaded on first use.
    if name.startswith("__") or name == "keras2":
        raise AttributeError(name)
    import importlib  # lazy: the module is named at run time

    keras2 = importlib.import_module(f"{__name__}.keras2")

    try:
        return getattr(keras2, name)
    except AttributeError:
        raise AttributeError(
            f"module 'ketorch.backend' has no attribute {name!r}. Keras 3 code uses "
            "`keras.ops` for tensor functions."
        ) from None


def __dir__():
    from . import keras2  # import cycle: this module is imported by the one imported here

    return sorted(set(globals()) | set(keras2.__all__))
