"""``keras.Variable`` on torch: an ``nn.Parameter`` with Keras's variable API.

Every weight a layer creates is a :class:`Variable`. It *is* the ``nn.Parameter`` that
torch optimizers, ``state_dict`` and ``torch.func`` see, and it also answers to Keras's
variable API: ``.name`` (``"kernel"``), ``.path`` (``"sequential/dense/kernel"``),
``.assign(v)``, ``.assign_add(v)``, ``.assign_sub(v)``, ``.trainable``, ``.numpy()`` and
``.value``.

Example:

>>> import ketorch
>>> v = ketorch.Variable(ketorch.initializers.Ones(), shape=(2,), name="scale")
>>> v.assign_add(1.0).numpy()
array([2., 2.], dtype=float32)
>>> v.path
'scale'
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import torch
from torch import nn

from .. import initializers
from ._core import assign_state, get_device

_SCOPE = threading.local()


def scope_stack() -> list:
    stack = getattr(_SCOPE, "stack", None)
    if stack is None:
        stack = _SCOPE.stack = []
    return stack


@contextlib.contextmanager
def name_scope(name: str):
    """Prefix the ``path`` of variables created inside with ``name/`` (as Keras's name scopes)."""
    stack = scope_stack()
    stack.append(name)
    try:
        yield
    finally:
        stack.pop()


def current_path(name: str) -> str:
    """``"outer/inner/<name>"`` for the name scopes open now."""
    stack = scope_stack()
    return "/".join([*stack, name]) if stack else name


def layer_variable_path(layer_name: str, name: str) -> str:
    """The path of a layer's variable: the open scopes, the layer's name (once), the name."""
    stack = scope_stack()
    prefix = stack if stack and stack[-1] == layer_name else [*stack, layer_name]
    return "/".join([*prefix, name])


class Variable(nn.Parameter):
    """A weight: an ``nn.Parameter`` with Keras's variable API.

    Args:
        initializer: An initializer (name, object or callable ``(shape, dtype)``), or an
            initial value (array, number, tensor).
        shape: The shape (needed with an initializer; taken from an initial value).
        dtype: The dtype (floatx by default for initializers; the value's otherwise).
        trainable: Whether training updates it.
        autocast: Accepted for Keras compatibility.
        aggregation: Accepted for Keras compatibility.
        synchronization: Accepted for Keras compatibility.
        name: The variable name (``"variable"`` by default).
    """

    def __new__(
        cls,
        initializer=None,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
        **kwargs,
    ):
        if isinstance(shape, bool) and isinstance(initializer, torch.Tensor):
            # torch's own (data, requires_grad) form: Parameter.__deepcopy__ and friends.
            return torch.Tensor._make_subclass(cls, initializer, shape)
        value = _initial_value(initializer, shape, dtype)
        var = torch.Tensor._make_subclass(
            cls, value, bool(trainable) and (value.is_floating_point() or value.is_complex())
        )
        var._keras_name = name or "variable"
        var._keras_trainable = bool(trainable)
        var._keras_path = current_path(var._keras_name)
        var._keras_regularizer = None
        var._keras_constraint = None
        return var

    def __init__(self, *args, **kwargs):  # all work happens in __new__
        pass

    @classmethod
    def from_tensor(cls, value: torch.Tensor, requires_grad: bool, name: str) -> Variable:
        """Wrap an initialised tensor (the layer's ``add_weight`` path)."""
        var = torch.Tensor._make_subclass(cls, value, requires_grad)
        var._keras_name = name
        var._keras_path = current_path(name)
        return var

    # ---------------------------------------------------------- Keras API
    @property
    def name(self) -> str:
        """The variable's own name, e.g. ``"kernel"``."""
        return self.__dict__.get("_keras_name", "variable")

    @property
    def path(self) -> str:
        """The name with its owners' name scopes, e.g. ``"sequential/dense/kernel"``."""
        return self.__dict__.get("_keras_path") or self.name

    @property
    def value(self) -> torch.Tensor:
        """The variable itself (Keras code reads ``v.value``)."""
        return self

    @property
    def trainable(self) -> bool:
        """Whether training updates the variable."""
        return self.__dict__.get("_keras_trainable", self.requires_grad)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._keras_trainable = bool(value)
        if self.is_floating_point() or self.is_complex():
            self.requires_grad_(bool(value))

    @property
    def regularizer(self):
        return self.__dict__.get("_keras_regularizer")

    @property
    def constraint(self):
        return self.__dict__.get("_keras_constraint")

    def _coerce(self, value) -> torch.Tensor:
        if isinstance(value, torch.Tensor):
            value = value.detach()
            if value.dtype != self.dtype or value.device != self.device:
                value = value.to(device=self.device, dtype=self.dtype)
            return value
        return torch.as_tensor(np.asarray(value), dtype=self.dtype, device=self.device)

    def assign(self, value) -> Variable:
        """Set the value in place (``value`` broadcasts to the variable's shape).

        Raises:
            ValueError: If ``value``'s shape does not fit the variable's.
        """

        value = self._coerce(value)
        if value.shape != self.shape:
            try:
                value = value.expand(self.shape)
            except RuntimeError:
                raise ValueError(
                    f"The shape of the value does not match the shape of variable '{self.path}'. "
                    f"Expected: {tuple(self.shape)}. Received: value.shape={tuple(value.shape)}"
                ) from None
        assign_state(self, value)
        return self

    def assign_add(self, value) -> Variable:
        """Add ``value`` in place."""
        return self.assign(self.detach() + self._coerce(value))

    def assign_sub(self, value) -> Variable:
        """Subtract ``value`` in place."""
        return self.assign(self.detach() - self._coerce(value))

    def numpy(self) -> np.ndarray:
        """A NumPy copy of the value (a host sync)."""
        t = self.detach().cpu()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()

    def __reduce_ex__(self, proto):
        return (_rebuild, (self.detach().clone(), self.requires_grad, dict(self.__dict__)))

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={tuple(self.shape)}, "
            f"dtype={str(self.dtype).replace('torch.', '')}, value={torch.Tensor.__repr__(self.detach())}>"
        )


def _rebuild(data, requires_grad, state):
    var = torch.Tensor._make_subclass(Variable, data, requires_grad)
    var.__dict__.update(state)
    return var


def _initial_value(initializer, shape, dtype) -> torch.Tensor:
    from ..ops._dtypes import torch_dtype  # import cycle

    if isinstance(initializer, torch.Tensor):
        value = initializer.detach().clone()
        return value if dtype is None else value.to(torch_dtype(dtype))
    if isinstance(initializer, (np.ndarray, list, tuple, int, float, bool, np.generic)):
        from ..ops._common import to_tensor  # import cycle

        return to_tensor(initializer, dtype).detach().clone()
    if initializer is None:
        raise ValueError("A Variable needs an `initializer` (or an initial value).")
    if shape is None:
        raise ValueError(
            "When creating a Variable from an initializer, `shape` is required. "
            f"Received: initializer={initializer!r}, shape=None"
        )
    shape = tuple(int(s) for s in shape)
    tdtype = torch_dtype(dtype)
    init = initializers.get(initializer)
    with torch.no_grad():
        if isinstance(init, initializers.Initializer):
            value = init(shape, dtype=tdtype)
        else:
            value = init(shape, tdtype)

    return torch.as_tensor(value, dtype=tdtype).reshape(shape).clone().to(get_device())
