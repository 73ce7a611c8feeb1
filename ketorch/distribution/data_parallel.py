"""Keras's distribution API, on ``torch.distributed``: :class:`DataParallel` and friends.

One process per device, as ``torchrun`` starts them. ``fit``/``evaluate``/
``predict`` pick data parallelism up automatically when the ``torchrun``
variables (``WORLD_SIZE`` > 1, ``RANK``) are set; ``set_distribution`` chooses
it explicitly.
"""

from __future__ import annotations

import os

import torch

from .. import backend as kbackend

__all__ = [
    "DataParallel",
    "distribution",
    "get_device_count",
    "get_rank",
    "get_world_size",
    "is_chief",
    "list_devices",
    "set_distribution",
]

DEFAULT_TIMEOUT_S = 600.0


def _env_int(name, default):
    value = os.environ.get(name)
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _launched_world_size() -> int:
    """``WORLD_SIZE`` as set by torchrun (1 when absent)."""
    return max(1, _env_int("WORLD_SIZE", 1))


def _check_process_group_args(timeout, backend) -> None:
    """The process-group arguments DataParallel and ModelParallel both take."""
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(
            f"`timeout` must be a positive number of seconds. Received: timeout={timeout!r}"
        )
    if backend not in (None, "nccl", "gloo"):
        raise ValueError(f"`backend` must be 'nccl', 'gloo' or None. Received: backend={backend!r}")


def list_devices(device_type: str | None = None) -> list[str]:
    """This machine's devices, e.g. ``["cuda:0", "cuda:1"]`` or ``["cpu:0"]``.

    Args:
        device_type: ``"cpu"``, ``"gpu"``/``"cuda"`` or ``None`` (accelerators
            when there are any, else the CPU).

    Raises:
        ValueError: For an unknown ``device_type``.
    """
    if device_type is not None:
        device_type = device_type.lower()
        if device_type not in ("cpu", "gpu", "cuda"):
            raise ValueError(
                f"`device_type` must be 'cpu', 'gpu' or 'cuda'. Received: device_type={device_type!r}"
            )
    want_gpu = device_type in (None, "gpu", "cuda")
    if want_gpu and torch.cuda.is_available():
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if device_type in ("gpu", "cuda"):
        return []
    return ["cpu:0"]


def get_device_count(device_type: str | None = None) -> int:
    """The number of devices :func:`list_devices` returns."""
    return len(list_devices(device_type))


