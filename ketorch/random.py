"""``keras.random``: random tensors from integer seeds or stateful :class:`SeedGenerator`\\ s.

Every draw makes a ``torch.Generator`` seeded from the ``seed`` argument, derived as Keras's
torch backend derives it, so a seeded call gives the same numbers as Keras on torch:

- ``seed=42`` (an int): the generator seed is ``42 mod 2**32``; every call with the same int
  gives the same values.
- ``seed=SeedGenerator(...)``: the generator's 2-element int32 state ``[s, n]`` gives the
  seed ``s + n`` and the counter ``n`` then advances, so successive calls differ while the
  whole sequence repeats from the same initial seed.
- ``seed=None``: a global :class:`SeedGenerator` (created from Python's ``random`` module, and
  reset by :func:`ketorch.utils.set_random_seed`) is drawn from.

Example:

>>> from ketorch import random
>>> a = random.normal((2,), seed=7)
>>> bool((a == random.normal((2,), seed=7)).all())
True
>>> gen = random.SeedGenerator(1337)
>>> bool((random.uniform((2,), seed=gen) == random.uniform((2,), seed=gen)).all())
False
"""

from __future__ import annotations

import copy
import math
import numbers
import random as _py_random

import numpy as np
import torch
import torch.nn.functional as F

from . import config
from .backend import get_device, to_snake_case, unique_name
from .backend._variable import Variable, name_scope
from .layers.node import KerasTensor
from .ops import _dtypes
from .ops._common import canonical_axis, to_tensor

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

_UINT32 = 0xFFFFFFFF


def _as_int32(value: int) -> int:
    """``value``'s low 32 bits read as a signed int32 (Keras's seed bit-cast)."""
    return ((value & _UINT32) ^ 0x80000000) - 0x80000000


def _scramble(value: int) -> int:
    """The unordered state update ``(v + 1) * 5387 % 933199`` in int32 arithmetic."""
    return _as_int32(_as_int32(value + 1) * 5387) % 933199


def make_default_seed() -> int:
    """A seed from Python's ``random`` module (what unseeded generators start from)."""
    return _py_random.randint(1, int(1e9))


