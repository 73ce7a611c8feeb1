"""Activation functions, resolvable from the string names Keras uses.

Every function takes and returns a ``torch.Tensor`` and is built from fused
``torch.nn.functional`` kernels.

Example:
    >>> import torch
    >>> from ketorch import activations
    >>> activations.get("relu")(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .saving import object_registration as reg

__all__ = ["get", "serialize", "deserialize"]


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras's optional slope, cap and threshold."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    if threshold != 0.0:
        out = torch.where(x > threshold, x, negative_slope * (x - threshold))
    elif negative_slope != 0.0:
        out = F.leaky_relu(x, negative_slope)
    else:
        out = F.relu(x)
    if max_value is not None:
        out = torch.clamp(out, max=max_value)
    return out


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return F.leaky_relu(x, negative_slope)


def relu6(x):
    """ReLU capped at 6."""
    return F.relu6(x)


def softmax(x, axis=-1):
    """Softmax over ``axis``."""
    return torch.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    """Log of the softmax over ``axis``."""
    return torch.log_softmax(x, dim=axis)


def elu(x, alpha=1.0):
    """Exponential linear unit."""
    return F.elu(x, alpha)


def selu(x):
    """Scaled exponential linear unit (self-normalising)."""
    return F.selu(x)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU."""
    return F.celu(x, alpha)


def softplus(x):
    """``log(exp(x) + 1)``."""
    return F.softplus(x)


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return F.softsign(x)


def silu(x):
    """Swish / SiLU: ``x * sigmoid(x)``."""
    return F.silu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit (exact erf form by default, as Keras)."""
    return F.gelu(x, approximate="tanh" if approximate else "none")


def tanh(x):
    """Hyperbolic tangent."""
    return torch.tanh(x)


def sigmoid(x):
    """Logistic sigmoid."""
    return torch.sigmoid(x)


# In-place forms, for a layer's fresh output when no gradient is recorded (predict):
# they save an activation-sized allocation, which at large batches cost more in page
# faults than the kernel (cnn predict at batch 256 ran 40 % slower without them).
INPLACE = {relu: torch.relu_, tanh: torch.tanh_, sigmoid: torch.sigmoid_}


def apply_to_fresh(activation, x):
    """``activation(x)`` for a tensor ``x`` that nothing else refers to (a layer's
    own kernel output): in place when autograd is off and an in-place form exists."""
    if not torch.is_grad_enabled() and not torch.jit.is_tracing():  # a trace must not differ
        inplace = INPLACE.get(activation)
        if inplace is not None:
            return inplace(x)
    return activation(x)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: ``relu6(x + 3) / 6``.

    Keras 2 computed ``clip(0.2 * x + 0.5, 0, 1)``; use :func:`hard_sigmoid_keras2`
    for that form.
    """
    return F.hardsigmoid(x)


def hard_sigmoid_keras2(x):
    """Keras 2's hard sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``."""
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    return F.hardswish(x)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return F.hardtanh(x)


def exponential(x):
    """``exp(x)``."""
    return torch.exp(x)


def linear(x):
    """Identity: returns ``x`` unchanged."""
    return x


def mish(x):
    """``x * tanh(softplus(x))``."""
    return F.mish(x)


def log_sigmoid(x):
    """``log(sigmoid(x))``."""
    return F.logsigmoid(x)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return F.tanhshrink(x)


def soft_shrink(x, threshold=0.5):
    """Soft shrinkage."""
    return F.softshrink(x, threshold)


def hard_shrink(x, threshold=0.5):
    """Hard shrinkage."""
    return F.hardshrink(x, threshold)


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    return (x + torch.sqrt(x * x + b)) / 2


def sparse_plus(x):
    """0 below -1, ``(x + 1)**2 / 4`` in [-1, 1], ``x`` above 1."""
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4))


def glu(x, axis=-1):
    """Gated linear unit over ``axis``."""
    return F.glu(x, dim=axis)


