"""The ``Metric`` base class: streaming state kept in device tensors.

State lives in :class:`MetricVariable` tensors created by
:meth:`Metric.add_variable`. ``update_state`` changes them in place with torch
ops only (inside ``torch.no_grad``), and ``result`` returns a 0-d tensor, so a
training loop reads metric values back to the host only when it chooses to.

Example:
    >>> import torch
    >>> class Count(Metric):
    ...     def __init__(self, name="count", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.n = self.add_variable(shape=(), name="n")
    ...     def update_state(self, values, sample_weight=None):
    ...         self.n.assign_add(torch.as_tensor(values).numel())
    ...     def result(self):
    ...         return self.n.clone()
    >>> m = Count()
    >>> m(torch.ones(3))
    tensor(3.)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

from ketorch.losses.loss import snake_case, standardize_dtype

__all__ = ["Metric", "MetricVariable"]


class MetricVariable(torch.Tensor):
    """A state tensor with Keras-style ``assign``/``assign_add``/``assign_sub``.

    Operations on it return plain tensors; the ``assign*`` methods update it in
    place (without autograd history) and accept tensors, arrays or numbers.
    """

    __torch_function__ = torch._C._disabled_torch_function_impl

    def __new__(cls, data: torch.Tensor, name: str = "variable") -> MetricVariable:
        var = torch.Tensor._make_subclass(cls, data, False)
        var._var_name = name
        return var

    @property
    def name(self) -> str:
        """The variable's name, e.g. ``"total"``."""
        return self._var_name

    @property
    def path(self) -> str:
        """``"<metric name>/<variable name>"``, as Keras names metric variables."""
        owner = getattr(self, "_var_owner", None)
        return f"{owner}/{self._var_name}" if owner else self._var_name

    @property
    def trainable(self) -> bool:
        """Metric state is never trained."""
        return False

    @property
    def value(self) -> torch.Tensor:
        """The current value (this tensor)."""
        return self

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return value.detach().to(device=self.device, dtype=self.dtype)
        return value

    def assign(self, value: Any) -> MetricVariable:
        """Sets the value in place (broadcasting ``value``)."""
        value = self._coerce(value)
        with torch.no_grad():
            if isinstance(value, torch.Tensor):
                self.copy_(value)
            elif isinstance(value, (int, float, bool)):
                self.fill_(value)  # a scalar kernel argument: no host-to-device copy
            else:
                self.copy_(torch.as_tensor(np.asarray(value), dtype=self.dtype))
        return self

    def assign_add(self, value: Any) -> MetricVariable:
        """Adds ``value`` in place."""
        with torch.no_grad():
            self.add_(self._coerce(value))
        return self

    def assign_sub(self, value: Any) -> MetricVariable:
        """Subtracts ``value`` in place."""
        with torch.no_grad():
            self.sub_(self._coerce(value))
        return self

    def numpy(self) -> np.ndarray:
        """Copies the value to a NumPy array (a host sync)."""
        return self.detach().cpu().numpy()

    def __deepcopy__(self, memo: dict) -> MetricVariable:
        if id(self) not in memo:
            memo[id(self)] = _rebuild_variable(
                self.detach().clone(),
                self._var_name,
                getattr(self, "_initial", None),
                getattr(self, "_var_owner", None),
            )
        return memo[id(self)]

    def __reduce_ex__(self, proto):
        initial = getattr(self, "_initial", None)
        owner = getattr(self, "_var_owner", None)
        return (_rebuild_variable, (self.detach().clone(), self._var_name, initial, owner))


def _rebuild_variable(
    data: torch.Tensor, name: str, initial: torch.Tensor | None, owner: str | None = None
):
    var = MetricVariable(data, name)
    var._initial = data.clone() * 0 if initial is None else initial.clone()
    var._var_owner = owner
    return var


def _input_device(args: tuple, kwargs: dict) -> torch.device | None:
    # An accelerator tensor wins over CPU ones (e.g. CPU labels with GPU predictions).
    found = None
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.Tensor):
            if value.device.type != "cpu":
                return value.device
            found = value.device
    return found


def _wrap_update(fn):
    @functools.wraps(fn)
    def update_state(self, *args, **kwargs):
        device = _input_device(args, kwargs)
        if device is not None and device != self._device:
            self.to(device)
        with torch.no_grad():
            return fn(self, *args, **kwargs)

    update_state._ketorch_wrapped = True
    return update_state


