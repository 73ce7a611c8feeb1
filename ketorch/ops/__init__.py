"""``keras.ops``: Keras 3's op API on torch.

Every function runs the torch kernel on tensors (eagerly, with Keras's dtype rules) and, called
on the symbolic ``KerasTensor``s of a Functional model definition, records a graph node whose
output shape and dtype are inferred without data (see :mod:`ketorch.ops.operation`).

Example:

>>> import torch
>>> from ketorch import ops
>>> ops.sum(ops.expand_dims(torch.ones(2, 3), 0), axis=-1)
tensor([[3., 3.]])
"""

from . import core, einops, image, linalg, math, nn, numpy  # noqa: F401
from ._dtypes import result_type  # noqa: F401
from .core import *  # noqa: F403
from .einops import *  # noqa: F403
from .linalg import *  # noqa: F403
from .math import *  # noqa: F403
from .nn import *  # noqa: F403
from .numpy import *  # noqa: F403
