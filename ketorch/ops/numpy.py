"""``keras.ops.numpy``: NumPy-style ops on torch tensors (and on KerasTensors)."""

from ._numpy_array import *  # noqa: F403
from ._numpy_array import __all__ as _array_all
from ._numpy_math import *  # noqa: F403
from ._numpy_math import __all__ as _math_all
from ._numpy_products import *  # noqa: F403
from ._numpy_products import __all__ as _products_all
from ._numpy_reduce import *  # noqa: F403
from ._numpy_reduce import __all__ as _reduce_all

__all__ = sorted(set(_array_all) | set(_math_all) | set(_products_all) | set(_reduce_all))
