"""Rematerialization (gradient checkpointing): ``keras.remat`` and ``keras.RematScope``.

A rematerialized computation keeps only its inputs for the backward pass and runs again to
get its intermediate activations back, trading compute for memory. It is built on
``torch.utils.checkpoint.checkpoint`` (non-reentrant), with the RNG state restored so that
dropout draws the same masks. The recomputation runs in the training mode of the original call,
and the state updates and ``add_loss`` values it makes again are discarded, so moving statistics
move once per step.

Layers created inside a :class:`RematScope` are rematerialized according to its mode whenever
they are called; layers created outside are untouched and pay nothing.

Example:
    >>> import torch
    >>> import ketorch as keras
    >>> with keras.RematScope(mode="full"):
    ...     layer = keras.layers.Dense(3, activation="relu")
    >>> x = torch.ones(2, 4, requires_grad=True)
    >>> layer(x).sum().backward()
    >>> x.grad.shape
    torch.Size([2, 4])
    >>> f = keras.remat(lambda t: torch.sin(t) * 2)
    >>> f(torch.zeros(2)).tolist()
    [0.0, 0.0]
"""

from __future__ import annotations

import functools
import math
import threading
from collections import namedtuple

import torch
import torch.utils.checkpoint

from ..layers import shape_inference
from ..layers.node import KerasTensor, flatten, map_structure
from ._core import PER_THREAD

RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_LOCAL = threading.local()


class _State:
    """``open_scopes``: scopes open in any thread; ``Layer.__init__`` looks further only when
    it is non-zero."""

    open_scopes = 0
    lock = threading.Lock()


STATE = _State()


def _stack() -> list:
    stack = getattr(_LOCAL, "stack", None)
    if stack is None:
        stack = _LOCAL.stack = []
    return stack


class RematScope:
    """Rematerialize the layers created inside this scope.

    Args:
        mode: Which layers' calls are rematerialized:
            ``"full"`` every layer's; ``"activations"`` only the activation function of
            layers that have an ``activation``; ``"larger_than"`` layers whose output has
            more than ``output_size_threshold`` elements (counted per call);
            ``"list_of_layers"`` layers named in ``layer_names``; ``None`` none (an inner
            scope can switch rematerialization off).
        output_size_threshold: The size threshold of ``"larger_than"`` mode.
        layer_names: The layer names of ``"list_of_layers"`` mode.

    Raises:
        ValueError: For an unknown ``mode``.

    Example:
        >>> import ketorch as keras
        >>> with keras.RematScope(mode="list_of_layers", layer_names=["big"]):
        ...     big = keras.layers.Dense(8, name="big")
        ...     small = keras.layers.Dense(8, name="small")
        >>> big._remat_mode.mode, big._remat_mode.layer_names
        ('list_of_layers', ['big'])
    """

    def __init__(self, mode="full", output_size_threshold: int = 1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or None."
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])
        self._pushed = False

    def __enter__(self):
        _stack().append(self)
        self._pushed = True
        with STATE.lock:
            STATE.open_scopes += 1
        return self

    def __exit__(self, *exc):
        if self._pushed:
            _stack().pop()
            self._pushed = False
            with STATE.lock:
                STATE.open_scopes -= 1
        return False


def get_current_remat_mode() -> RematMode | None:
    """The innermost open :class:`RematScope`'s settings in this thread, or ``None``."""
    stack = _stack()
    if not stack:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """Wrap ``f`` so that its activations are recomputed in the backward pass.

    Args:
        f: A callable on tensors (a function or a layer).

    Returns:
        A callable with ``f``'s results and gradients that keeps only its inputs for the
        backward pass and calls ``f`` again then.
    """

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        ctx = PER_THREAD.ctx
        training = ctx.training
        runs = [0]

        def run(*a, **k):
            runs[0] += 1
            if runs[0] == 1:
                return f(*a, **k)
            # The backward pass's recomputation: the forward call's training mode, and its
            # state updates and losses (already made once) go nowhere.
            saved = (ctx.training, ctx.state_updates, ctx.losses)
            ctx.training, ctx.state_updates, ctx.losses = training, [], []
            try:
                return f(*a, **k)
            finally:
                ctx.training, ctx.state_updates, ctx.losses = saved

        return torch.utils.checkpoint.checkpoint(run, *args, use_reentrant=False, **kwargs)

    return wrapped


def attach(layer) -> None:
    """Give ``layer`` (being constructed) the open scope's mode; called by ``Layer.__init__``
    only while a scope is open."""
    mode = get_current_remat_mode()
    if mode is None:
        return
    object.__setattr__(layer, "_remat_mode", mode)
    if mode.mode is not None:
        # An instance `forward`: Layer.__call__ and nn.Module.__call__ reach the layer's
        # computation through it, so the call path itself needs no check.
        object.__setattr__(layer, "forward", _RematForward(layer))


class _RematForward:
    """A layer's ``forward`` under its remat mode."""

    def __init__(self, layer):
        self.layer = layer

    def __reduce__(self):
        return (_RematForward, (self.layer,))

    def __call__(self, *args, **kwargs):
        layer = self.layer
        plain = type(layer).forward.__get__(layer)
        mode = layer._remat_mode

        if shape_inference.inferring() or not torch.is_grad_enabled():
            return plain(*args, **kwargs)
        if mode.mode == "full":
            return remat(plain)(*args, **kwargs)
        if mode.mode == "list_of_layers":
            if layer.name in mode.layer_names:
                return remat(plain)(*args, **kwargs)
            return plain(*args, **kwargs)
        if mode.mode == "larger_than":
            if _output_size(layer, args, kwargs) > mode.output_size_threshold:
                return remat(plain)(*args, **kwargs)
            return plain(*args, **kwargs)
        if mode.mode == "activations" and getattr(layer, "activation", None) is not None:
            return _with_remat_activation(layer, plain, args, kwargs)
        return plain(*args, **kwargs)


def _output_size(layer, args, kwargs) -> int:

    def spec(x):
        if isinstance(x, torch.Tensor):
            return KerasTensor(tuple(x.shape), str(x.dtype).replace("torch.", ""))
        return x

    out = layer.compute_output_spec(*map_structure(spec, list(args)), **map_structure(spec, kwargs))
    return sum(
        math.prod(d or 1 for d in t.shape) for t in flatten(out) if isinstance(t, KerasTensor)
    )


def _with_remat_activation(layer, plain, args, kwargs):
    original = layer.activation
    own = "activation" in layer.__dict__
    object.__setattr__(layer, "activation", remat(original))
    try:
        return plain(*args, **kwargs)
    finally:
        if own:
            object.__setattr__(layer, "activation", original)
        else:
            del layer.__dict__["activation"]
