"""``keras.StatelessScope``: run code against given variable values, without changing variables.

Inside the scope every torch op that receives a mapped :class:`~ketorch.Variable` receives its
mapped value instead (a torch function mode does the substitution, so layer code that reads its
weights as plain attributes needs no change), and state writes (``assign``, moving statistics)
are recorded in the scope instead of being applied. Gradients flow to the mapped values.

Example:
    >>> import torch
    >>> import ketorch as keras
    >>> v = keras.Variable(torch.ones(2))
    >>> with keras.StatelessScope([(v, torch.full((2,), 3.0))]) as scope:
    ...     doubled = v * 2
    ...     _ = v.assign(doubled)
    >>> doubled.tolist(), v.numpy().tolist(), scope.get_current_value(v).tolist()
    ([6.0, 6.0], [1.0, 1.0], [6.0, 6.0])
"""

from __future__ import annotations

import threading

import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree

from ._core import PER_THREAD, to_tensor
from ._variable import Variable

_LOCAL = threading.local()


class StatelessScope:
    """A scope in which variables read mapped values and are never updated in place.

    Args:
        state_mapping: Pairs ``(variable, value)``; inside the scope ``variable`` reads as
            ``value`` (cast to the variable's dtype, same shape).
        collect_losses: Whether ``add_loss()`` values from layer calls inside the scope are
            collected in ``scope.losses`` (otherwise they are dropped, as in Keras).
        initialize_variables: Accepted for Keras compatibility; ketorch variables are always
            initialized when they are created.

    Raises:
        ValueError: If a key is not a ``Variable`` or a value's shape differs from its
            variable's.
    """

    def __init__(self, state_mapping=None, collect_losses: bool = False, initialize_variables=True):
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses: list = []
        self.state_mapping: dict[int, torch.Tensor] = {}
        for variable, value in state_mapping or ():
            if not isinstance(variable, torch.nn.Parameter):
                raise ValueError(
                    "Invalid reference variable in StatelessScope: all keys in argument "
                    f"`mapping` must be Variable instances. Received instead: {variable!r}"
                )
            value = _as_value(value, variable)
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    "Invalid variable value in StatelessScope: all values in argument "
                    "`mapping` must be tensors with a shape that matches the corresponding "
                    f"variable shape. For variable {_path(variable)}, received a value with "
                    f"shape {tuple(value.shape)}."
                )
            self.state_mapping[id(variable)] = value
        self._keep = [v for v, _ in state_mapping or ()]  # ids stay valid while the scope lives

    def __enter__(self):
        ctx = PER_THREAD.ctx
        self._outer = getattr(_LOCAL, "scope", None)
        self._saved = (ctx.state_updates, ctx.losses)
        _LOCAL.scope = self
        ctx.state_updates = _UpdateCollector(self)
        ctx.losses = self.losses if self.collect_losses else []
        self._mode = None
        if self._outer is None:  # one substituting mode, consulting the innermost scope
            self._mode = _Substitute()
            self._mode.__enter__()
        return self

    def __exit__(self, *exc):
        if self._mode is not None:
            self._mode.__exit__(*exc)
        ctx = PER_THREAD.ctx
        ctx.state_updates, ctx.losses = self._saved
        _LOCAL.scope = self._outer
        return False

    def add_loss(self, loss) -> None:
        """Record a loss term in :attr:`losses`."""
        self.losses.append(loss)

    def add_update(self, update) -> None:
        """Record ``(variable, new_value)``: later reads in the scope see ``new_value``."""
        variable, value = update
        self.state_mapping[id(variable)] = value
        self._keep.append(variable)

    def get_current_value(self, variable):
        """The value ``variable`` has in this scope (mapped or updated), or ``None``."""
        return self.state_mapping.get(id(variable))


def in_stateless_scope() -> bool:
    """Whether a :class:`StatelessScope` is open in this thread."""
    return getattr(_LOCAL, "scope", None) is not None


def get_stateless_scope():
    """The innermost open :class:`StatelessScope` of this thread, or ``None``."""
    return getattr(_LOCAL, "scope", None)


class _UpdateCollector(list):
    """Stands in for the call context's deferred state updates: ``assign_state`` appends
    ``(variable, value)`` pairs, which become the scope's current values."""

    def __init__(self, scope):
        super().__init__()
        self._scope = scope

    def append(self, item):
        self._scope.add_update(item)


class _Substitute(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        scope = getattr(_LOCAL, "scope", None)
        if scope is not None and scope.state_mapping:
            mapping = scope.state_mapping

            def swap(x):
                if isinstance(x, torch.nn.Parameter):
                    return mapping.get(id(x), x)
                return x

            args, kwargs = _pytree.tree_map(swap, (args, kwargs))
        return func(*args, **kwargs)


def _as_value(value, variable) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.dtype != variable.dtype or value.device != variable.device:
            value = value.to(device=variable.device, dtype=variable.dtype)
        return value

    return to_tensor(value, dtype=variable.dtype, device=variable.device)


def _path(variable) -> str:
    return variable.path if isinstance(variable, Variable) else repr(variable)


def stateless_call(layer, trainable_variables, non_trainable_variables, args, kwargs, losses):
    """``layer.stateless_call``: see :meth:`ketorch.layers.Layer.stateless_call`."""
    name = type(layer).__name__
    if not layer.built:
        raise ValueError(
            f"To call stateless_call, {name} must be built (i.e. its variables must have been "
            "already created). You can build it by calling it on some data."
        )
    own_trainable = layer.trainable_variables
    own_non_trainable = layer.non_trainable_variables
    for what, given, own in (
        ("trainable_variables", trainable_variables, own_trainable),
        ("non_trainable_variables", non_trainable_variables, own_non_trainable),
    ):
        if len(given) != len(own):
            raise ValueError(
                f"Argument `{what}` must be a list of tensors corresponding 1:1 to "
                f"{name}().{what}. Received list with length {len(given)}, but expected "
                f"{len(own)} variables."
            )
    mapping = list(zip(own_trainable, trainable_variables))
    mapping += list(zip(own_non_trainable, non_trainable_variables))
    with StatelessScope(state_mapping=mapping, collect_losses=losses) as scope:
        outputs = layer(*args, **kwargs)
    new_state = [scope.get_current_value(v) for v in own_non_trainable]
    if losses:
        return outputs, new_state, scope.losses
    return outputs, new_state