class Metric:
    """Base class of streaming metrics.

    Subclasses create state with :meth:`add_variable` in ``__init__`` and
    implement ``update_state(y_true, y_pred, sample_weight=None)`` and
    ``result()``. Every ``update_state`` runs under ``torch.no_grad`` and first
    moves the state to the device of its tensor arguments (an accelerator
    device wins over the CPU).

    Args:
        name: Name of the metric (its key in training logs); defaults to the
            snake_case class name.
        dtype: Dtype of the state and result; defaults to ``"float32"``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        update = cls.__dict__.get("update_state")
        if update is not None and not getattr(update, "_ketorch_wrapped", False):
            cls.update_state = _wrap_update(update)

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or snake_case(type(self).__name__)
        self._dtype = standardize_dtype(dtype)
        self._variables: list[MetricVariable] = []
        self._metrics: list[Metric] = []
        self._device = torch.device("cpu")

    @property
    def dtype(self) -> str:
        """Name of the state dtype, e.g. ``"float32"``."""
        return self._dtype

    @property
    def torch_dtype(self) -> torch.dtype:
        """The state dtype as a ``torch.dtype``."""
        return getattr(torch, self._dtype)

    @property
    def device(self) -> torch.device:
        """The device holding the state."""
        return self._device

    def add_variable(
        self,
        shape: Any = (),
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> MetricVariable:
        """Creates a state tensor on the metric's device.

        Args:
            shape: Shape of the state.
            initializer: ``"zeros"``, ``"ones"``, a number, or a callable ``(shape, dtype)``.
            dtype: Dtype; defaults to the metric's dtype.
            aggregation: Accepted for Keras compatibility (states are summed across replicas).
            name: Name of the variable.

        Returns:
            The new :class:`MetricVariable`.
        """
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before add_variable()."
            )
        torch_dtype = getattr(torch, standardize_dtype(dtype or self._dtype))
        shape = tuple(shape) if shape is not None else ()
        if initializer in (None, "zeros", "Zeros"):
            data = torch.zeros(shape, dtype=torch_dtype, device=self._device)
        elif initializer in ("ones", "Ones"):
            data = torch.ones(shape, dtype=torch_dtype, device=self._device)
        elif isinstance(initializer, (int, float)):
            data = torch.full(shape, initializer, dtype=torch_dtype, device=self._device)
        else:
            data = torch.as_tensor(initializer(shape, dtype=torch_dtype), dtype=torch_dtype)
            data = data.to(self._device)
        var = MetricVariable(data, name or f"variable_{len(self._variables)}")
        var._var_owner = getattr(self, "name", None)
        var._initial = data.detach().clone()
        self._variables.append(var)
        return var

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None, name=None):
        """Alias of :meth:`add_variable`."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list[MetricVariable]:
        """All state tensors, including those of nested metrics."""
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        return out

    def to(self, device: Any) -> Metric:
        """Moves every state tensor to ``device`` (the objects stay the same)."""
        device = torch.device(device)
        for i, var in enumerate(self._variables):
            initial = var._initial.to(device)
            try:
                var.data = var.data.to(device)  # keeps the object others may hold
            except RuntimeError:  # storage kinds that cannot swap in place (e.g. meta)
                new = MetricVariable(var.detach().to(device), var.name)
                for key, value in list(vars(self).items()):
                    if value is var:
                        object.__setattr__(self, key, new)
                self._variables[i], var = new, new
            var._initial = initial
        for metric in self._metrics:
            metric.to(device)
        self._device = device
        return self

    def reset_state(self) -> None:
        """Returns every state tensor to its initial value (in place, no sync)."""
        with torch.no_grad():
            for var in self._variables:
                var.copy_(var._initial)
        for metric in self._metrics:
            metric.reset_state()

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulates statistics from one batch; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`.")

    def result(self) -> torch.Tensor:
        """Returns the current value as a tensor; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement `result`.")

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Updates the state with one batch and returns the new result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        """Returns the constructor arguments as a JSON-safe dict."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        """Rebuilds a metric from :meth:`get_config` output."""
        return cls(**config)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Metric) and name != "_metrics" and hasattr(self, "_metrics"):
            if value not in self._metrics:
                self._metrics.append(value)
        super().__setattr__(name, value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