def sparse_sigmoid(x):
    """Piecewise-linear sigmoid: 0 below -1, 1 above 1, ``(x + 1) / 2`` between."""
    return torch.clamp((x + 1.0) * 0.5, 0.0, 1.0)


def sparsemax(x, axis=-1):
    """Sparsemax over ``axis``: the projection of ``x`` onto the probability simplex."""
    from .ops import nn as ops_nn  # ops imports layers, which import this module

    return ops_nn.sparsemax(x, axis=axis)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return torch.where(x > threshold, x, torch.as_tensor(default_value, dtype=x.dtype))


swish, hard_swish = silu, hard_silu


_ALL = {
    f.__name__: f
    for f in (
        relu, leaky_relu, relu6, softmax, log_softmax, elu, selu, celu, softplus, softsign,
        silu, gelu, tanh, sigmoid, hard_sigmoid, hard_silu, hard_tanh, exponential, linear,
        mish, log_sigmoid, tanh_shrink, soft_shrink, hard_shrink, squareplus, sparse_plus, glu,
        sparse_sigmoid, sparsemax, threshold,
    )
}  # fmt: skip
_ALIASES = {"swish": silu, "hard_swish": hard_silu}
_NAMES = {id(f): n for n, f in _ALL.items()}


def get(identifier: str | Callable | None) -> Callable:
    """Resolve an activation given by name, callable or ``None``.

    Args:
        identifier: A name such as ``"relu"`` (any Keras built-in name), a
            callable, a serialized dict, or ``None`` (meaning ``linear``).

    Returns:
        The activation function.

    Raises:
        ValueError: If the name is unknown.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        identifier = identifier.get("config", identifier.get("class_name"))
    if isinstance(identifier, str):
        fn = (
            _custom_exact(identifier)
            or _ALL.get(identifier)
            or _ALIASES.get(identifier)
            or _registered(identifier)
        )
        if fn is None:
            names = ", ".join(sorted([*_ALL, *_ALIASES]))
            raise ValueError(
                f"Unknown activation function '{identifier}'. Valid names are: {names}. "
                f"Received: activation={identifier!r}"
            )
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(
        "Could not interpret activation identifier: expected a string, a callable or None. "
        f"Received: activation={identifier!r}"
    )


def _custom_exact(name: str):
    """A function given under exactly this name in ``custom_objects``, a custom-object scope
    or ``get_custom_objects()``: as in Keras 2, it wins over a built-in of the same name
    (keras-bert saves its tanh-approximated ``gelu`` under the built-in's name)."""

    fn = reg.scoped_objects().get(name)
    return fn if callable(fn) and not isinstance(fn, type) else None


def _registered(name: str):
    """A function registered with ``register_keras_serializable`` or in a custom-object scope
    (``"package>name"`` or the plain ``name``)."""
    from .saving import object_registration as reg  # saving imports layers, which import us

    fn = reg.get_registered_object(name)
    if fn is None and ">" not in name:
        matches = [v for k, v in reg.scoped_objects().items() if k.split(">")[-1] == name]
        fn = matches[0] if len(matches) == 1 else None
    return fn if callable(fn) else None


def serialize(activation: Callable) -> str | dict:
    """Return the Keras name of a built-in activation, or a config for others."""
    name = _NAMES.get(id(activation))
    if name is not None:
        return name

    key = reg.get_registered_name(activation)
    if ">" in key and reg.get_custom_objects().get(key) is activation:
        # Keras's form for a registered function
        return {"module": "builtins", "class_name": "function", "config": key,
                "registered_name": "function"}  # fmt: skip
    if hasattr(activation, "get_config"):
        return {
            "module": type(activation).__module__,
            "class_name": type(activation).__name__,
            "config": activation.get_config(),
            "registered_name": None,
        }
    return getattr(activation, "__name__", repr(activation))


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`."""
    if isinstance(config, str) and custom_objects and config in custom_objects:
        return custom_objects[config]
    return get(config)
