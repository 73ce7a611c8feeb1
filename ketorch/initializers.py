"""Weight initializers with Keras's names, arguments and distributions.

An initializer is a callable ``init(shape, dtype=None) -> torch.Tensor``. Fan
sizes follow Keras: for a kernel of shape ``(..., fan_in_channels,
fan_out_channels)`` the receptive field (the product of the leading
dimensions) multiplies both fans.

Example:
    >>> from ketorch import initializers
    >>> w = initializers.get("glorot_uniform")((3, 4))
    >>> tuple(w.shape)
    (3, 4)
"""

from __future__ import annotations

import inspect
import math

import torch

from ._identifiers import make_deserialize

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomUniform", "RandomNormal",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "Identity", "get", "serialize",
]  # fmt: skip

_TRUNC_STDDEV_CORRECTION = 0.87962566103423978  # std of a unit normal truncated at +-2


def _generator(seed):
    if seed is None:
        return None
    g = torch.Generator()
    g.manual_seed(int(seed))
    return g


def compute_fans(shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight shape, as Keras computes them."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``."""

    def __call__(self, shape, dtype=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        """Return the constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild an initializer from :meth:`get_config` output (unknown keys are ignored)."""

        params = inspect.signature(cls.__init__).parameters
        return cls(**{k: v for k, v in config.items() if k in params})

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _dtype(dtype):
    return dtype or torch.get_default_dtype()


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return torch.zeros(tuple(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return torch.ones(tuple(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element equals ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return torch.full(tuple(shape), float(self.value), dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class _Seeded(Initializer):
    def __init__(self, seed=None):
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed}


class RandomUniform(_Seeded):
    """Uniform in ``[minval, maxval)``; Keras's default range is +-0.05."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        t = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return t.uniform_(self.minval, self.maxval, generator=_generator(self.seed))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(_Seeded):
    """Normal with ``mean`` and ``stddev`` (Keras default stddev 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        t = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return t.normal_(self.mean, self.stddev, generator=_generator(self.seed))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal truncated at two standard deviations from the mean."""

    def __call__(self, shape, dtype=None):
        t = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return torch.nn.init.trunc_normal_(
            t,
            self.mean,
            self.stddev,
            self.mean - 2 * self.stddev,
            self.mean + 2 * self.stddev,
            generator=_generator(self.seed),
        )


class VarianceScaling(_Seeded):
    """Scale the spread to the weight's fan, the family behind Glorot/He/LeCun.

    Args:
        scale: Positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or
            ``"uniform"``.
        seed: Optional integer seed.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"`mode` must be one of 'fan_in', 'fan_out', 'fan_avg'. Received: mode={mode!r}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "`distribution` must be one of 'truncated_normal', 'untruncated_normal', "
                f"'uniform'. Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, n)
        t = torch.empty(tuple(shape), dtype=_dtype(dtype))
        g = _generator(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return t.uniform_(-limit, limit, generator=g)
        if self.distribution == "untruncated_normal":
            return t.normal_(0.0, math.sqrt(var), generator=g)
        std = math.sqrt(var) / _TRUNC_STDDEV_CORRECTION
        return torch.nn.init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std, generator=g)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


def _preset(name, scale, mode, distribution, doc):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(
        name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc}
    )


GlorotUniform = _preset(
    "GlorotUniform", 1.0, "fan_avg", "uniform", "Uniform in +-sqrt(6 / (fan_in + fan_out))."
)
GlorotNormal = _preset(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal", "Truncated normal, var 2/(fan_in+fan_out)."
)
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform", "Uniform in +-sqrt(6 / fan_in).")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal", "Truncated normal, var 2/fan_in.")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform", "Uniform in +-sqrt(3 / fan_in).")
LecunNormal = _preset(
    "LecunNormal", 1.0, "fan_in", "truncated_normal", "Truncated normal, var 1/fan_in."
)
for _cls in (GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal):
    _cls.__module__ = __name__


class Orthogonal(_Seeded):
    """A (semi-)orthogonal matrix over the flattened ``(prod(shape[:-1]), shape[-1])``."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"The Orthogonal initializer needs a shape of rank >= 2. Received: shape={shape}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = torch.empty(max(rows, cols), min(rows, cols), dtype=torch.float32)
        a.normal_(0.0, 1.0, generator=_generator(self.seed))
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(
                f"The Identity initializer needs a 2-D shape. Received: shape={tuple(shape)}"
            )
        return self.gain * torch.eye(*shape, dtype=_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


_CLASSES = {
    c.__name__: c
    for c in (
        Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling,
        GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal,
        Orthogonal, Identity,
    )
}  # fmt: skip
_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "uniform": RandomUniform, "random_uniform": RandomUniform, "normal": RandomNormal,
    "random_normal": RandomNormal, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "identity": Identity,
}  # fmt: skip
_SNAKE = {c: n for n, c in _ALIASES.items()}


def get(identifier):
    """Resolve an initializer from a name, a config dict, a class or an instance.

    Raises:
        ValueError: If a name is unknown.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Initializer) or (
        callable(identifier) and not isinstance(identifier, type)
    ):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(
                f"Unknown initializer class. Received: initializer={identifier.get('class_name')!r}"
            )
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = (
            _ALIASES.get(identifier) or _ALIASES.get(identifier.lower()) or _CLASSES.get(identifier)
        )
        if cls is None:
            names = ", ".join(sorted(_ALIASES))
            raise ValueError(
                f"Unknown initializer '{identifier}'. Valid names are: {names}. "
                f"Received: initializer={identifier!r}"
            )
        return cls()
    raise TypeError(
        "Could not interpret initializer identifier: expected a string, dict, class or callable. "
        f"Received: initializer={identifier!r}"
    )


def serialize(initializer) -> dict | None:
    """Keras-style serialized dict of an initializer."""
    if initializer is None:
        return None
    if isinstance(initializer, Initializer):
        return {
            "module": "keras.initializers",
            "class_name": type(initializer).__name__,
            "config": initializer.get_config(),
            "registered_name": None,
        }
    return getattr(initializer, "__name__", None)


# Keras's other public spellings: the snake_case names are the classes themselves.
zeros, ones, constant = Zeros, Ones, Constant
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal, lecun_uniform, lecun_normal = HeUniform, HeNormal, LecunUniform, LecunNormal
OrthogonalInitializer, IdentityInitializer = Orthogonal, Identity


deserialize = make_deserialize(get, "initializer", __name__)


def __getattr__(name):
    # The STFT initializer lives with the spectrogram layer, which imports this module.
    if name in ("STFT", "STFTInitializer", "stft"):
        from .layers.preprocessing.stft_spectrogram import STFT  # import cycle

        return STFT
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