class DataParallel:
    """Data-parallel training over processes, one per device (Keras's ``DataParallel``).

    Launch the unchanged script with ``torchrun --nproc_per_node=N train.py``
    (add ``--nnodes``/``--rdzv-endpoint`` for several machines). Every process
    holds a full copy of the model; each global batch of ``batch_size`` samples
    is split between the processes (each computes ``batch_size / N`` of them),
    and the gradients are averaged over the whole global batch before every
    step, so training equals one process stepping on the global batches.
    Metrics, ``History``, ``evaluate`` and ``predict`` give global results on
    every process; only the process of rank 0 prints and writes files.

    Args:
        device_mesh: Accepted for Keras compatibility; must be ``None`` or a
            1-D mesh (only data parallelism is supported).
        devices: This machine's devices, one per local process
            (``devices[LOCAL_RANK]`` is used); by default ``cuda:LOCAL_RANK``
            when CUDA is available, else the CPU.
        auto_shard_dataset: Split the data between processes (default). With
            ``False`` every process must already receive its own shard (for
            example a ``DataLoader`` with a ``DistributedSampler``).
        timeout: Seconds a collective (gradient all-reduce, metric sum, ...)
            may wait for the other processes before failing with an error
            naming the cause (default ``KETORCH_DIST_TIMEOUT`` or 600).
        backend: ``"nccl"`` or ``"gloo"``; by default nccl on CUDA, else gloo.

    Raises:
        ValueError: For a mesh or device list that is not data parallel.

    Example:
        >>> import ketorch as keras
        >>> keras.distribution.set_distribution(keras.distribution.DataParallel())
        >>> keras.distribution.set_distribution(None)
    """

    def __init__(
        self,
        device_mesh=None,
        devices=None,
        auto_shard_dataset: bool = True,
        timeout: float | None = None,
        backend: str | None = None,
    ) -> None:
        if device_mesh is not None:
            shape = getattr(device_mesh, "shape", None)
            if shape is not None and len(tuple(shape)) != 1:
                raise ValueError(
                    "DataParallel supports only a 1-D device mesh (one data axis). "
                    f"Received: device_mesh with shape {tuple(shape)}"
                )
            devices = devices or list(getattr(device_mesh, "devices", []) or []) or None
        if devices is not None:
            devices = [str(d) for d in devices]
            if not devices:
                raise ValueError("`devices` must not be empty. Received: devices=[]")
        _check_process_group_args(timeout, backend)
        self.devices = devices
        self.auto_shard_dataset = bool(auto_shard_dataset)
        self.timeout = float(timeout) if timeout is not None else None
        self.backend = backend

    @property
    def timeout_s(self) -> float:
        """The collective timeout in seconds."""
        if self.timeout is not None:
            return self.timeout
        env = os.environ.get("KETORCH_DIST_TIMEOUT")
        return float(env) if env else DEFAULT_TIMEOUT_S

    def local_device(self) -> torch.device:
        """The device of this process."""

        local_rank = _env_int("LOCAL_RANK", 0)
        if self.devices is not None:
            if len(self.devices) > 1 and _launched_world_size() == 1:
                raise ValueError(
                    "ketorch runs one process per device: launch the script with "
                    f"`torchrun --nproc_per_node={len(self.devices)} script.py` instead of passing "
                    f"several devices to one process. Received: devices={self.devices}"
                )
            return torch.device(self.devices[local_rank % len(self.devices)].replace("gpu", "cuda"))
        device = kbackend.get_device()
        if device.type == "cuda" and device.index is None:
            return torch.device("cuda", local_rank % max(1, torch.cuda.device_count()))
        return device

    def __repr__(self) -> str:
        return f"<DataParallel devices={self.devices} timeout={self.timeout_s:g}s>"


_DISTRIBUTION: DataParallel | None = None


def set_distribution(value) -> None:
    """Use ``value`` for ``fit``/``evaluate``/``predict`` (``None``: automatic).

    Args:
        value: A :class:`DataParallel`, a ``ModelParallel`` or ``None``.

    Raises:
        ValueError: If ``value`` is none of these.
    """
    global _DISTRIBUTION
    from .model_parallel import ModelParallel  # import cycle

    if value is not None and not isinstance(value, (DataParallel, ModelParallel)):
        raise ValueError(
            "ketorch supports `DataParallel` and `ModelParallel` distributions. "
            f"Received: value of type {type(value).__name__}"
        )
    _DISTRIBUTION = value
    from ..layers import layer  # import cycle

    if isinstance(value, ModelParallel):
        from . import model_parallel_runtime

        layer._SHARDING = model_parallel_runtime  # new weights its layouts split: pieces
    else:
        layer._SHARDING = None


def distribution():
    """The distribution set with :func:`set_distribution` (``None`` if none)."""
    return _DISTRIBUTION


def active():
    """The distribution in effect: the one set, else one from torchrun's variables."""
    if _DISTRIBUTION is not None:
        return _DISTRIBUTION
    if os.environ.get("KETORCH_DISTRIBUTED", "1") == "0":
        return None
    import torch.distributed as dist  # torch submodule loaded only when this path runs

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return DataParallel()
    if _launched_world_size() > 1 and "RANK" in os.environ:
        return DataParallel()
    return None


def get_rank() -> int:
    """This process's rank (0 outside distributed runs)."""
    import torch.distributed as dist  # torch submodule loaded only when this path runs

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return _env_int("RANK", 0)


def get_world_size() -> int:
    """The number of processes (1 outside distributed runs)."""
    import torch.distributed as dist  # torch submodule loaded only when this path runs

    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return _launched_world_size()


def is_chief() -> bool:
    """Whether this process prints and writes files (rank 0, or not distributed)."""
    return get_rank() == 0
