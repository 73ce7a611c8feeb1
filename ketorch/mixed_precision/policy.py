"""Dtype policies: the dtype a layer stores its weights in and the one it computes in.

A policy named ``"mixed_float16"`` or ``"mixed_bfloat16"`` keeps the weights in
float32 and runs the layer's computation under :func:`torch.autocast` in the
lower precision; any other name (``"float32"``, ``"float64"``, ...) uses that
dtype for both.

The global policy is what layers created without ``dtype=`` use. It starts as
``"float32"``, or as the value of the ``KETORCH_DTYPE_POLICY`` environment
variable when that is set (handy to run an unchanged script in mixed
precision).

Example:
    >>> from ketorch import mixed_precision
    >>> mixed_precision.set_global_policy("mixed_bfloat16")
    >>> mixed_precision.global_policy()
    <DTypePolicy "mixed_bfloat16">
    >>> mixed_precision.global_policy().compute_dtype
    'bfloat16'
    >>> mixed_precision.set_global_policy("float32")
"""

from __future__ import annotations

import os

from .. import backend

__all__ = [
    "DTypePolicy",
    "Policy",
    "dtype_policy",
    "get",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_FLOATS = ("float16", "bfloat16", "float32", "float64")


def _parse(name):
    if not isinstance(name, str):
        raise TypeError(
            "A dtype policy name must be a string such as 'mixed_float16'. "
            f"Received: name={name!r} (of type {type(name).__name__})"
        )
    if name in _MIXED:
        return _MIXED[name], "float32"
    try:
        dtype = backend.standardize_dtype(name)
    except ValueError:
        dtype = None
    if dtype is None or dtype.startswith("mixed_"):
        raise ValueError(
            "Cannot turn this name into a dtype policy. Valid policies are 'mixed_float16', "
            f"'mixed_bfloat16' and dtype names such as 'float32'. Received: name={name!r}"
        )
    return dtype, dtype


class DTypePolicy:
    """The compute and variable dtypes of a layer.

    Args:
        name: ``"mixed_float16"``, ``"mixed_bfloat16"`` or a dtype name such
            as ``"float32"``. ``None`` means the current global policy.

    Raises:
        TypeError: If ``name`` is not a string.
        ValueError: If ``name`` is not a policy name.

    Example:
        >>> policy = DTypePolicy("mixed_float16")
        >>> policy.compute_dtype, policy.variable_dtype
        ('float16', 'float32')
    """

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = global_policy().name
        self._compute_dtype, self._variable_dtype = _parse(name)
        self._name = name

    @property
    def name(self) -> str:
        """The policy's name, e.g. ``"mixed_float16"``."""
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in (``"float16"`` for ``mixed_float16``)."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype the layer's weights are stored in (float32 for mixed policies)."""
        return self._variable_dtype

    @property
    def is_mixed(self) -> bool:
        """Whether compute and variable dtypes differ."""
        return self._compute_dtype != self._variable_dtype

    @property
    def quantization_mode(self) -> str | None:
        """The quantization mode (``"int8"``, ...) of a quantized policy, else ``None``."""
        return getattr(self, "_quantization_mode", None)

    def get_config(self) -> dict:
        """``{"name": name}``."""
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict) -> DTypePolicy:
        """Rebuild a policy from :meth:`get_config` output."""
        return cls(**config)

    def __eq__(self, other) -> bool:
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<{type(self).__name__} "{self._name}">'


Policy = DTypePolicy  # the Keras 2 name, still exported by Keras 3

_GLOBAL: DTypePolicy | None = None


def get(identifier) -> DTypePolicy:
    """A :class:`DTypePolicy` from a name, a policy, a serialized dict or ``None`` (global).

    Raises:
        ValueError: If ``identifier`` cannot be read as a policy.
    """
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return DTypePolicy(identifier.get("config", identifier).get("name", "float32"))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    return DTypePolicy(backend.standardize_dtype(identifier))


def set_global_policy(policy) -> None:
    """Set the policy of layers created from now on without ``dtype=``.

    Args:
        policy: A policy name (``"mixed_float16"``, ``"mixed_bfloat16"``,
            ``"float32"``, ...) or a :class:`DTypePolicy`; ``None`` resets to
            ``"float32"``.

    Raises:
        ValueError: If ``policy`` is not a policy name or a DTypePolicy.
    """
    global _GLOBAL
    if policy is None:
        _GLOBAL = DTypePolicy("float32")
        return
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(
            "`policy` must be a policy name such as 'mixed_float16' or a DTypePolicy. "
            f"Received: policy={policy!r} (of type {type(policy).__name__})"
        )
    if policy.compute_dtype not in _FLOATS:
        raise ValueError(
            f"The global policy must compute in a float dtype. Received: policy={policy.name!r}"
        )
    _GLOBAL = policy


def global_policy() -> DTypePolicy:
    """The current global :class:`DTypePolicy` (``"float32"`` unless set)."""
    global _GLOBAL
    if _GLOBAL is None:
        _GLOBAL = DTypePolicy(os.environ.get("KETORCH_DTYPE_POLICY") or "float32")
    return _GLOBAL


set_dtype_policy = set_global_policy  # keras.config.set_dtype_policy
dtype_policy = global_policy  # keras.config.dtype_policy


def resolve_layer_dtype(dtype) -> str:
    """The policy or dtype name a layer stores for its ``dtype=`` argument."""
    if dtype is None:
        return global_policy().name
    if isinstance(dtype, DTypePolicy):
        return dtype.name
    return backend.standardize_dtype(dtype)
