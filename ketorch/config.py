"""Global settings: the device models train on, image data format, epsilon."""

from __future__ import annotations

import os

from .backend import get_device, set_device
from .mixed_precision import global_policy, set_global_policy
from .saving.serialization import enable_unsafe_deserialization as _enable

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

    import torch  # torch submodule loaded only when this path runs

    if not isinstance(warn_only, bool):
        raise TypeError(f"`warn_only` must be a bool. Received: warn_only={warn_only!r}")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=warn_only)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


__all__ += ["enable_determinism"]


def dtype_policy():
    """The global :class:`~ketorch.mixed_precision.DTypePolicy` (``keras.config.dtype_policy``)."""

    return global_policy()


def set_dtype_policy(policy) -> None:
    """Set the global dtype policy, e.g. ``"mixed_bfloat16"`` (``keras.config.set_dtype_policy``).

    Args:
        policy: A policy name or a :class:`~ketorch.mixed_precision.DTypePolicy`.
    """

    set_global_policy(policy)


# Device choice (see ketorch.backend.get_device): set_device(...) wins, then the environment
# variable KETORCH_DEVICE ("cpu", "cuda", "cuda:1"), then CUDA when available, then the CPU.
# Under DataParallel each process uses cuda:LOCAL_RANK unless an index was given.
__all__ += ["dtype_policy", "set_dtype_policy"]


# ------------------------------------------------------- Keras 3's other settings
_SETTINGS = {
    "interactive_logging": True,
    "traceback_filtering": True,
    "flash_attention": None,  # None: torch picks the fastest kernel it has
    "max_epochs": None,
    "max_steps_per_epoch": None,
    "keras2_mask_merging": False,
}


def enable_unsafe_deserialization() -> None:
    """Allow loading configs that hold Python bytecode (``Lambda`` functions) everywhere.

    The default safe mode refuses them; only call this for files you trust.
    """

    _enable()


def enable_interactive_logging() -> None:
    """Print progress bars and messages to stdout (the default)."""
    _SETTINGS["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """Send progress bars and messages to the ``"ketorch"`` Python logger instead of stdout
    (for log collectors); each progress update is one log record."""
    _SETTINGS["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress output goes to stdout (see :func:`disable_interactive_logging`)."""
    return _SETTINGS["interactive_logging"]


def enable_traceback_filtering() -> None:
    """Accepted for Keras compatibility: ketorch's errors already name the layer or op."""
    _SETTINGS["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """Accepted for Keras compatibility (ketorch never hides frames of a traceback)."""
    _SETTINGS["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    return _SETTINGS["traceback_filtering"]


def enable_flash_attention() -> None:
    """Prefer flash-attention kernels in ``ops.dot_product_attention`` and attention layers
    (used on GPUs that have them; elsewhere torch's fused attention runs as usual)."""
    _SETTINGS["flash_attention"] = True


def disable_flash_attention() -> None:
    """Keep attention off the flash kernels (torch's other fused kernels still run)."""
    _SETTINGS["flash_attention"] = False


def is_flash_attention_enabled():
    """``True``/``False`` when set with the functions above, ``None`` (auto) by default."""
    return _SETTINGS["flash_attention"]


def _positive_or_none(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"`{name}` must be a positive int or None. Received: {name}={value!r}")
    return value


def set_max_epochs(max_epochs) -> None:
    """Cap the number of epochs of every ``fit`` call (``None`` removes the cap)."""
    _SETTINGS["max_epochs"] = _positive_or_none("max_epochs", max_epochs)


def max_epochs():
    """The epoch cap set with :func:`set_max_epochs` (``None``: no cap)."""
    return _SETTINGS["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch) -> None:
    """Cap the number of batches per epoch of every ``fit`` call (``None`` removes the cap)."""
    _SETTINGS["max_steps_per_epoch"] = _positive_or_none("max_steps_per_epoch", max_steps_per_epoch)


def max_steps_per_epoch():
    """The per-epoch step cap set with :func:`set_max_steps_per_epoch` (``None``: no cap)."""
    return _SETTINGS["max_steps_per_epoch"]


def set_backend(backend: str) -> None:
    """ketorch has one engine: only ``"torch"`` is accepted."""
    if backend != "torch":
        raise ValueError(
            f"ketorch runs on PyTorch only; it has no '{backend}' backend. "
            f"Received: backend={backend!r}"
        )


def is_nnx_enabled() -> bool:
    """Always ``False`` (Flax NNX is a JAX feature)."""
    return False


__all__ += [
    "floatx", "set_floatx", "enable_unsafe_deserialization", "enable_interactive_logging",
    "disable_interactive_logging", "is_interactive_logging_enabled",
    "enable_traceback_filtering", "disable_traceback_filtering",
    "is_traceback_filtering_enabled", "enable_flash_attention", "disable_flash_attention",
    "is_flash_attention_enabled", "set_max_epochs", "max_epochs", "set_max_steps_per_epoch",
    "max_steps_per_epoch", "set_backend", "is_nnx_enabled",
]  # fmt: skip


# ------------------------------------------------------- Keras 2 compatibility
def enable_keras2_mask_merging() -> None:
    """Merge layers combine their inputs' masks as Keras 2 did (for Keras 2 era libraries).

    Keras 2 (``tf.keras`` up to 2.15) gave ``Add``/``Multiply``/... the logical AND of the
    masks of the inputs that have one, and ``Concatenate`` the AND over the concatenated
    axis. Keras 3 (ketorch's default) gives the logical OR, and no mask as soon as one
    input has none. Code written for Keras 2 can rely on the old rule: keras-bert's
    ``Masked`` layer expects the padding mask of its token embedding to survive the
    ``Add`` with the (unmasked) segment embedding.
    """
    _SETTINGS["keras2_mask_merging"] = True


def disable_keras2_mask_merging() -> None:
    """Back to Keras 3's rule for merging masks (the default)."""
    _SETTINGS["keras2_mask_merging"] = False


def is_keras2_mask_merging_enabled() -> bool:
    """Whether merge layers use Keras 2's mask rule (see `enable_keras2_mask_merging`)."""
    return _SETTINGS["keras2_mask_merging"]


__all__ += [
    "enable_keras2_mask_merging", "disable_keras2_mask_merging", "is_keras2_mask_merging_enabled",
]  # fmt: skip