class SeedGenerator:
    """A stateful source of seeds for the random functions.

    Integer seeds make every call return the same values; pass a ``SeedGenerator`` instead to
    get new values on each call (e.g. a new noise sample each training step) that still
    repeat run after run. Its state is a non-trainable int32 :class:`ketorch.Variable` of
    shape ``(2,)`` -- ``[seed, counter]``, Keras's layout -- at :attr:`state`.

    Args:
        seed: Initial integer seed; ``None`` draws one from Python's ``random`` module.
        name: Optional name (``"seed_generator"``, ``"seed_generator_1"``, ... by default).

    Example:

    >>> import ketorch as keras
    >>> class Noise(keras.layers.Layer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.seed_generator = keras.random.SeedGenerator(1337)
    ...     def call(self, x):
    ...         return x + keras.random.normal(keras.ops.shape(x), seed=self.seed_generator)
    >>> Noise().seed_generator.state.tolist()
    [1337, 0]
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)  # Keras accepts a custom backend module
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name if name is not None else unique_name(to_snake_case("SeedGenerator"))
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(
                f"Argument `seed` must be an integer. Received: seed={seed!r} "
                f"(of type {type(seed).__name__})"
            )
        self.state = _new_state([_as_int32(int(seed)), 0], self.name)

    def next(self, ordered=True):
        """Return a copy of the current state and advance it.

        Args:
            ordered: ``True`` increments the counter; ``False`` scrambles both entries (what
                the global generator does).

        Returns:
            An int32 tensor of shape ``(2,)``.
        """
        value = self.state.detach().clone()
        self._advance(ordered)
        return value

    def _draw(self, ordered=True) -> int:
        """The torch generator seed for the current state; advances the state."""
        state = self.state
        if not state.is_cpu:
            first, second = state.tolist()
            self._advance(ordered)
            return (first + second) & _UINT32
        # On the host: read and write through a NumPy view (a few torch ops would cost
        # ~20 us per draw), with the same int32 arithmetic as the tensor ops.
        view = state.detach().numpy()
        first, second = view.tolist()
        if ordered:
            view[1] = _as_int32(second + 1)
        else:
            view[0], view[1] = _scramble(first), _scramble(second)
        return (first + second) & _UINT32

    def _advance(self, ordered):
        with torch.no_grad():
            if ordered:
                self.state[1:].add_(1)
            else:  # a sequence of near-unique states in [0, 933199), in int32 arithmetic
                self.state.copy_((self.state + 1) * 5387 % 933199)

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __deepcopy__(self, memo):
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key != "state":
                new.__dict__[key] = copy.deepcopy(value, memo)
        new.state = _new_state(self.state.tolist(), self.name)
        new.state.__dict__.update(self.state.__dict__)
        memo[id(self.state)] = new.state
        return new

    def __repr__(self):
        return f"<SeedGenerator name={self.name}, state={self.state.tolist()}>"


def _new_state(values, scope) -> Variable:
    # Never an inference tensor (a generator made inside predict() must advance later).
    with torch.inference_mode(False), torch.no_grad(), name_scope(scope):
        return Variable(
            torch.tensor(values, dtype=torch.int32), trainable=False, name="seed_generator_state"
        )


_GLOBAL_SEED_GENERATOR: SeedGenerator | None = None


def global_seed_generator() -> SeedGenerator:
    """The generator behind ``seed=None`` (created on first use)."""
    global _GLOBAL_SEED_GENERATOR
    if _GLOBAL_SEED_GENERATOR is None:
        _GLOBAL_SEED_GENERATOR = SeedGenerator()
    return _GLOBAL_SEED_GENERATOR


def _reset_global_seed_generator() -> None:
    """Forget the global generator; the next unseeded draw makes a new one from Python's
    ``random`` module (:func:`ketorch.utils.set_random_seed` calls this after seeding it)."""
    global _GLOBAL_SEED_GENERATOR
    _GLOBAL_SEED_GENERATOR = None


def draw_seed(seed) -> int:
    """The 32-bit torch generator seed for a ``seed`` argument (advancing generators)."""
    if isinstance(seed, SeedGenerator):
        return seed._draw(True)
    if seed is None:
        return global_seed_generator()._draw(False)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return int(seed) & _UINT32
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
        f"Received: seed={seed!r} (of type {type(seed).__name__})"
    )


def _generator(seed, device) -> torch.Generator:
    gen = torch.Generator(device=device)
    gen.manual_seed(draw_seed(seed))
    return gen


# ------------------------------------------------------------------ argument checks
def _shape(fn, shape) -> tuple:
    if isinstance(shape, torch.Size):
        return tuple(shape)
    if isinstance(shape, (numbers.Integral, torch.Tensor)) and np.ndim(shape) == 0:
        shape = (shape,)
    try:
        dims = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(
            f"keras.random.{fn}: `shape` must be a tuple of known ints. Received: shape={shape!r}"
        ) from None
    if any(d < 0 for d in dims):
        raise ValueError(f"keras.random.{fn}: `shape` has a negative size. Received: {shape!r}")
    return dims


def _float_dtype(fn, dtype) -> torch.dtype:
    name = _dtypes.standardize_dtype(dtype or config.floatx())
    if name not in _dtypes.FLOATS:
        raise ValueError(
            f"`keras.random.{fn}` requires a floating point `dtype`. Received: dtype={dtype}"
        )
    return _dtypes.torch_dtype(name)


def _tensor_input(fn, arg, x) -> torch.Tensor:
    if isinstance(x, KerasTensor):
        raise ValueError(
            f"keras.random.{fn} cannot run on a symbolic KerasTensor (`{arg}`): random values "
            "are drawn when the model runs. Call it inside a layer's `call()`."
        )
    return to_tensor(x)


def _param(x, shape, device) -> torch.Tensor:
    """A distribution parameter as a float tensor broadcast to ``shape`` (float32 unless it is
    float64, as Keras's parameters are)."""
    t = to_tensor(x)
    if t.dtype != torch.float64:
        t = t.to(torch.float32)
    return t.to(device).broadcast_to(shape)


# ------------------------------------------------------------------ distributions
def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution.

    Args:
        shape: The output shape (a tuple of ints).
        mean: The mean.
        stddev: The standard deviation.
        dtype: A float dtype (default floatx).
        seed: An int, a :class:`SeedGenerator` or ``None`` (the global generator).

    Returns:
        A tensor on ketorch's device.
    """
    shape = _shape("normal", shape)
    td = _float_dtype("normal", dtype)
    device = get_device()
    gen = _generator(seed, device)
    if isinstance(mean, numbers.Real) and isinstance(stddev, numbers.Real):
        return torch.normal(
            float(mean), float(stddev), size=shape, generator=gen, dtype=td, device=device
        )
    z = torch.normal(0.0, 1.0, size=shape, generator=gen, dtype=td, device=device)
    return z * to_tensor(stddev).to(device) + to_tensor(mean).to(device)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from a uniform distribution on ``[minval, maxval)``.

    Args:
        shape: The output shape.
        minval: The lower bound (included).
        maxval: The upper bound (excluded).
        dtype: A float dtype (default floatx).
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Raises:
        ValueError: For a non-float ``dtype`` (use :func:`randint`).
    """
    shape = _shape("uniform", shape)
    td = _float_dtype("uniform", dtype)
    device = get_device()
    gen = _generator(seed, device)
    drawn = torch.rand(shape or (1,), generator=gen, dtype=td, device=device)
    if not isinstance(minval, numbers.Real):
        minval = to_tensor(minval).to(device)
    if not isinstance(maxval, numbers.Real):
        maxval = to_tensor(maxval).to(device)
    out = (maxval - minval) * drawn + minval
    return out if shape else out[0]


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Uniform random integers in ``[minval, maxval)``.

    Raises:
        ValueError: For a non-integer ``dtype``.
    """
    shape = _shape("randint", shape)
    name = _dtypes.standardize_dtype(dtype)
    if name not in _dtypes.INTS:
        raise ValueError(
            f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype}"
        )
    device = get_device()
    gen = _generator(seed, device)
    return torch.randint(
        int(minval),
        int(maxval),
        shape,
        generator=gen,
        dtype=_dtypes.torch_dtype(name),
        device=device,
    )


# erf(sqrt(2)): the probability mass of a standard normal within two standard deviations.
_ERF_SQRT2 = math.erf(math.sqrt(2.0))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution cut at two standard deviations from the mean.

    Each value is the first of four normal draws that falls within two standard deviations
    (Keras's torch algorithm, so seeded values match Keras); the rare position where all four
    fall outside (probability about 4e-6) takes an inverse-CDF truncated sample instead of an
    out-of-range value.
    """
    shape = _shape("truncated_normal", shape)
    td = _float_dtype("truncated_normal", dtype)
    device = get_device()
    gen = _generator(seed, device)
    candidates = torch.normal(0.0, 1.0, size=(*shape, 4), generator=gen, dtype=td, device=device)
    valid = (candidates > -2) & (candidates < 2)
    first = valid.max(-1, keepdim=True)[1]
    out = candidates.gather(-1, first).squeeze(-1)
    u = torch.rand(shape, generator=gen, dtype=torch.float32, device=device)
    fallback = math.sqrt(2.0) * torch.erfinv(_ERF_SQRT2 * (2.0 * u - 1.0))
    out = torch.where(valid.any(-1), out, fallback.to(td))
    return out * stddev + mean


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draw class indices from the categorical distributions given by ``logits``.

    Args:
        logits: A 2-D tensor ``(batch_size, num_classes)`` of unnormalised log-probabilities.
        num_samples: Samples per row.
        dtype: The integer output dtype.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Returns:
        A ``(batch_size, num_samples)`` tensor of indices.
    """
    logits = _tensor_input("categorical", "logits", logits)
    if logits.ndim != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits of shape {tuple(logits.shape)}"
        )
    if not (logits.is_floating_point()):
        logits = logits.to(_dtypes.torch_dtype(config.floatx()))
    td = _dtypes.torch_dtype(dtype)
    probs = torch.softmax(logits, dim=-1)
    gen = _generator(seed, logits.device)
    return torch.multinomial(probs, int(num_samples), replacement=True, generator=gen).to(td)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each value with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    Args:
        inputs: A tensor.
        rate: The drop probability, in ``[0, 1]``.
        noise_shape: Optional shape of the mask, broadcast over ``inputs`` (``None`` entries
            take the input's size), e.g. ``(batch, 1, features)`` to drop whole features.
        seed: An int or a :class:`SeedGenerator` for a reproducible mask; ``None`` (or an
            unseeded generator) uses torch's global generator.
    """
    x = _tensor_input("dropout", "inputs", inputs)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"keras.random.dropout: `rate` must be in [0, 1]. Received: rate={rate}")
    if rate == 1.0:
        return torch.zeros_like(x)
    if rate == 0.0:
        return x
    unseeded = seed is None or (isinstance(seed, SeedGenerator) and seed._initial_seed is None)
    if unseeded and noise_shape is None:
        return F.dropout(x, p=rate, training=True)
    keep = 1.0 - rate
    if noise_shape is None:
        mask_shape = tuple(x.shape)
    else:
        mask_shape = tuple(
            x.shape[i] if d is None else int(d) for i, d in enumerate(tuple(noise_shape))
        )
    gen = _generator(seed, x.device)
    mask = torch.bernoulli(torch.full(mask_shape, keep, device=x.device), generator=gen)
    mask = mask.bool().broadcast_to(x.shape)
    return torch.where(mask, x / keep, torch.zeros_like(x))


