"""Small internal layers that record arithmetic and indexing on symbolic tensors.

They let Functional code write ``x = a + b`` or ``x[:, 0]`` on ``Input`` tensors.
"""

from __future__ import annotations

import operator

import torch

from ..layer import Layer
from ..node import KerasTensor

_OPS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "matmul": operator.matmul,
}


class TensorOp(Layer):
    """A binary operator (``add``, ``sub``, ``mul``, ``div``, ``matmul``) as a layer."""

    def __init__(self, op, **kwargs):
        super().__init__(**kwargs)
        if op not in _OPS:
            raise ValueError(f"Unknown tensor op. Received: op={op!r}")
        self.op = op
        self._fn = _OPS[op]
        self.built = True

    def call(self, a, b):
        return self._fn(a, b)

    def compute_output_spec(self, a, b):
        def shape(x):
            return x.shape if isinstance(x, KerasTensor) else tuple(torch.as_tensor(x).shape)

        sa, sb = shape(a), shape(b)
        if self.op == "matmul":
            out = tuple(sa[:-1]) + (sb[-1],)
        else:
            n = max(len(sa), len(sb))
            sa = (1,) * (n - len(sa)) + tuple(sa)
            sb = (1,) * (n - len(sb)) + tuple(sb)
            out = tuple(
                db if da == 1 else da if db == 1 or da is not None else db for da, db in zip(sa, sb)
            )
        dtype = next(x.dtype for x in (a, b) if isinstance(x, KerasTensor))
        return KerasTensor(out, dtype)

    def get_config(self):
        config = super().get_config()
        config["op"] = self.op
        return config


class GetItem(Layer):
    """``x[key]`` on a symbolic tensor, recorded as a layer."""

    def __init__(self, key, **kwargs):
        super().__init__(**kwargs)
        self.key = key
        self.built = True

    def call(self, x):
        return x[self.key]

    def compute_output_shape(self, input_shape):
        raise NotImplementedError  # inferred by running on zeros
