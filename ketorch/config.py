"""Global settings: the device models train on, image data format, epsilon."""

from __future__ import annotations

from .backend import get_device, set_device

__all__ = [
    "get_device",
    "set_device",
    "image_data_format",
    "set_image_data_format",
    "epsilon",
    "set_epsilon",
    "floatx",
    "set_floatx",
    "backend",
]

_IMAGE_DATA_FORMAT = "channels_last"
_EPSILON = 1e-7
_FLOATX = "float32"


def floatx() -> str:
    """The default float dtype name (``"float32"``), as ``keras.config.floatx()``."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype: ``"bfloat16"``, ``"float16"``, ``"float32"`` or
    ``"float64"``.

    Raises:
        ValueError: For any other value.
    """
    global _FLOATX
    accepted = ("bfloat16", "float16", "float32", "float64")
    value = str(value) if not isinstance(value, str) else value
    if value not in accepted:
        raise ValueError(f"Unknown `floatx` value: {value!r}. Expected one of {accepted}")
    _FLOATX = value


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by :func:`epsilon`."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """The default ``data_format`` of image layers (``"channels_last"``)."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image data format (``"channels_last"`` or ``"channels_first"``)."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (1e-7 unless set with :func:`set_epsilon`)."""
    return _EPSILON


def backend() -> str:
    """The engine name: always ``"torch"``."""
    return "torch"


def enable_determinism(warn_only: bool = False) -> None:
    """Make torch pick deterministic kernels, so seeded runs repeat bit for bit.

    Together with :func:`ketorch.utils.set_random_seed` this makes two CPU
    training runs with the same seed produce identical weights and History,
    including shuffling, ``Dropout`` and ``PyDataset`` loader threads. On CUDA it
    sets ``CUBLAS_WORKSPACE_CONFIG`` (read when cuBLAS first starts, so call this
    before any GPU work), turns off cuDNN autotuning and asks for deterministic
    cuDNN kernels. Some GPU ops have no deterministic kernel: they raise
    ``RuntimeError`` when used, or only warn when ``warn_only=True``.

    Args:
        warn_only: Warn instead of raising when an op without a deterministic
            implementation runs.

    Raises:
        TypeError: If `warn_only` is not a bool.

    Example:

    >>> import ketorch
    >>> ketorch.utils.set_random_seed(42)
    >>> ketorch.config.enable_determinism()
    """
    import os

    import torch

    if not isinstance(warn_only, bool):
        raise TypeError(f"`warn_only` must be a bool. Received: warn_only={warn_only!r}")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=warn_only)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


__all__ += ["enable_determinism"]


def dtype_policy():
    """The global :class:`~ketorch.mixed_precision.DTypePolicy` (``keras.config.dtype_policy``)."""
    from .mixed_precision import global_policy

    return global_policy()


def set_dtype_policy(policy) -> None:
    """Set the global dtype policy, e.g. ``"mixed_bfloat16"`` (``keras.config.set_dtype_policy``).

    Args:
        policy: A policy name or a :class:`~ketorch.mixed_precision.DTypePolicy`.
    """
    from .mixed_precision import set_global_policy

    set_global_policy(policy)


# Device choice (see ketorch.backend.get_device): set_device(...) wins, then the environment
# variable KETORCH_DEVICE ("cpu", "cuda", "cuda:1"), then CUDA when available, then the CPU.
# Under DataParallel each process uses cuda:LOCAL_RANK unless an index was given.
__all__ += ["dtype_policy", "set_dtype_policy"]