def shuffle(x, axis=0, seed=None):
    """Shuffle ``x`` along ``axis`` (each position along the axes before it independently).

    Example:

    >>> import torch
    >>> from ketorch import random
    >>> sorted(random.shuffle(torch.arange(5), seed=1).tolist())
    [0, 1, 2, 3, 4]
    """
    x = _tensor_input("shuffle", "x", x)
    axis = canonical_axis(axis, x.ndim, "shuffle")
    gen = _generator(seed, x.device)
    perm = torch.rand(x.shape[: axis + 1], generator=gen, device=x.device).argsort(axis)
    perm = perm.reshape(perm.shape + (1,) * (x.ndim - axis - 1)).expand(x.shape)
    return x.gather(axis, perm)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from a Gamma distribution with concentration ``alpha`` (and rate 1)."""
    shape = _shape("gamma", shape)
    td = _dtypes.torch_dtype(dtype or config.floatx())
    device = get_device()
    alpha = _param(alpha, shape, device)
    gen = _generator(seed, device)
    sample = torch._standard_gamma(alpha, generator=gen)
    sample.clamp_(min=torch.finfo(sample.dtype).tiny)
    return sample.to(td)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from a Binomial distribution: successes in ``counts`` trials of probability
    ``probabilities``."""
    shape = _shape("binomial", shape)
    td = _dtypes.torch_dtype(dtype or config.floatx())
    device = get_device()
    probs = _param(probabilities, shape, device)
    counts = _param(counts, shape, device).to(probs.dtype)
    gen = _generator(seed, device)
    return torch.binomial(counts, probs, generator=gen).to(td)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from a Beta distribution with concentrations ``alpha`` and ``beta``."""
    shape = _shape("beta", shape)
    td = _dtypes.torch_dtype(dtype or config.floatx())
    device = get_device()
    a = _param(alpha, shape, device)
    b = _param(beta, shape, device)
    if a.dtype != b.dtype:
        a, b = a.to(torch.float64), b.to(torch.float64)
    gen = _generator(seed, device)
    sample = torch._sample_dirichlet(torch.stack([a, b], -1), generator=gen)
    return sample.select(-1, 0).to(td)
